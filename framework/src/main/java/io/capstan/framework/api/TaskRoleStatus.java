package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * A role's tasks ({@code taskStatuses[i]} is task index i), and the graceful-deletion timeout in effect for its
 * pods, copied from the spec before any deletion uses it (so it outlives a removed role).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public class TaskRoleStatus {

    public String name;
    /** A random UUID per role instance: new when the role is deleted and added again, and in every attempt. */
    public String instanceUID;
    /**
     * The spec's value, persisted before it is used, so in-flight graceful deletions keep it even after the
     * role is removed from the spec.
     */
    public Long podGracefulDeletionTimeoutSec;
    /** One per task; the array index is the task index. */
    public List<TaskStatus> taskStatuses = new ArrayList<>();
}
