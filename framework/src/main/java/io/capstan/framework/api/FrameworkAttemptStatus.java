package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;

/** The current attempt; its ConfigMap {@code {name}-attempt} represents the running attempt instance. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"id", "startTime", "runTime", "completionTime", "instanceUID", "configMapName", "configMapUID",
    "completionStatus", "taskRoleStatuses", "taskRoleStatusesCompressed"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class FrameworkAttemptStatus {

    /** The FrameworkAttemptID: {@code retryPolicyStatus.totalRetriedCount} of the Framework (0, 1, 2, …). */
    public int id;
    public String startTime;
    public String runTime;
    public String completionTime;
    /**
     * {@code {id}_{configMapUID}}, set once the ConfigMap create succeeded: identifies this attempt instance
     * universally, across deletions and re-creations of the Framework.
     */
    public String instanceUID;
    /** Always {@code {FrameworkName}-attempt}, for the life of the Framework. */
    public String configMapName;
    /**
     * The UID of the ConfigMap that represents this attempt instance; null until it is created. Ground truth,
     * monotonically exposed: it only changes to a new non-null UID together with a new {@link #id}.
     */
    public String configMapUID;
    /** Null until the attempt starts completing; never changed once set. */
    public FrameworkAttemptCompletionStatus completionStatus;
    public List<TaskRoleStatus> taskRoleStatuses = new ArrayList<>();
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public String taskRoleStatusesCompressed;

    /** The role's status, or null. */
    public TaskRoleStatus role(String name) {
        if (taskRoleStatuses == null) {
            return null;
        }
        for (TaskRoleStatus role : taskRoleStatuses) {
            if (role.name.equals(name)) {
                return role;
            }
        }
        return null;
    }
}
