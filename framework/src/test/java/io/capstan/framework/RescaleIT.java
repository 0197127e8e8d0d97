package io.capstan.framework;

import static io.capstan.framework.FrameworkFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rescale (FrameworkController's user manual, "Framework Rescale"). Pods are bound to the mock node and their graceful
 * deletion hangs until the test finishes it, so a deletion can be held open while the spec changes.
 */
@EmbeddedCluster
class RescaleIT {

    private FrameworkFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace).start();
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static String rescaleBasic(int tasks, int minFailed) {
        return """
                metadata: {name: rescalebasic}
                spec:
                  executionType: Start
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                  taskRoles:
                  - name: a
                    taskNumber: %d
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: %d, minSucceededTaskCount: 1}
                    task:
                      retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                      podGracefulDeletionTimeoutSec: 600
                      pod:
                        metadata: {annotations: {mock.capstan.io/termination-seconds: never}}
                        spec: {restartPolicy: Never, terminationGracePeriodSeconds: 3600}
                """.formatted(tasks, minFailed);
    }

    private void scale(int tasks, int minFailed) {
        fixture.jsonPatch("rescalebasic", """
                [{"op": "replace", "path": "/spec/taskRoles/0/taskNumber", "value": %d},
                 {"op": "replace", "path": "/spec/taskRoles/0/frameworkAttemptCompletionPolicy/minFailedTaskCount", "value": %d}]
                """.formatted(tasks, minFailed));
    }

    private static List<TaskStatus> tasks(Framework framework) {
        return framework.getStatus().attemptStatus.role("a").taskStatuses;
    }

    private Framework awaitRunning(int count) {
        return fixture.await("rescalebasic", count + " tasks running", f -> tasks(f).size() == count
                && tasks(f).stream().allMatch(t -> t.state == TaskState.AttemptRunning && !t.deletionPending));
    }

    private void deletePod(int index) {
        fixture.client.pods().inNamespace(fixture.namespace).withName("rescalebasic-a-" + index).delete();
    }

    private void assertStillRunning() throws InterruptedException {
        fixture.assertStays("rescalebasic", Duration.ofMillis(500),
                f -> assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptRunning));
    }

    @Test
    void a8RescaleBasicKeepsBothSafetyGuarantees() throws Exception {
        List<FrameworkStatus> history = fixture.history("rescalebasic");
        fixture.create(rescaleBasic(4, 4));
        awaitRunning(4);

        // 1. Two pods deleted by the user: their tasks fail (-101), 2 < minFailed 4.
        deletePod(2);
        deletePod(3);
        fixture.finishDeletion("rescalebasic-a-2");
        fixture.finishDeletion("rescalebasic-a-3");
        Framework step1 = fixture.await("rescalebasic", "tasks 2 and 3 completed", f -> tasks(f).get(2).state == TaskState.Completed
                && tasks(f).get(3).state == TaskState.Completed);
        assertThat(tasks(step1).get(2).attemptStatus.completionStatus.code).isEqualTo(-101);
        assertThat(tasks(step1).get(3).attemptStatus.completionStatus.code).isEqualTo(-101);
        assertStillRunning();

        // 2. ScaleDown to 2 with minFailed 2: the failed tasks are removed, not counted (SG1).
        scale(2, 2);
        fixture.await("rescalebasic", "tasks 2 and 3 removed", f -> tasks(f).size() == 2);
        assertThat(history).anySatisfy(s -> assertThat(s.attemptStatus.taskRoleStatuses.getFirst().taskStatuses)
                .hasSize(4).element(3).satisfies(t -> assertThat(t.deletionPending).isTrue()));
        assertStillRunning();

        // 3. ScaleUp to 4: new instances and new pods; one of them fails.
        String oldInstance2 = tasks(step1).get(2).instanceUID;
        scale(4, 4);
        Framework step3 = awaitRunning(4);
        assertThat(tasks(step3).get(2).instanceUID).isNotEqualTo(oldInstance2);
        deletePod(2);
        fixture.finishDeletion("rescalebasic-a-2");
        fixture.await("rescalebasic", "task 2 failed", f -> tasks(f).get(2).state == TaskState.Completed);

        // 4. ScaleDown to 2, and while a-3 terminates ScaleUp to 3: task 2 is replaced at once (SG2), task 3 goes
        //    once its pod is gone.
        scale(2, 2);
        fixture.await("rescalebasic", "task 3 terminating", f -> tasks(f).size() == 4 && tasks(f).get(3).deletionPending
                && tasks(f).get(3).state == TaskState.AttemptDeleting);
        String failed2 = fixture.get("rescalebasic").getStatus().attemptStatus.role("a").taskStatuses.get(2).instanceUID;
        scale(3, 3);
        Framework step4 = fixture.await("rescalebasic", "task 2 replaced", f -> tasks(f).size() == 4
                && !tasks(f).get(2).instanceUID.equals(failed2) && !tasks(f).get(2).deletionPending);
        assertThat(tasks(step4).get(3).deletionPending).isTrue();
        assertThat(tasks(step4).get(3).attemptStatus.completionStatus.code).isEqualTo(-230);
        fixture.finishDeletion("rescalebasic-a-3");
        awaitRunning(3);
        assertStillRunning();

        // 5. Up to 4, fail a-2, down to 2 and, while a-3 terminates, up to 5.
        scale(4, 4);
        awaitRunning(4);
        deletePod(2);
        fixture.finishDeletion("rescalebasic-a-2");
        fixture.await("rescalebasic", "task 2 failed", f -> tasks(f).get(2).state == TaskState.Completed);
        Framework before5 = fixture.get("rescalebasic");
        String instance2 = tasks(before5).get(2).instanceUID;
        String instance3 = tasks(before5).get(3).instanceUID;
        scale(2, 2);
        fixture.await("rescalebasic", "task 3 terminating", f -> tasks(f).get(3).state == TaskState.AttemptDeleting);
        scale(5, 5);
        Framework step5 = fixture.await("rescalebasic", "task 2 replaced and task 4 added", f -> tasks(f).size() == 5
                && !tasks(f).get(2).instanceUID.equals(instance2));
        assertThat(tasks(step5).get(3).instanceUID).isEqualTo(instance3);
        assertThat(tasks(step5).get(3).deletionPending).isTrue();
        fixture.finishDeletion("rescalebasic-a-3");
        Framework done = awaitRunning(5);
        assertThat(tasks(done).get(3).instanceUID).isNotEqualTo(instance3);
        assertThat(tasks(done)).allSatisfy(t -> assertThat(t.deletionPending).isFalse());
        assertThat(done.getStatus().state).isEqualTo(FrameworkState.AttemptRunning);
        assertThat(done.getStatus().attemptStatus.id).isZero();
    }

    @Test
    void scaleUpExposesNewTasksBeforeCreatingTheirPods() {
        List<FrameworkStatus> history = fixture.history("rescalebasic");
        fixture.create(rescaleBasic(1, 1));
        awaitRunning(1);

        scale(3, 1);
        awaitRunning(3);

        // The first status that lists 3 tasks has no pod for the new ones yet.
        FrameworkStatus firstWithThree = history.stream()
                .filter(s -> s.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.size() == 3).findFirst().orElseThrow();
        List<TaskStatus> added = firstWithThree.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.subList(1, 3);
        assertThat(added).allSatisfy(t -> {
            assertThat(t.state).isEqualTo(TaskState.AttemptCreationPending);
            assertThat(t.attemptStatus.podUID).isNull();
        });
    }

    @Test
    void scaleDownDeletesTheTailTasksPodsAndRemovesThem() {
        fixture.create(rescaleBasic(3, 3));
        awaitRunning(3);

        scale(1, 1);
        Framework draining = fixture.await("rescalebasic", "tasks 1 and 2 terminating", f -> tasks(f).size() == 3
                && tasks(f).subList(1, 3).stream().allMatch(t -> t.deletionPending && t.state == TaskState.AttemptDeleting));
        assertThat(tasks(draining).subList(1, 3)).allSatisfy(t -> {
            assertThat(t.attemptStatus.completionStatus.code).isEqualTo(-230);
            assertThat(t.attemptStatus.completionStatus.phrase).isEqualTo("DeleteTaskRequested");
            assertThat(t.attemptStatus.completionStatus.diagnostics)
                    .isEqualTo("User has requested to delete the Task by Framework ScaleDown");
        });
        assertThat(fixture.pod("rescalebasic-a-1").getMetadata().getDeletionTimestamp()).isNotNull();

        fixture.finishDeletion("rescalebasic-a-1");
        fixture.finishDeletion("rescalebasic-a-2");
        Framework scaled = fixture.await("rescalebasic", "one task left", f -> tasks(f).size() == 1);
        assertThat(scaled.getStatus().state).isEqualTo(FrameworkState.AttemptRunning);
        assertThat(fixture.pods("rescalebasic")).extracting(p -> p.getMetadata().getName()).containsExactly("rescalebasic-a-0");
    }

    @Test
    void zeroTasksPauseTheFrameworkUntilScaledUp() throws Exception {
        fixture.create(rescaleBasic(0, 1));
        fixture.assertStays("rescalebasic", Duration.ofSeconds(2), f -> {
            if (f.getStatus() != null) {
                assertThat(f.getStatus().state).isIn(FrameworkState.AttemptCreationPending,
                        FrameworkState.AttemptCreationRequested, FrameworkState.AttemptPreparing);
            }
        });
        assertThat(fixture.get("rescalebasic").getStatus().state).isEqualTo(FrameworkState.AttemptPreparing);

        scale(1, 1);

        awaitRunning(1);
    }

    @Test
    void addingAndRemovingATaskRole() {
        fixture.create(rescaleBasic(1, 1));
        awaitRunning(1);

        fixture.jsonPatch("rescalebasic", """
                [{"op": "add", "path": "/spec/taskRoles/-", "value": {"name": "b", "taskNumber": 2,
                  "frameworkAttemptCompletionPolicy": {"minFailedTaskCount": 1, "minSucceededTaskCount": -1},
                  "task": {"retryPolicy": {"fancyRetryPolicy": false, "maxRetryCount": 0},
                           "pod": {"spec": {"nodeName": "%s", "restartPolicy": "Never",
                                            "containers": [{"name": "b", "image": "b"}]}}}}}]
                """.formatted(fixture.node));
        Framework added = fixture.await("rescalebasic", "role b running", f -> f.getStatus().attemptStatus.role("b") != null
                && f.getStatus().attemptStatus.role("b").taskStatuses.stream().allMatch(t -> t.state == TaskState.AttemptRunning));
        assertThat(added.getStatus().attemptStatus.taskRoleStatuses).extracting(r -> r.name).containsExactly("a", "b");

        // Removing role a (the first): its task drains, then role b takes its place in the list, like the peer.
        fixture.jsonPatch("rescalebasic", "[{\"op\": \"remove\", \"path\": \"/spec/taskRoles/0\"}]");
        fixture.await("rescalebasic", "role a draining", f -> task(f, "a", 0).deletionPending);
        fixture.finishDeletion("rescalebasic-a-0");
        Framework removed = fixture.await("rescalebasic", "role a removed", f -> f.getStatus().attemptStatus.role("a") == null);
        assertThat(removed.getStatus().attemptStatus.taskRoleStatuses).extracting((TaskRoleStatus r) -> r.name)
                .containsExactly("b");
        assertThat(removed.getStatus().state).isEqualTo(FrameworkState.AttemptRunning);
        assertThat(fixture.pods("rescalebasic")).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("rescalebasic-b-0", "rescalebasic-b-1");
        assertThat(Objects.requireNonNull(removed.getStatus().attemptStatus.role("b")).taskStatuses).hasSize(2);
    }
}
