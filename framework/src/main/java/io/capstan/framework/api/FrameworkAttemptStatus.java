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

    public int id;
    public String startTime;
    public String runTime;
    public String completionTime;
    public String instanceUID;
    public String configMapName;
    public String configMapUID;
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
