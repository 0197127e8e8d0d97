package io.capstan.framework.api;

/** When a role completes the whole attempt; values below 1 (-1 and 0) disable a condition, as in the peer. */
public class CompletionPolicySpec {

    private int minFailedTaskCount;
    private int minSucceededTaskCount;

    public CompletionPolicySpec() {
    }

    public CompletionPolicySpec(int minFailedTaskCount, int minSucceededTaskCount) {
        this.minFailedTaskCount = minFailedTaskCount;
        this.minSucceededTaskCount = minSucceededTaskCount;
    }

    public int getMinFailedTaskCount() {
        return minFailedTaskCount;
    }

    public void setMinFailedTaskCount(int minFailedTaskCount) {
        this.minFailedTaskCount = minFailedTaskCount;
    }

    public int getMinSucceededTaskCount() {
        return minSucceededTaskCount;
    }

    public void setMinSucceededTaskCount(int minSucceededTaskCount) {
        this.minSucceededTaskCount = minSucceededTaskCount;
    }
}
