package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** One task instance; {@code deletionPending} marks a task removed by ScaleDown (never reset). */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"index", "instanceUID", "startTime", "runTime", "completionTime", "state", "transitionTime",
    "deletionPending", "retryPolicyStatus", "attemptStatus"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class TaskStatus {

    public int index;
    public String instanceUID;
    public String startTime;
    public String runTime;
    public String completionTime;
    public TaskState state;
    public String transitionTime;
    public boolean deletionPending;
    public RetryPolicyStatus retryPolicyStatus = new RetryPolicyStatus();
    public TaskAttemptStatus attemptStatus = new TaskAttemptStatus();
}
