package io.capstan.framework.model;

import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionPolicySpec;
import io.capstan.framework.api.FrameworkAttemptCompletionStatus;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.FrameworkSpec;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * FrameworkAttemptCompletionPolicy: whether the current attempt is complete, and how. Evaluated in full on every
 * sync, since spec edits (lower counts, fewer tasks) can complete an attempt as well as task completions.
 * Completed tasks count as failed or succeeded by their attempt's completion type; DeletionPending tasks never
 * count. Values below 1 disable a condition.
 */
public final class CompletionPolicy {

    private CompletionPolicy() {
    }

    private record Candidate(String time, int roleOrder, int conditionOrder, int taskIndex,
            FrameworkAttemptCompletionStatus status) {
    }

    /** The attempt's completion status when the policy says it is complete, else empty. */
    public static Optional<FrameworkAttemptCompletionStatus> evaluate(FrameworkSpec spec, FrameworkAttemptStatus attempt) {
        List<Candidate> candidates = new ArrayList<>();
        List<TaskRoleSpec> roles = spec.effectiveRoles();
        for (int order = 0; order < roles.size(); order++) {
            TaskRoleSpec role = roles.get(order);
            TaskRoleStatus roleStatus = attempt.role(role.getName());
            if (roleStatus == null) {
                continue;
            }
            CompletionPolicySpec policy = role.getFrameworkAttemptCompletionPolicy();
            List<TaskStatus> failed = completed(roleStatus, true);
            List<TaskStatus> succeeded = completed(roleStatus, false);
            if (policy.getMinFailedTaskCount() >= 1 && failed.size() >= policy.getMinFailedTaskCount()) {
                TaskStatus trigger = failed.get(policy.getMinFailedTaskCount() - 1);
                candidates.add(new Candidate(trigger.completionTime, order, 0, trigger.index, copied(trigger,
                        "FailedTaskCount " + failed.size() + " has reached MinFailedTaskCount "
                                + policy.getMinFailedTaskCount() + " in the TaskRole", role.getName())));
            }
            if (policy.getMinSucceededTaskCount() >= 1 && succeeded.size() >= policy.getMinSucceededTaskCount()) {
                TaskStatus trigger = succeeded.get(policy.getMinSucceededTaskCount() - 1);
                candidates.add(new Candidate(trigger.completionTime, order, 1, trigger.index, copied(trigger,
                        "SucceededTaskCount " + succeeded.size() + " has reached MinSucceededTaskCount "
                                + policy.getMinSucceededTaskCount() + " in the TaskRole", role.getName())));
            }
        }
        if (!candidates.isEmpty()) {
            candidates.sort(Comparator.comparing(Candidate::time, Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparingInt(Candidate::roleOrder).thenComparingInt(Candidate::conditionOrder));
            return Optional.of(candidates.getFirst().status());
        }
        return allCompleted(spec, attempt);
    }

    /** Completed, non-DeletionPending tasks of one kind, in the order they completed (ties by index). */
    private static List<TaskStatus> completed(TaskRoleStatus role, boolean failed) {
        List<TaskStatus> tasks = new ArrayList<>();
        for (TaskStatus task : role.taskStatuses) {
            if (task.deletionPending || task.state != TaskState.Completed || task.attemptStatus.completionStatus == null) {
                continue;
            }
            boolean taskFailed = task.attemptStatus.completionStatus.type.isFailed();
            if (taskFailed == failed) {
                tasks.add(task);
            }
        }
        tasks.sort(Comparator.comparing((TaskStatus t) -> t.completionTime, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparingInt(t -> t.index));
        return tasks;
    }

    private static FrameworkAttemptCompletionStatus copied(TaskStatus trigger, String message, String role) {
        var source = trigger.attemptStatus.completionStatus;
        FrameworkAttemptCompletionStatus status = new FrameworkAttemptCompletionStatus();
        status.code = source.code;
        status.phrase = source.phrase;
        status.type = new io.capstan.framework.api.CompletionType(source.type.name, source.type.attributes);
        status.diagnostics = source.diagnostics;
        status.trigger = new FrameworkAttemptCompletionStatus.Trigger(message, role, trigger.index);
        return status;
    }

    /** Every non-DeletionPending task completed and nothing triggered: success, unless the spec has no tasks. */
    private static Optional<FrameworkAttemptCompletionStatus> allCompleted(FrameworkSpec spec, FrameworkAttemptStatus attempt) {
        int total = spec.totalTaskNumber();
        if (total < 1) {
            return Optional.empty();
        }
        int completedCount = 0;
        TaskStatus last = null;
        String lastRole = null;
        for (TaskRoleStatus role : attempt.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                if (task.deletionPending) {
                    continue;
                }
                if (task.state != TaskState.Completed) {
                    return Optional.empty();
                }
                completedCount++;
                if (last == null || compareTimes(task.completionTime, last.completionTime) > 0) {
                    last = task;
                    lastRole = role.name;
                }
            }
        }
        if (completedCount < total) {
            return Optional.empty();
        }
        String message = "CompletedTaskCount " + completedCount + " has reached TotalTaskCount " + total
                + " and no user specified conditions in FrameworkAttemptCompletionPolicy have ever been triggered";
        FrameworkAttemptCompletionStatus status = CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                CompletionCodes.SUCCEEDED, message);
        if (last != null) {
            status.trigger = new FrameworkAttemptCompletionStatus.Trigger(message, lastRole, last.index);
        }
        return Optional.of(status);
    }

    private static int compareTimes(String a, String b) {
        if (a == null) {
            return b == null ? 0 : -1;
        }
        return b == null ? 1 : a.compareTo(b);
    }
}
