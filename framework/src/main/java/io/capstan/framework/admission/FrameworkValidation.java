package io.capstan.framework.admission;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.framework.api.ExecutionType;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkSpec;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.model.TaskPods;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules the CRD schema cannot express. The admission webhook rejects a Framework that breaks any of them, naming
 * every problem at once; the controller reports the same problems as a Warning Event when a Framework got past the
 * webhook (for instance while the webhook was not installed).
 */
public final class FrameworkValidation {

    private FrameworkValidation() {
    }

    /** Problems of a new Framework, or of an update when {@code old} is given; empty when it is fine. */
    public static List<String> problems(Framework framework, Framework old) {
        List<String> problems = new ArrayList<>();
        FrameworkSpec spec = framework.getSpec();
        if (spec == null) {
            return problems;
        }
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < spec.getTaskRoles().size(); i++) {
            TaskRoleSpec role = spec.getTaskRoles().get(i);
            String where = "spec.taskRoles[" + i + "]";
            if (role == null) {
                problems.add(where + " must not be null");
                continue;
            }
            if (role.getName() == null || role.getName().isEmpty()) {
                problems.add(where + ".name is required: it names the role's pods ({framework}-{role}-{index})");
            } else {
                Integer first = firstIndex.putIfAbsent(role.getName(), i);
                if (first != null) {
                    problems.add(where + ".name \"" + role.getName() + "\" is already used by spec.taskRoles[" + first
                            + "]: role names must be unique, since they name the pods");
                }
            }
            checkCompletionPolicy(role, where, problems);
            checkPodTemplate(role.getTask().getPod(), where + ".task.pod", problems);
        }
        if (old != null && old.getSpec() != null) {
            ExecutionType before = old.getSpec().execution();
            ExecutionType after = spec.execution();
            if (before != after && !(before == ExecutionType.Create || after == ExecutionType.Stop)) {
                problems.add("spec.executionType cannot change from " + before + " to " + after
                        + ": only Create -> Start, Create -> Stop and Start -> Stop have an effect (a stopped Framework "
                        + "stays Completed; create a new one to run again)");
            }
        }
        return problems;
    }

    /** A condition above the role's task count can never trigger (a paused role, taskNumber 0, is allowed). */
    private static void checkCompletionPolicy(TaskRoleSpec role, String where, List<String> problems) {
        int tasks = role.getTaskNumber();
        if (tasks < 1) {
            return;
        }
        var policy = role.getFrameworkAttemptCompletionPolicy();
        if (policy.getMinFailedTaskCount() > tasks) {
            problems.add(where + ".frameworkAttemptCompletionPolicy.minFailedTaskCount " + policy.getMinFailedTaskCount()
                    + " can never be reached: the role has taskNumber " + tasks + " (use -1 to disable the condition, or "
                    + "change both in the same update when rescaling)");
        }
        if (policy.getMinSucceededTaskCount() > tasks) {
            problems.add(where + ".frameworkAttemptCompletionPolicy.minSucceededTaskCount "
                    + policy.getMinSucceededTaskCount() + " can never be reached: the role has taskNumber " + tasks
                    + " (use -1 to disable the condition, or change both in the same update when rescaling)");
        }
    }

    private static void checkPodTemplate(JsonNode template, String where, List<String> problems) {
        String problem = TaskPods.templateProblem(template);
        if (problem != null) {
            problems.add(where + ": " + problem);
            return;
        }
        JsonNode containers = template == null ? null : template.path("spec").path("containers");
        if (containers == null || !containers.isArray() || containers.isEmpty()) {
            problems.add(where + ".spec.containers must list at least one container: every task runs a pod");
        }
    }

    /** One line for an error message or Event: "N problems: a; b". */
    public static String summary(List<String> problems) {
        return (problems.size() == 1 ? "1 problem: " : problems.size() + " problems: ") + String.join("; ", problems);
    }
}
