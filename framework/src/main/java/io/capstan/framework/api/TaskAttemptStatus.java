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

    /** The TaskAttemptID: the task's {@code retryPolicyStatus.totalRetriedCount}. */
    public int id;
    public String startTime;
    public String runTime;
    public String completionTime;
    /** {@code {id}_{podUID}}: identifies this task attempt instance universally. */
    public String instanceUID;
    /** Always {@code {FrameworkName}-{TaskRoleName}-{TaskIndex}}, the same across retries. */
    public String podName;
    /**
     * The UID of this attempt's pod; null until the create succeeded. Ground truth, monotonically exposed: it
     * only changes to a new non-null UID together with a new {@link #id}.
     */
    public String podUID;
    /**
     * Copied from the observed pod ({@code spec.nodeName}) on every sync while it exists and is not being
     * deleted; may be empty.
     */
    public String podNodeName;
    /** Copied from the observed pod ({@code status.podIP}), as {@link #podNodeName}. */
    public String podIP;
    /** Copied from the observed pod ({@code status.hostIP}), as {@link #podNodeName}. */
    public String podHostIP;
    /** Null until the attempt starts completing; never changed once set. */
    public TaskAttemptCompletionStatus completionStatus;
}
