package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionPolicySpec;
import io.capstan.framework.api.FrameworkAttemptCompletionStatus;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.FrameworkSpec;
import io.capstan.framework.api.TaskAttemptCompletionStatus;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** FrameworkAttemptCompletionPolicy, as FrameworkController's doc/user-manual.md and types.go define it. */
class CompletionPolicyTest {

    /** A spec and attempt built role by role; tasks start running and are completed in call order. */
    private static final class Attempt {
        final FrameworkSpec spec = new FrameworkSpec();
        final FrameworkAttemptStatus status = new FrameworkAttemptStatus();
        private int clock;

        Attempt role(String name, int tasks, int minFailed, int minSucceeded) {
            TaskRoleSpec role = new TaskRoleSpec();
            role.setName(name);
            role.setTaskNumber(tasks);
            role.setFrameworkAttemptCompletionPolicy(new CompletionPolicySpec(minFailed, minSucceeded));
            spec.getTaskRoles().add(role);
            TaskRoleStatus roleStatus = new TaskRoleStatus();
            roleStatus.name = name;
            for (int i = 0; i < tasks; i++) {
                TaskStatus task = new TaskStatus();
                task.index = i;
                task.state = TaskState.AttemptRunning;
                roleStatus.taskStatuses.add(task);
            }
            status.taskRoleStatuses.add(roleStatus);
            return this;
        }

        Attempt complete(String role, int index, CompletionCodes.Info how) {
            TaskStatus task = status.role(role).taskStatuses.get(index);
            task.state = TaskState.Completed;
            task.completionTime = String.format("2026-11-23T10:00:%02dZ", clock++);
            task.attemptStatus.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(), how,
                    "diagnostics of " + role + "-" + index);
            return this;
        }

        Attempt fail(String role, int index) {
            return complete(role, index, CompletionCodes.CONTAINER_PERMANENT_FAILED);
        }

        Attempt succeed(String role, int index) {
            return complete(role, index, CompletionCodes.SUCCEEDED);
        }

        Attempt deletionPending(String role, int index) {
            status.role(role).taskStatuses.get(index).deletionPending = true;
            return this;
        }

