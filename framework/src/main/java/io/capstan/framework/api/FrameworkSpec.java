package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** What the user asks for; never written by the controller. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FrameworkSpec {

    private String description;
    private String executionType;
    private RetryPolicySpec retryPolicy = new RetryPolicySpec();
    private List<TaskRoleSpec> taskRoles = new ArrayList<>();

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    /** {@code Create}, {@code Start}, {@code Stop}, or unset (which behaves as Start, like the peer). */
    public String getExecutionType() {
        return executionType;
    }

    public void setExecutionType(String executionType) {
        this.executionType = executionType;
    }

    public RetryPolicySpec getRetryPolicy() {
        return retryPolicy;
    }

    public void setRetryPolicy(RetryPolicySpec retryPolicy) {
        this.retryPolicy = retryPolicy == null ? new RetryPolicySpec() : retryPolicy;
    }

    public List<TaskRoleSpec> getTaskRoles() {
        return taskRoles;
    }

    public void setTaskRoles(List<TaskRoleSpec> taskRoles) {
        this.taskRoles = taskRoles == null ? new ArrayList<>() : taskRoles;
    }

    @JsonIgnore
    public ExecutionType execution() {
        return ExecutionType.of(executionType);
    }

    /** The role of that name, or null. */
    public TaskRoleSpec role(String name) {
        for (TaskRoleSpec role : taskRoles) {
            if (role != null && name.equals(role.getName())) {
                return role;
            }
        }
        return null;
    }

    /**
     * The roles the controller acts on: named, and the first of any that share a name (the admission webhook rejects
     * duplicates; one that got past it must not make two roles fight over the same pods).
     */
    @JsonIgnore
    public List<TaskRoleSpec> effectiveRoles() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<TaskRoleSpec> roles = new ArrayList<>();
        for (TaskRoleSpec role : taskRoles) {
            if (role != null && role.getName() != null && seen.add(role.getName())) {
                roles.add(role);
            }
        }
        return roles;
    }

    @JsonIgnore
    public int totalTaskNumber() {
        return effectiveRoles().stream().mapToInt(TaskRoleSpec::getTaskNumber).sum();
    }
}
