package io.capstan.appwrapper.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultToleranceTest {

    private static final FaultTolerance.Defaults DEFAULTS = FaultTolerance.Defaults.APPWRAPPER;

    @Test
    void withoutAnnotationsTheOperatorDefaultsHold() {
        FaultTolerance tolerance = FaultTolerance.of(null, DEFAULTS, p -> {
            throw new AssertionError(p);
        });
        assertThat(tolerance.admissionGracePeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tolerance.warmupGracePeriod()).isEqualTo(Duration.ofMinutes(5));
        assertThat(tolerance.failureGracePeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tolerance.retryPausePeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(tolerance.retryLimit()).isEqualTo(3);
        assertThat(tolerance.forcefulDeletionGracePeriod()).isEqualTo(Duration.ofMinutes(10));
        assertThat(tolerance.deletionOnFailureGracePeriod()).isZero();
        assertThat(tolerance.successTtl()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void annotationsOverrideAreClampedAndBadOnesAreReportedWhileTheDefaultHolds() {
        List<String> problems = new ArrayList<>();
        FaultTolerance tolerance = FaultTolerance.of(Map.of(
                FaultTolerance.ADMISSION_GRACE, "90s",
                FaultTolerance.WARMUP_GRACE, "48h",
                FaultTolerance.FAILURE_GRACE, "-5s",
                FaultTolerance.RETRY_PAUSE, "soon",
                FaultTolerance.RETRY_LIMIT, "many",
                FaultTolerance.SUCCESS_TTL, "30m"), DEFAULTS, problems::add);
        assertThat(tolerance.admissionGracePeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(tolerance.warmupGracePeriod()).as("clamped to the ceiling").isEqualTo(Duration.ofHours(24));
        assertThat(tolerance.failureGracePeriod()).isZero();
        assertThat(tolerance.retryPausePeriod()).isEqualTo(Duration.ofSeconds(90));
        assertThat(tolerance.retryLimit()).isEqualTo(3);
        assertThat(tolerance.successTtl()).isEqualTo(Duration.ofMinutes(30));
        assertThat(problems).hasSize(2).anySatisfy(p -> assertThat(p).contains("retryPausePeriodDuration", "soon"))
                .anySatisfy(p -> assertThat(p).contains("retryLimit", "many"));
    }

    @Test
    void theSuccessTtlCanOnlyBeShortened() {
        assertThat(FaultTolerance.of(Map.of(FaultTolerance.SUCCESS_TTL, "30d"), DEFAULTS, p -> { }).successTtl())
                .isEqualTo(Duration.ofDays(7));
        assertThat(FaultTolerance.of(Map.of(FaultTolerance.SUCCESS_TTL, "0s"), DEFAULTS, p -> { }).successTtl())
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void exitCodesDecideWhetherAFailureIsTerminal() {
        FaultTolerance terminal = FaultTolerance.of(Map.of(FaultTolerance.TERMINAL_EXIT_CODES, "3, 42,x"), DEFAULTS, p -> { });
        assertThat(terminal.terminalExitCodes()).containsExactlyInAnyOrder(3, 42);
        assertThat(terminal.isTerminal(42)).isTrue();
        assertThat(terminal.isTerminal(1)).isFalse();
        assertThat(terminal.isTerminal(0)).isFalse();

        FaultTolerance retryable = FaultTolerance.of(Map.of(FaultTolerance.RETRYABLE_EXIT_CODES, "137"), DEFAULTS, p -> { });
        assertThat(retryable.isTerminal(137)).isFalse();
        assertThat(retryable.isTerminal(1)).as("any other non-zero code is terminal").isTrue();
    }

    @Test
    void contradictoryOperatorSettingsAreRefusedAtStart() {
        assertThatThrownBy(() -> new FaultTolerance.Defaults(Duration.ofMinutes(10), Duration.ofMinutes(5),
                Duration.ofMinutes(1), Duration.ofSeconds(90), 3, Duration.ofMinutes(10), Duration.ofHours(24),
                Duration.ofDays(7))).hasMessageContaining("exceeds warmupGracePeriod");
        assertThatThrownBy(() -> new FaultTolerance.Defaults(Duration.ofMinutes(1), Duration.ofMinutes(5),
                Duration.ofMinutes(1), Duration.ofHours(48), 3, Duration.ofMinutes(10), Duration.ofHours(24),
                Duration.ofDays(7))).hasMessageContaining("exceeds gracePeriodCeiling");
    }
}
