package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionStatus;
import io.capstan.framework.api.CompletionType;
import io.capstan.framework.api.RetryPolicySpec;
import io.capstan.framework.api.RetryPolicyStatus;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ShouldRetry (FrameworkController's funcs.go) and the RetryPolicy recipes of its doc/user-manual.md. */
class RetryDecisionTest {

    private static CompletionStatus completion(int code, String type, String... attributes) {
        CompletionStatus status = new CompletionStatus();
        status.code = code;
        status.phrase = "test";
        status.type = new CompletionType(type, List.of(attributes));
        return status;
    }

    private static CompletionStatus outcome(String kind) {
        return switch (kind) {
            case "succeeded" -> completion(0, CompletionType.SUCCEEDED);
            case "transient" -> completion(200, CompletionType.FAILED, CompletionType.TRANSIENT);
            case "conflict" -> completion(201, CompletionType.FAILED, CompletionType.TRANSIENT, CompletionType.CONFLICT);
            case "permanent" -> completion(210, CompletionType.FAILED, CompletionType.PERMANENT);
            case "unknown" -> completion(1, CompletionType.FAILED);
            case "stop" -> completion(-210, CompletionType.FAILED, CompletionType.PERMANENT);
            case "attemptcompletion" -> completion(-220, CompletionType.FAILED, CompletionType.PERMANENT);
            case "scaledown" -> completion(-230, CompletionType.FAILED, CompletionType.PERMANENT);
            case "both" -> completion(-5000, CompletionType.FAILED, CompletionType.PERMANENT, CompletionType.TRANSIENT);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static RetryDecision decide(boolean fancy, int max, int accountableSoFar, String kind) {
        RetryPolicyStatus status = new RetryPolicyStatus();
        status.accountableRetriedCount = accountableSoFar;
        status.totalRetriedCount = accountableSoFar;
        return RetryDecision.decide(new RetryPolicySpec(fancy, max), status, outcome(kind), 0, 0, new Random(1));
    }

    @ParameterizedTest(name = "fancy={0} max={1} accountable so far={2} {3} -> retry={4} accountable={5}")
    @CsvSource({
        // DEFAULT: never retry anything
        "false, 0, 0, succeeded, false, false",
        "false, 0, 0, unknown,   false, false",
        "false, 0, 0, transient, false, false",
        "false, 0, 0, permanent, false, false",
        // Service: always retry, even success
        "false, -2, 0, succeeded, true, true",
        "false, -2, 7, unknown,   true, true",
        "false, -2, 0, permanent, true, true",
        // Blind batch: retry every failure, never success
        "false, -1, 0,  succeeded, false, false",
        "false, -1, 99, unknown,   true,  true",
        "false, -1, 0,  permanent, true,  true",
        // Batch with task fault tolerance (fancy, 3)
        "true, 3, 0,  transient, true,  false",
        "true, 3, 50, transient, true,  false",
        "true, 3, 0,  conflict,  true,  false",
        "true, 3, 0,  permanent, false, false",
        "true, 3, 0,  succeeded, false, false",
        "true, 3, 2,  unknown,   true,  true",
        "true, 3, 3,  unknown,   false, false",
        // Normal policy with a count: failures are all accountable, whatever their type
        "false, 3, 2, transient, true,  true",
        "false, 3, 3, transient, false, false",
        "false, 3, 0, permanent, true,  true",
        // Debug mode (fancy, 0): only Transient
        "true, 0, 0, transient, true,  false",
        "true, 0, 0, unknown,   false, false",
        // Built-in never-retry codes beat even -2
        "false, -2, 0, stop,              false, false",
        "true,  -2, 0, attemptcompletion, false, false",
        "false, -1, 0, scaledown,         false, false",
        // Transient is checked before Permanent (quirk 8)
        "true, 0, 0, both, true, false",
    })
    void followsTheReferenceAlgorithm(boolean fancy, int max, int accountableSoFar, String kind, boolean retry,
            boolean accountable) {
        RetryDecision decision = decide(fancy, max, accountableSoFar, kind);

        assertThat(decision.retry()).as(decision.reason()).isEqualTo(retry);
        assertThat(decision.accountable()).as(decision.reason()).isEqualTo(accountable);
        assertThat(decision.reason()).isNotBlank();
    }

    @Property
    void conflictDelaysAreWithinTheConfiguredBounds(@ForAll @LongRange(min = 0, max = 1000) long min,
            @ForAll @LongRange(min = 0, max = 1000) long extra, @ForAll long seed) {
        RetryDecision decision = RetryDecision.decide(new RetryPolicySpec(true, 0), new RetryPolicyStatus(),
                outcome("conflict"), min, min + extra, new Random(seed));

        assertThat(decision.retry()).isTrue();
        assertThat(decision.delaySec()).isBetween(min, min + extra);
    }

    @Property
    void onlyFancyConflictFailuresAreDelayed(@ForAll boolean fancy, @ForAll @IntRange(min = -2, max = 5) int max,
            @ForAll @IntRange(min = 0, max = 6) int soFar, @ForAll("outcomes") String kind) {
        RetryPolicyStatus status = new RetryPolicyStatus();
        status.accountableRetriedCount = soFar;
        RetryDecision decision = RetryDecision.decide(new RetryPolicySpec(fancy, max), status, outcome(kind), 60, 900,
                new Random(7));

        if (fancy && kind.equals("conflict")) {
            assertThat(decision.delaySec()).isBetween(60L, 900L);
        } else {
            assertThat(decision.delaySec()).isZero();
        }
    }

    @Property
    void neverRetriedCodesAreNeverRetried(@ForAll boolean fancy, @ForAll @IntRange(min = -2, max = 5) int max,
            @ForAll("neverRetried") String kind) {
        assertThat(decide(fancy, max, 0, kind).retry()).isFalse();
    }

    @Property
    void accountableRetriesStopAtMaxRetryCount(@ForAll boolean fancy, @ForAll @IntRange(min = 0, max = 5) int max,
            @ForAll("outcomes") String kind) {
        // Retrying while the decision says so never lets the accountable count exceed a non-negative maxRetryCount.
        RetryPolicyStatus status = new RetryPolicyStatus();
        for (int round = 0; round < 20; round++) {
            RetryDecision decision = RetryDecision.decide(new RetryPolicySpec(fancy, max), status, outcome(kind), 0, 0,
                    new Random(round));
            if (!decision.retry()) {
                break;
            }
            status.totalRetriedCount++;
            if (decision.accountable()) {
                status.accountableRetriedCount++;
            }
        }
        assertThat(status.accountableRetriedCount).isLessThanOrEqualTo(max);
    }

    @Property
    void successIsRetriedOnlyByMinusTwo(@ForAll boolean fancy, @ForAll @IntRange(min = -2, max = 5) int max) {
        assertThat(decide(fancy, max, 0, "succeeded").retry()).isEqualTo(max == -2);
    }

    @Provide
    Arbitrary<String> outcomes() {
        return Arbitraries.of("succeeded", "transient", "conflict", "permanent", "unknown");
    }

    @Provide
    Arbitrary<String> neverRetried() {
        return Arbitraries.of("stop", "attemptcompletion", "scaledown");
    }

    @Property
    void theCodeTablesTypesMatchTheReference(@ForAll("predefined") CompletionCodes.Info info) {
        // Permanent codes are never retried under the fancy policy; Transient ones always are, unaccounted.
        CompletionStatus status = CompletionCodes.status(new CompletionStatus(), info, "x");
        RetryDecision decision = RetryDecision.decide(new RetryPolicySpec(true, 0), new RetryPolicyStatus(), status, 0, 0,
                new Random(3));
        if (info.type().has(CompletionType.TRANSIENT)) {
            assertThat(decision.retry()).isTrue();
            assertThat(decision.accountable()).isFalse();
        } else {
            assertThat(decision.retry()).isFalse();
        }
    }

    @Provide
    Arbitrary<CompletionCodes.Info> predefined() {
        return Arbitraries.of(CompletionCodes.CONTAINER_TRANSIENT_FAILED, CompletionCodes.CONTAINER_TRANSIENT_CONFLICT_FAILED,
                CompletionCodes.CONTAINER_PERMANENT_FAILED, CompletionCodes.CONFIGMAP_EXTERNAL_DELETED,
                CompletionCodes.POD_EXTERNAL_DELETED, CompletionCodes.CONFIGMAP_LOCAL_CACHE_CREATION_TIMEOUT,
                CompletionCodes.POD_LOCAL_CACHE_CREATION_TIMEOUT, CompletionCodes.POD_CREATION_PERMANENT_ERROR,
                CompletionCodes.STOP_FRAMEWORK_REQUESTED, CompletionCodes.FRAMEWORK_ATTEMPT_COMPLETION,
                CompletionCodes.DELETE_TASK_REQUESTED, CompletionCodes.POD_FAILED_WITHOUT_FAILED_CONTAINER,
                CompletionCodes.POD_CREATION_UNKNOWN_ERROR);
    }
}
