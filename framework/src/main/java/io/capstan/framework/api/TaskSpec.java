package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A task's retry policy, how long to wait for its pod's graceful deletion before forcing it (null: never force),
 * and its pod template. The template is kept as JSON exactly as written, so fields the Java model does not know
 * are never lost.
 */
public class TaskSpec {

    private RetryPolicySpec retryPolicy = new RetryPolicySpec();
    @JsonInclude(JsonInclude.Include.ALWAYS)
    private Long podGracefulDeletionTimeoutSec;
    private JsonNode pod = JsonNodeFactory.instance.objectNode();

    public RetryPolicySpec getRetryPolicy() {
        return retryPolicy;
    }

    public void setRetryPolicy(RetryPolicySpec retryPolicy) {
        this.retryPolicy = retryPolicy == null ? new RetryPolicySpec() : retryPolicy;
    }

    public Long getPodGracefulDeletionTimeoutSec() {
        return podGracefulDeletionTimeoutSec;
    }

    public void setPodGracefulDeletionTimeoutSec(Long podGracefulDeletionTimeoutSec) {
        this.podGracefulDeletionTimeoutSec = podGracefulDeletionTimeoutSec;
    }

    public JsonNode getPod() {
        return pod;
    }

    public void setPod(JsonNode pod) {
        this.pod = pod == null ? JsonNodeFactory.instance.objectNode() : pod;
    }
}
