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
    public String instanceUID;
    public Long podGracefulDeletionTimeoutSec;
    public List<TaskStatus> taskStatuses = new ArrayList<>();
}
