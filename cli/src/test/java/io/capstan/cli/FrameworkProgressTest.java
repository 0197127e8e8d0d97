package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.FrameworkAttemptCompletionStatus;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskAttemptCompletionStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import org.junit.jupiter.api.Test;

class FrameworkProgressTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FrameworkStatus status(FrameworkState state, TaskState task) {
        FrameworkStatus status = new FrameworkStatus();
        status.state = state;
        TaskRoleStatus role = new TaskRoleStatus();
        role.name = "worker";
        TaskStatus taskStatus = new TaskStatus();
        taskStatus.instanceUID = "t0";
        taskStatus.state = task;
        taskStatus.attemptStatus.podName = "fw-worker-0";
        taskStatus.attemptStatus.podNodeName = "local";
        taskStatus.attemptStatus.podIP = "10.0.0.1";
        role.taskStatuses.add(taskStatus);
        status.attemptStatus.taskRoleStatuses.add(role);
        return status;
    }

    private static FrameworkStatus copy(FrameworkStatus status) {
        return JSON.convertValue(status, FrameworkStatus.class);
    }

    @Test
    void theFirstStatusListsTheFrameworkAndEveryTask() {
        assertThat(FrameworkProgress.changes(null, status(FrameworkState.AttemptCreationPending, TaskState.AttemptCreationPending)))
                .containsExactly("Framework AttemptCreationPending (attempt 0)", "  worker-0 AttemptCreationPending");
    }

    @Test
    void onlyChangesArePrintedWithWhereAPodRunsAndHowAnAttemptEnded() {
        FrameworkStatus preparing = status(FrameworkState.AttemptPreparing, TaskState.AttemptPreparing);
        FrameworkStatus running = status(FrameworkState.AttemptRunning, TaskState.AttemptRunning);
        FrameworkStatus failed = copy(running);
        TaskStatus task = failed.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.getFirst();
        task.state = TaskState.AttemptDeletionPending;
        task.attemptStatus.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                CompletionCodes.CONTAINER_PERMANENT_FAILED, "Pod failed");
        FrameworkStatus completed = copy(failed);
        completed.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.getFirst().state = TaskState.Completed;

        assertThat(FrameworkProgress.changes(preparing, preparing)).isEmpty();
        assertThat(FrameworkProgress.changes(preparing, running)).containsExactly("Framework AttemptRunning (attempt 0)",
                "  worker-0 AttemptRunning (pod fw-worker-0 on local, 10.0.0.1)");
        assertThat(FrameworkProgress.changes(running, failed)).containsExactly(
                "  worker-0 AttemptDeletionPending: code 210 ContainerPermanentFailed (Failed [Permanent]), Pod failed");
        assertThat(FrameworkProgress.changes(failed, completed)).containsExactly("  worker-0 Completed");
    }

    @Test
    void retriesAndFrameworkCompletionsAreExplained() {
        FrameworkStatus running = status(FrameworkState.AttemptRunning, TaskState.AttemptRunning);
        FrameworkStatus retried = copy(running);
        TaskStatus task = retried.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.getFirst();
        task.retryPolicyStatus.totalRetriedCount = 1;
        task.attemptStatus.id = 1;
        task.state = TaskState.AttemptCreationPending;
        FrameworkStatus done = copy(running);
        done.state = FrameworkState.AttemptCompleted;
        FrameworkAttemptCompletionStatus completion = CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                CompletionCodes.SUCCEEDED, "all done");
        completion.trigger = new FrameworkAttemptCompletionStatus.Trigger("SucceededTaskCount 1 has reached "
                + "MinSucceededTaskCount 1 in the TaskRole", "worker", 0);
        done.attemptStatus.completionStatus = completion;
        done.retryPolicyStatus.retryDelaySec = 30L;

        assertThat(FrameworkProgress.changes(running, retried)).containsExactly(
                "  worker-0 retried as attempt 1 (0 of its retries counted against maxRetryCount)",
                "  worker-0 AttemptCreationPending");
        assertThat(FrameworkProgress.changes(running, done)).containsExactly(
                "Framework AttemptCompleted (attempt 0): code 0 Succeeded, all done - SucceededTaskCount 1 has reached "
                        + "MinSucceededTaskCount 1 in the TaskRole (task worker-0)",
                "Framework will be retried in 30s");
    }
}
