package io.capstan.framework.model;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times in status are RFC 3339 at second precision, like {@code metav1.Time}. */
public final class Timestamps {

    private Timestamps() {
    }

    public static String format(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static Instant parse(String value) {
        return value == null ? null : Instant.parse(value);
    }
}
