package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Written only by the controller. Ground-truth fields (attempt ids, ConfigMap and pod UIDs) only ever move forward;
 * the states can be rebuilt from them and the observed objects. Field names and nulls match FrameworkController.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"startTime", "runTime", "completionTime", "state", "transitionTime", "retryPolicyStatus", "attemptStatus"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class FrameworkStatus {

    public String startTime;
    public String runTime;
    public String completionTime;
    public FrameworkState state;
    public String transitionTime;
    public RetryPolicyStatus retryPolicyStatus = new RetryPolicyStatus();
    public FrameworkAttemptStatus attemptStatus = new FrameworkAttemptStatus();
}
