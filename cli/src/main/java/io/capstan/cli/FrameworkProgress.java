package io.capstan.cli;

import io.capstan.framework.api.CompletionStatus;
import io.capstan.framework.api.FrameworkAttemptCompletionStatus;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskAttemptStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What changed between two statuses of a Framework, as lines for a person following it: the Framework's state and
 * attempts, each task's state, where its pod runs, how each attempt ended, and why it is retried or not.
 */
final class FrameworkProgress {

    private FrameworkProgress() {
    }

    static List<String> changes(FrameworkStatus before, FrameworkStatus after) {
        List<String> lines = new ArrayList<>();
        if (after == null) {
            return lines;
        }
        int attempt = after.attemptStatus.id;
        boolean newAttempt = before == null || before.attemptStatus.id != attempt;
        if (newAttempt && before != null) {
            lines.add("attempt " + attempt + " starts (Framework retry " + after.retryPolicyStatus.totalRetriedCount
                    + ", " + after.retryPolicyStatus.accountableRetriedCount + " counted against maxRetryCount)");
        }
        if (before == null || before.state != after.state) {
            lines.add(frameworkState(before, after));
        }
        if (before != null && before.retryPolicyStatus.retryDelaySec == null && after.retryPolicyStatus.retryDelaySec != null) {
            lines.add("Framework will be retried in " + after.retryPolicyStatus.retryDelaySec + "s");
        }
        Map<String, TaskStatus> previous = newAttempt ? Map.of() : tasksByName(before);
        if (after.attemptStatus.taskRoleStatuses == null) {
            return lines;
        }
        for (TaskRoleStatus role : after.attemptStatus.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                lines.addAll(taskChanges(role.name + "-" + task.index, previous.get(role.name + "-" + task.index), task));
            }
        }
        return lines;
    }

    private static String frameworkState(FrameworkStatus before, FrameworkStatus status) {
        String line = "Framework " + status.state + " (attempt " + status.attemptStatus.id + ")";
        FrameworkAttemptCompletionStatus completion = status.attemptStatus.completionStatus;
        boolean decided = completion != null && (before == null || before.attemptStatus.id != status.attemptStatus.id
                || before.attemptStatus.completionStatus == null);
        if (decided) {
            line += ": " + describe(completion);
            if (completion.trigger != null && completion.trigger.message != null) {
                line += " - " + completion.trigger.message
                        + (completion.trigger.taskRoleName == null ? "" : " (task " + completion.trigger.taskRoleName + "-"
                        + completion.trigger.taskIndex + ")");
            }
        }
        return line;
    }

    private static List<String> taskChanges(String name, TaskStatus before, TaskStatus after) {
        List<String> lines = new ArrayList<>();
        String prefix = "  " + name + " ";
        if (before != null && !Objects.equals(before.instanceUID, after.instanceUID)) {
            lines.add(prefix + "replaced by a new task instance");
            before = null;
        }
        if (before != null && after.retryPolicyStatus.totalRetriedCount > before.retryPolicyStatus.totalRetriedCount) {
            lines.add(prefix + "retried as attempt " + after.attemptStatus.id + " (" + after.retryPolicyStatus.accountableRetriedCount
                    + " of its retries counted against maxRetryCount)");
        }
        if (before != null && before.state == after.state && before.deletionPending == after.deletionPending) {
            return lines;
        }
        if (after.deletionPending && (before == null || !before.deletionPending)) {
            lines.add(prefix + "is being removed by a ScaleDown");
        }
        if (before == null || before.state != after.state) {
            boolean decided = after.attemptStatus.completionStatus != null && (before == null
                    || before.attemptStatus.id != after.attemptStatus.id || before.attemptStatus.completionStatus == null);
            lines.add(prefix + taskState(after, decided));
        }
        return lines;
    }

    private static String taskState(TaskStatus task, boolean decided) {
        TaskAttemptStatus attempt = task.attemptStatus;
        String line = task.state.name();
        if (task.state == TaskState.AttemptRunning && attempt.podName != null) {
            line += " (pod " + attempt.podName + (empty(attempt.podNodeName) ? "" : " on " + attempt.podNodeName)
                    + (empty(attempt.podIP) ? "" : ", " + attempt.podIP) + ")";
        }
        if (decided) {
            line += ": " + describe(attempt.completionStatus);
        }
        return line;
    }

    static String describe(CompletionStatus completion) {
        String type = completion.type == null || completion.type.isSucceeded() ? "" : completion.type.name
                + (completion.type.attributes == null || completion.type.attributes.isEmpty() ? ""
                : " " + completion.type.attributes);
        return "code " + completion.code + " " + completion.phrase + (type.isEmpty() ? "" : " (" + type + ")")
                + (completion.diagnostics == null || completion.diagnostics.length() > 160 ? ""
                : ", " + completion.diagnostics);
    }

    private static Map<String, TaskStatus> tasksByName(FrameworkStatus status) {
        Map<String, TaskStatus> tasks = new HashMap<>();
        if (status.attemptStatus.taskRoleStatuses != null) {
            for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
                for (TaskStatus task : role.taskStatuses) {
                    tasks.put(role.name + "-" + task.index, task);
                }
            }
        }
        return tasks;
    }

    private static boolean empty(String value) {
        return value == null || value.isEmpty();
    }
}
