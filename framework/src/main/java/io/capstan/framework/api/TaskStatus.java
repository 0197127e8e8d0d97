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

    /** The TaskIndex; the pod is {@code {FrameworkName}-{TaskRoleName}-{index}}. */
    public int index;
    /**
     * A random UUID per task instance: new when ScaleDown and ScaleUp replace the task, and in every Framework
     * attempt.
     */
    public String instanceUID;
    public String startTime;
    public String runTime;
    public String completionTime;
    public TaskState state;
    public String transitionTime;
    /** True once ScaleDown removed the task; never reset (the task is later deleted or replaced). */
    public boolean deletionPending;
    /** Task-level retries; {@code totalRetriedCount} is the ground truth of the current attempt's id. */
    public RetryPolicyStatus retryPolicyStatus = new RetryPolicyStatus();
    public TaskAttemptStatus attemptStatus = new TaskAttemptStatus();
}
