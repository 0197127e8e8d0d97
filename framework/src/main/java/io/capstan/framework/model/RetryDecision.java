package io.capstan.framework.model;

import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionStatus;
import io.capstan.framework.api.CompletionType;
import io.capstan.framework.api.RetryPolicySpec;
import io.capstan.framework.api.RetryPolicyStatus;
import java.util.random.RandomGenerator;

/**
 * Whether an attempt that ended with a given completion is retried (FrameworkController's {@code ShouldRetry}).
 *
 * @param accountable whether the retry counts against {@code maxRetryCount}
 * @param delaySec how long to wait first (non-zero only for Transient+Conflict failures under the fancy policy)
 */
public record RetryDecision(boolean retry, boolean accountable, long delaySec, String reason) {

    /**
     * @param minDelaySec, maxDelaySec bounds of the random delay for Transient+Conflict failures (0/0 for tasks)
     */
    public static RetryDecision decide(RetryPolicySpec spec, RetryPolicyStatus status, CompletionStatus completion,
            long minDelaySec, long maxDelaySec, RandomGenerator random) {
        int code = completion.code == null ? 0 : completion.code;
        if (CompletionCodes.neverRetried(code)) {
            return new RetryDecision(false, false, 0, "completion code " + code + " is never retried");
        }
        CompletionType type = completion.type == null ? new CompletionType() : completion.type;
        if (spec.isFancyRetryPolicy() && type.isFailed()) {
            if (type.has(CompletionType.TRANSIENT) && type.has(CompletionType.CONFLICT)) {
                long delay = minDelaySec >= maxDelaySec ? minDelaySec : random.nextLong(minDelaySec, maxDelaySec + 1);
                return new RetryDecision(true, false, delay,
                        "FancyRetryPolicy is enabled and the failure is Transient Conflict: retry without counting it, after "
                                + delay + "s");
            }
            if (type.has(CompletionType.TRANSIENT)) {
                return new RetryDecision(true, false, 0,
                        "FancyRetryPolicy is enabled and the failure is Transient: retry without counting it");
            }
            if (type.has(CompletionType.PERMANENT)) {
                return new RetryDecision(false, false, 0,
                        "FancyRetryPolicy is enabled and the failure is Permanent: no retry");
            }
        }
        int max = spec.getMaxRetryCount();
        if (max == -2) {
            return new RetryDecision(true, true, 0, "MaxRetryCount is -2: always retry");
        }
        if (type.isFailed() && max == -1) {
            return new RetryDecision(true, true, 0, "MaxRetryCount is -1: retry every failure");
        }
        if (type.isFailed() && status.accountableRetriedCount < max) {
            return new RetryDecision(true, true, 0, "AccountableRetriedCount " + status.accountableRetriedCount
                    + " has not reached MaxRetryCount " + max);
        }
        if (type.isSucceeded()) {
            return new RetryDecision(false, false, 0, "the attempt succeeded");
        }
        return new RetryDecision(false, false, 0, "AccountableRetriedCount " + status.accountableRetriedCount
                + " has reached MaxRetryCount " + max);
    }
}