        Optional<FrameworkAttemptCompletionStatus> evaluate() {
            return CompletionPolicy.evaluate(spec, status);
        }
    }

    @Test
    void nothingCompletedMeansNoCompletion() {
        assertThat(new Attempt().role("worker", 3, 1, 1).evaluate()).isEmpty();
    }

    @Test
    void minFailedCompletesWithTheTriggeringTasksStatus() {
        FrameworkAttemptCompletionStatus status = new Attempt().role("worker", 3, 2, -1).fail("worker", 2).fail("worker", 0)
                .evaluate().orElseThrow();

        assertThat(status.code).isEqualTo(210);
        assertThat(status.phrase).isEqualTo("ContainerPermanentFailed");
        assertThat(status.type.attributes).containsExactly("Permanent");
        assertThat(status.diagnostics).isEqualTo("diagnostics of worker-0");
        assertThat(status.trigger.message).isEqualTo("FailedTaskCount 2 has reached MinFailedTaskCount 2 in the TaskRole");
        assertThat(status.trigger.taskRoleName).isEqualTo("worker");
        assertThat(status.trigger.taskIndex).isEqualTo(0);
    }

    @Test
    void oneFailureBelowMinFailedDoesNotComplete() {
        assertThat(new Attempt().role("worker", 3, 2, -1).fail("worker", 1).evaluate()).isEmpty();
    }

    @Test
    void minSucceededCompletesWhileOtherRolesStillRun() {
        FrameworkAttemptCompletionStatus status = new Attempt().role("server", 2, 1, -1).role("worker", 3, 1, 3)
                .succeed("worker", 1).succeed("worker", 0).succeed("worker", 2).evaluate().orElseThrow();

        assertThat(status.code).isZero();
        assertThat(status.type.name).isEqualTo("Succeeded");
        assertThat(status.trigger.message).isEqualTo("SucceededTaskCount 3 has reached MinSucceededTaskCount 3 in the TaskRole");
        assertThat(status.trigger.taskRoleName).isEqualTo("worker");
        assertThat(status.trigger.taskIndex).isEqualTo(2);
    }

    @Test
    void theEarliestTriggerWinsAcrossRoles() {
        FrameworkAttemptCompletionStatus status = new Attempt().role("a", 2, 1, -1).role("b", 2, 1, -1)
                .fail("b", 1).fail("a", 0).evaluate().orElseThrow();

        assertThat(status.trigger.taskRoleName).isEqualTo("b");
        assertThat(status.trigger.taskIndex).isEqualTo(1);
    }

    @Test
    void failedIsPreferredOverSucceededOnTheSameTrigger() {
        Attempt attempt = new Attempt().role("a", 2, 1, 1).fail("a", 0).succeed("a", 1);
        // Same completion time for both: the failure condition is checked first.
        attempt.status.role("a").taskStatuses.get(1).completionTime = attempt.status.role("a").taskStatuses.get(0).completionTime;

        assertThat(attempt.evaluate().orElseThrow().code).isEqualTo(210);
    }

    @Test
    void allCompletedWithoutATriggerSucceedsEvenIfTheyAllFailed() {
        // minFailed -1 and every task failed -> the attempt succeeds (FrameworkController's user manual).
        FrameworkAttemptCompletionStatus status = new Attempt().role("worker", 2, -1, -1).fail("worker", 1)
                .fail("worker", 0).evaluate().orElseThrow();

        assertThat(status.code).isZero();
        assertThat(status.phrase).isEqualTo("Succeeded");
        assertThat(status.diagnostics).isEqualTo("CompletedTaskCount 2 has reached TotalTaskCount 2 and no user specified "
                + "conditions in FrameworkAttemptCompletionPolicy have ever been triggered");
        assertThat(status.trigger.taskRoleName).isEqualTo("worker");
        assertThat(status.trigger.taskIndex).isZero();
    }

    @Test
    void zeroDisablesAConditionLikeMinusOne() {
        assertThat(new Attempt().role("a", 2, 0, 0).fail("a", 0).evaluate()).isEmpty();
    }

    @Test
    void zeroTasksNeverComplete() {
        assertThat(new Attempt().role("a", 0, 1, 1).evaluate()).isEmpty();
        assertThat(new Attempt().evaluate()).isEmpty();
    }

    @Test
    void deletionPendingTasksNeverCount() {
        Attempt attempt = new Attempt().role("a", 4, 2, -1).fail("a", 2).fail("a", 3).deletionPending("a", 2)
                .deletionPending("a", 3);
        attempt.spec.getTaskRoles().getFirst().setTaskNumber(2);

        assertThat(attempt.evaluate()).isEmpty();
        // ... and they do not block the all-completed rule either.
        attempt.succeed("a", 0).succeed("a", 1);
        assertThat(attempt.evaluate().orElseThrow().trigger.message).startsWith("CompletedTaskCount 2 has reached TotalTaskCount 2");
    }

    @Test
    void loweringMinFailedInTheSpecCompletesTheAttempt() {
        Attempt attempt = new Attempt().role("a", 3, 3, -1).fail("a", 0).fail("a", 1);
        assertThat(attempt.evaluate()).isEmpty();

        attempt.spec.getTaskRoles().getFirst().getFrameworkAttemptCompletionPolicy().setMinFailedTaskCount(2);

        assertThat(attempt.evaluate().orElseThrow().trigger.message)
                .isEqualTo("FailedTaskCount 2 has reached MinFailedTaskCount 2 in the TaskRole");
    }

    @Test
    void aRoleMissingFromTheStatusIsIgnored() {
        Attempt attempt = new Attempt().role("a", 1, 1, -1);
        TaskRoleSpec added = new TaskRoleSpec();
        added.setName("b");
        added.setTaskNumber(1);
        attempt.spec.getTaskRoles().add(added);
        attempt.fail("a", 0);

        assertThat(attempt.evaluate().orElseThrow().trigger.taskRoleName).isEqualTo("a");
    }

    /** Outcome per task: 0 running, 1 succeeded, 2 failed. */
    @Property
    void completesExactlyWhenAConditionHoldsOrEverythingEnded(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 2) Integer> outcomes,
            @ForAll @IntRange(min = -1, max = 4) int minFailed, @ForAll @IntRange(min = -1, max = 4) int minSucceeded) {
        Attempt attempt = new Attempt().role("r", outcomes.size(), minFailed, minSucceeded);
        int failed = 0;
        int succeeded = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) == 1) {
                attempt.succeed("r", i);
                succeeded++;
            } else if (outcomes.get(i) == 2) {
                attempt.fail("r", i);
                failed++;
            }
        }
        boolean failedTriggers = minFailed >= 1 && failed >= minFailed;
        boolean succeededTriggers = minSucceeded >= 1 && succeeded >= minSucceeded;
        boolean allDone = failed + succeeded == outcomes.size();

        Optional<FrameworkAttemptCompletionStatus> result = attempt.evaluate();

        assertThat(result.isPresent()).isEqualTo(failedTriggers || succeededTriggers || allDone);
        result.ifPresent(status -> {
            if (!failedTriggers && !succeededTriggers) {
                assertThat(status.code).isZero();
                assertThat(status.trigger.message).startsWith("CompletedTaskCount");
            } else {
                assertThat(status.trigger.message).contains("has reached Min");
                assertThat(status.trigger.taskRoleName).isEqualTo("r");
            }
        });
    }
}
