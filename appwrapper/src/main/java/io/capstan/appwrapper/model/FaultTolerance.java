package io.capstan.appwrapper.model;

import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.runtime.GoDurations;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An AppWrapper's fault-tolerance settings: the operator's defaults, overridden per AppWrapper by the
 * {@code workload.codeflare.dev.appwrapper/*} annotations AppWrapper defines (project-codeflare/appwrapper,
 * site/_pages/arch-fault-tolerance.md). A value that cannot be read is reported through {@code problems} and the
 * default holds; durations are clamped to {@code [0, gracePeriodCeiling]}, and the success TTL can only be shortened.
 */
public record FaultTolerance(Duration admissionGracePeriod, Duration warmupGracePeriod, Duration failureGracePeriod,
        Duration retryPausePeriod, int retryLimit, Duration forcefulDeletionGracePeriod,
        Duration deletionOnFailureGracePeriod, Duration successTtl, Set<Integer> terminalExitCodes,
        Set<Integer> retryableExitCodes) {

    /** The operator-wide defaults and ceilings ({@code faultTolerance} in AppWrapper's operator configuration). */
    public record Defaults(Duration admissionGracePeriod, Duration warmupGracePeriod, Duration failureGracePeriod,
            Duration retryPausePeriod, int retryLimit, Duration forcefulDeletionGracePeriod, Duration gracePeriodCeiling,
            Duration successTtlCeiling) {

        public static final Defaults APPWRAPPER = new Defaults(Duration.ofMinutes(1), Duration.ofMinutes(5),
                Duration.ofMinutes(1), Duration.ofSeconds(90), 3, Duration.ofMinutes(10), Duration.ofHours(24),
                Duration.ofDays(7));

        /** @throws IllegalArgumentException when the settings contradict each other, as AppWrapper checks at start */
        public Defaults {
            for (Duration d : new Duration[] {admissionGracePeriod, warmupGracePeriod, failureGracePeriod,
                    retryPausePeriod, forcefulDeletionGracePeriod}) {
                if (d.compareTo(gracePeriodCeiling) > 0) {
                    throw new IllegalArgumentException("a grace period of " + d + " exceeds gracePeriodCeiling "
                            + gracePeriodCeiling);
                }
            }
            if (admissionGracePeriod.compareTo(warmupGracePeriod) > 0) {
                throw new IllegalArgumentException("admissionGracePeriod " + admissionGracePeriod + " exceeds "
                        + "warmupGracePeriod " + warmupGracePeriod);
            }
            if (!successTtlCeiling.isPositive()) {
                throw new IllegalArgumentException("successTTLCeiling must be positive");
            }
        }
    }

    public static final String ADMISSION_GRACE = AppWrapper.ANNOTATION_PREFIX + "admissionGracePeriodDuration";
    public static final String WARMUP_GRACE = AppWrapper.ANNOTATION_PREFIX + "warmupGracePeriodDuration";
    public static final String FAILURE_GRACE = AppWrapper.ANNOTATION_PREFIX + "failureGracePeriodDuration";
    public static final String RETRY_PAUSE = AppWrapper.ANNOTATION_PREFIX + "retryPausePeriodDuration";
    public static final String RETRY_LIMIT = AppWrapper.ANNOTATION_PREFIX + "retryLimit";
    public static final String FORCEFUL_DELETION_GRACE = AppWrapper.ANNOTATION_PREFIX + "forcefulDeletionGracePeriodDuration";
    public static final String DELETION_ON_FAILURE_GRACE = AppWrapper.ANNOTATION_PREFIX + "deletionOnFailureGracePeriodDuration";
    public static final String SUCCESS_TTL = AppWrapper.ANNOTATION_PREFIX + "successTTLDuration";
    public static final String TERMINAL_EXIT_CODES = AppWrapper.ANNOTATION_PREFIX + "terminalExitCodes";
    public static final String RETRYABLE_EXIT_CODES = AppWrapper.ANNOTATION_PREFIX + "retryableExitCodes";

    /** The settings for an AppWrapper with these annotations. */
    public static FaultTolerance of(Map<String, String> annotations, Defaults defaults, Consumer<String> problems) {
        Map<String, String> given = annotations == null ? Map.of() : annotations;
        Reader read = new Reader(given, defaults.gracePeriodCeiling(), problems);
        Duration ttl = defaults.successTtlCeiling();
        Duration askedTtl = read.duration(SUCCESS_TTL, null, false);
        if (askedTtl != null && askedTtl.isPositive() && askedTtl.compareTo(ttl) < 0) {
            ttl = askedTtl;
        }
        int retryLimit = defaults.retryLimit();
        String limit = given.get(RETRY_LIMIT);
        if (limit != null) {
            try {
                retryLimit = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                problems.accept(RETRY_LIMIT + " '" + limit + "' is not an integer; using " + retryLimit);
            }
        }
        return new FaultTolerance(read.duration(ADMISSION_GRACE, defaults.admissionGracePeriod(), true),
                read.duration(WARMUP_GRACE, defaults.warmupGracePeriod(), true),
                read.duration(FAILURE_GRACE, defaults.failureGracePeriod(), true),
                read.duration(RETRY_PAUSE, defaults.retryPausePeriod(), true), retryLimit,
                read.duration(FORCEFUL_DELETION_GRACE, defaults.forcefulDeletionGracePeriod(), true),
                read.duration(DELETION_ON_FAILURE_GRACE, Duration.ZERO, true), ttl,
                exitCodes(given.get(TERMINAL_EXIT_CODES)), exitCodes(given.get(RETRYABLE_EXIT_CODES)));
    }

    /** Whether a failed container's exit code makes the failure final, by the two exit-code annotations. */
    public boolean isTerminal(int exitCode) {
        if (exitCode == 0) {
            return false;
        }
        return terminalExitCodes.contains(exitCode)
                || (!retryableExitCodes.isEmpty() && !retryableExitCodes.contains(exitCode));
    }

    /** Comma-separated integers; entries that are not are left out, as AppWrapper does. */
    static Set<Integer> exitCodes(String list) {
        Set<Integer> codes = new LinkedHashSet<>();
        if (list != null) {
            for (String entry : list.split(",")) {
                try {
                    codes.add(Integer.parseInt(entry.trim()));
                } catch (NumberFormatException ignored) {
                    // Left out, as the peer leaves it out.
                }
            }
        }
        return Set.copyOf(codes);
    }

    private record Reader(Map<String, String> annotations, Duration ceiling, Consumer<String> problems) {
        Duration duration(String key, Duration fallback, boolean clamp) {
            String value = annotations.get(key);
            if (value == null) {
                return fallback;
            }
            Duration parsed;
            try {
                parsed = GoDurations.parse(value);
            } catch (IllegalArgumentException e) {
                problems.accept(key + ": " + e.getMessage() + "; using " + (fallback == null ? "the default" : fallback));
                return fallback;
            }
            if (!clamp) {
                return parsed;
            }
            if (parsed.isNegative()) {
                return Duration.ZERO;
            }
            return parsed.compareTo(ceiling) > 0 ? ceiling : parsed;
        }
    }
}
