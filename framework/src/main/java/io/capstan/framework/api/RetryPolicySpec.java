package io.capstan.framework.api;

/**
 * {@code maxRetryCount}: -2 retries always (even success), -1 retries every failure, N retries up to N accountable
 * failures. {@code fancyRetryPolicy}: Transient failures retry without counting, Permanent ones never retry.
 */
public class RetryPolicySpec {

    private boolean fancyRetryPolicy;
    private int maxRetryCount;

    public RetryPolicySpec() {
    }

    public RetryPolicySpec(boolean fancyRetryPolicy, int maxRetryCount) {
        this.fancyRetryPolicy = fancyRetryPolicy;
        this.maxRetryCount = maxRetryCount;
    }

    public boolean isFancyRetryPolicy() {
        return fancyRetryPolicy;
    }

    public void setFancyRetryPolicy(boolean fancyRetryPolicy) {
        this.fancyRetryPolicy = fancyRetryPolicy;
    }

    public int getMaxRetryCount() {
        return maxRetryCount;
    }

    public void setMaxRetryCount(int maxRetryCount) {
        this.maxRetryCount = maxRetryCount;
    }
}
