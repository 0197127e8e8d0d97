package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Written only by the controller. Ground-truth fields (attempt ids, ConfigMap and pod UIDs) only ever move forward;
 * the states can be rebuilt from them and the observed objects. Field names, nulls and the invariants documented
 * per field are FrameworkController's (its pkg/apis/frameworkcontroller/v1/types.go).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"startTime", "runTime", "completionTime", "state", "transitionTime", "retryPolicyStatus", "attemptStatus"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class FrameworkStatus {

    /** When the controller first initialised the status. */
    public String startTime;
    /** When any attempt first entered AttemptRunning; null until then. */
    public String runTime;
    /** When the Framework entered Completed; null until then. */
    public String completionTime;
    public FrameworkState state;
    /** When {@link #state} last changed. */
    public String transitionTime;
    /** Framework-level retries; {@code totalRetriedCount} is the ground truth of the current attempt's id. */
    public RetryPolicyStatus retryPolicyStatus = new RetryPolicyStatus();
    /** The current attempt only; earlier attempts are in the LogObjectSnapshot history. */
    public FrameworkAttemptStatus attemptStatus = new FrameworkAttemptStatus();
}
