package io.capstan.runtime;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Go's {@code time.ParseDuration} reads them ({@code 90s}, {@code 1m30s}, {@code 500ms},
 * {@code 1.5h}): the peers' manifests and configuration files carry them in webhook timeouts and annotations.
 */
public final class GoDurations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private GoDurations() {
    }

    /** @throws IllegalArgumentException when {@code text} is not a Go duration */
    public static Duration parse(String text) {
        String value = text.trim();
        boolean negative = value.startsWith("-");
        if (negative || value.startsWith("+")) {
            value = value.substring(1);
        }
        if (value.equals("0")) {
            return Duration.ZERO;
        }
        Matcher parts = PART.matcher(value);
        long nanos = 0;
        int end = 0;
        while (parts.find() && parts.start() == end) {
            double amount = Double.parseDouble(parts.group(1));
            long unit = switch (parts.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos += (long) (amount * unit);
            end = parts.end();
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration such as 90s, 5m or 1h30m");
        }
        return Duration.ofNanos(negative ? -nanos : nanos);
    }
}
