package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The task's current attempt and the pod {@code {framework}-{role}-{index}} that represents it. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "startTime", "runTime", "completionTime", "instanceUID", "podName", "podUID", "podNodeName",
    "podIP", "podHostIP", "completionStatus"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class TaskAttemptStatus {

    public int id;
    public String startTime;
    public String runTime;
    public String completionTime;
    public String instanceUID;
    public String podName;
    public String podUID;
    public String podNodeName;
    public String podIP;
    public String podHostIP;
    public TaskAttemptCompletionStatus completionStatus;
}
