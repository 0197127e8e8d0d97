package io.capstan.framework;

import static io.capstan.framework.FrameworkFixture.task;
import static io.capstan.framework.FrameworkFixture.transitions;
import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whole-Framework scenarios after FrameworkController's example/framework/scenario and its user manual, with pods run
 * by the mock virtual node: the pod
 * template's {@code mock.capstan.io/*} annotations script exit codes and run times, as the peer's examples' commands
 * would produce them. Rescale (A8) has its own class.
 */
@EmbeddedCluster
class FrameworkScenariosIT {

    private FrameworkFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** One role "worker", fancy retry at both levels with maxRetryCount 1, minFailed 1; the pods exit with the code. */
    private static String batch(String name, int tasks, int exitCode, String runSeconds) {
        return """
                metadata: {name: %s}
                spec:
                  executionType: Start
                  retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                  taskRoles:
                  - name: worker
                    taskNumber: %d
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                      pod:
                        metadata:
                          annotations: {mock.capstan.io/run-seconds: "%s", mock.capstan.io/exit-code: "%d"}
                        spec:
                          restartPolicy: Never
                          containers: [{name: ubuntu, image: ubuntu:trusty}]
                """.formatted(name, tasks, runSeconds, exitCode);
    }

    @Test
    void a1BatchSucceeded() throws Exception {
        fixture.start();
        List<FrameworkStatus> history = fixture.history("batchsucceeded");
        fixture.create(batch("batchsucceeded", 1, 0, "0.3"));

        Framework done = fixture.awaitState("batchsucceeded", FrameworkState.Completed);

        FrameworkStatus status = done.getStatus();
        var completion = status.attemptStatus.completionStatus;
        assertThat(completion.code).isZero();
        assertThat(completion.phrase).isEqualTo("Succeeded");
        assertThat(completion.type.name).isEqualTo("Succeeded");
        assertThat(completion.diagnostics).isEqualTo("CompletedTaskCount 1 has reached TotalTaskCount 1 and no user "
                + "specified conditions in FrameworkAttemptCompletionPolicy have ever been triggered");
        assertThat(completion.trigger.taskRoleName).isEqualTo("worker");
        assertThat(completion.trigger.taskIndex).isZero();
        assertThat(status.retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(status.retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(status.runTime).isNotNull();
        assertThat(status.completionTime).isNotNull();

        TaskStatus task = task(done, "worker", 0);
        assertThat(task.state).isEqualTo(TaskState.Completed);
        assertThat(task.retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(task.attemptStatus.completionStatus.code).isZero();
        assertThat(task.attemptStatus.completionStatus.diagnostics).isEqualTo("Pod succeeded");
        assertThat(task.attemptStatus.completionStatus.pod.containers).singleElement().satisfies(c -> {
            assertThat(c.name).isEqualTo("ubuntu");
            assertThat(c.code).isZero();
        });
        assertThat(task.runTime).isNotNull();
        assertThat(task.completionTime).isNotNull();
        assertThat(fixture.pods("batchsucceeded")).isEmpty();
        assertThat(fixture.configMap("batchsucceeded")).isEmpty();

        // The states went forward in the reference's order (a status write may cover several transitions).
        List<FrameworkState> states = transitions(history, s -> s.state);
        assertThat(states).startsWith(FrameworkState.AttemptCreationPending).endsWith(FrameworkState.Completed)
                .containsSubsequence(FrameworkState.AttemptCreationPending, FrameworkState.AttemptRunning,
                        FrameworkState.AttemptDeletionPending, FrameworkState.AttemptCompleted, FrameworkState.Completed);
        assertInReferenceOrder(states);
        List<TaskState> taskStates = transitions(history, s -> s.attemptStatus.taskRoleStatuses.getFirst().taskStatuses
                .getFirst().state);
        assertThat(taskStates).containsSubsequence(TaskState.AttemptCreationPending, TaskState.AttemptRunning,
                TaskState.AttemptDeletionPending, TaskState.Completed);
        assertInReferenceOrder(taskStates);
    }

    private static <E extends Enum<E>> void assertInReferenceOrder(List<E> states) {
        for (int i = 1; i < states.size(); i++) {
            assertThat(states.get(i).ordinal()).as("%s after %s", states.get(i), states.get(i - 1))
                    .isGreaterThan(states.get(i - 1).ordinal());
        }
    }

    @Test
    void a2BatchFailedPermanent() throws Exception {
        fixture.start();
        fixture.create(batch("batchfailedpermanent", 1, 210, "0.2"));

        Framework done = fixture.awaitState("batchfailedpermanent", FrameworkState.Completed);

        TaskStatus task = task(done, "worker", 0);
        var taskCompletion = task.attemptStatus.completionStatus;
        assertThat(taskCompletion.code).isEqualTo(210);
        assertThat(taskCompletion.phrase).isEqualTo("ContainerPermanentFailed");
        assertThat(taskCompletion.type.name).isEqualTo("Failed");
        assertThat(taskCompletion.type.attributes).containsExactly("Permanent");
        assertThat(taskCompletion.diagnostics).startsWith("Pod failed: PodPattern matched:");
        assertThat(task.retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(task.retryPolicyStatus.accountableRetriedCount).isZero();
        var completion = done.getStatus().attemptStatus.completionStatus;
        assertThat(completion.code).isEqualTo(210);
        assertThat(completion.diagnostics).isEqualTo(taskCompletion.diagnostics);
        assertThat(completion.trigger.message).isEqualTo("FailedTaskCount 1 has reached MinFailedTaskCount 1 in the TaskRole");
        assertThat(done.getStatus().retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(fixture.mock.createCalls()).isEqualTo(1);
        assertThat(fixture.pods("batchfailedpermanent")).isEmpty();
    }

    @Test
    void a3BatchFailedTransientRetriesWithoutCountingUntilStopped() throws Exception {
        fixture.start();
        List<FrameworkStatus> history = fixture.history("batchfailedtransient");
        fixture.create(batch("batchfailedtransient", 1, 200, "0.1"));

        Framework retried = fixture.await("batchfailedtransient", "three task retries",
                f -> task(f, "worker", 0).retryPolicyStatus.totalRetriedCount >= 3);

        TaskStatus task = task(retried, "worker", 0);
        assertThat(task.retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(task.attemptStatus.id).isEqualTo(task.retryPolicyStatus.totalRetriedCount);
        assertThat(task.attemptStatus.podName).isEqualTo("batchfailedtransient-worker-0");
        assertThat(retried.getStatus().state).isIn(FrameworkState.AttemptPreparing, FrameworkState.AttemptRunning);
        assertThat(retried.getStatus().attemptStatus.id).isZero();
        assertThat(retried.getStatus().retryPolicyStatus.totalRetriedCount).isZero();
        // Every attempt had its own pod: a new UID, and the instance UID {attemptId}_{podUID}.
        List<String> instances = transitions(history, s -> s.attemptStatus.taskRoleStatuses.getFirst().taskStatuses
                .getFirst().attemptStatus.instanceUID).stream().filter(java.util.Objects::nonNull).toList();
        assertThat(instances).hasSizeGreaterThanOrEqualTo(3).doesNotHaveDuplicates();
        for (int i = 0; i < 3; i++) {
            assertThat(instances.get(i)).startsWith(i + "_");
        }
        // Each pod carries its attempt's id.
        Pod pod = org.awaitility.Awaitility.await().atMost(FrameworkFixture.waitLimit())
                .until(() -> fixture.pod("batchfailedtransient-worker-0"), java.util.Objects::nonNull);
        String attemptId = pod.getMetadata().getAnnotations().get("FC_TASK_ATTEMPT_ID");
        org.awaitility.Awaitility.await().atMost(FrameworkFixture.waitLimit()).until(() -> transitions(history,
                s -> s.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.getFirst().attemptStatus.instanceUID)
                .contains(attemptId + "_" + pod.getMetadata().getUid()));

        fixture.executionType("batchfailedtransient", "Stop");
        Framework stopped = fixture.awaitState("batchfailedtransient", FrameworkState.Completed);

        var completion = stopped.getStatus().attemptStatus.completionStatus;
        assertThat(completion.code).isEqualTo(-210);
        assertThat(completion.phrase).isEqualTo("StopFrameworkRequested");
        assertThat(completion.type.attributes).containsExactly("Permanent");
        TaskStatus last = task(stopped, "worker", 0);
        assertThat(last.state).isEqualTo(TaskState.Completed);
        assertThat(last.attemptStatus.completionStatus.code).isIn(-220, 200);
        fixture.awaitNoPods("batchfailedtransient");
    }

    @Test
    void a4TransientConflictRetriesTheFrameworkAfterADelay() throws Exception {
        fixture.start();
        fixture.create("""
                metadata: {name: batchfailedtransientconflict}
                spec:
                  retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                  taskRoles:
                  - name: worker
                    taskNumber: 1
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                      pod:
                        metadata: {annotations: {mock.capstan.io/run-seconds: "0.1", mock.capstan.io/exit-code: "201"}}
                        spec: {restartPolicy: Never}
                """);
        String name = "batchfailedtransientconflict";

        Framework waiting = fixture.await(name, "retry scheduled", f -> f.getStatus().state == FrameworkState.AttemptCompleted
                && f.getStatus().retryPolicyStatus.retryDelaySec != null);
        long delay = waiting.getStatus().retryPolicyStatus.retryDelaySec;
        assertThat(delay).isBetween(2L, 4L);
        TaskStatus failedTask = task(waiting, "worker", 0);
        assertThat(failedTask.attemptStatus.completionStatus.code).isEqualTo(201);
        assertThat(failedTask.attemptStatus.completionStatus.phrase).isEqualTo("ContainerTransientConflictFailed");
        assertThat(failedTask.attemptStatus.completionStatus.type.attributes).containsExactly("Transient", "Conflict");
        assertThat(failedTask.retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(waiting.getStatus().attemptStatus.completionStatus.code).isEqualTo(201);
        String firstConfigMap = waiting.getStatus().attemptStatus.configMapUID;
        String firstTaskInstance = failedTask.instanceUID;
        Instant scheduledAt = Instant.parse(waiting.getStatus().transitionTime);

        Framework next = fixture.await(name, "attempt 1", f -> f.getStatus().attemptStatus.id == 1
                && f.getStatus().attemptStatus.configMapUID != null);

        assertThat(next.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(next.getStatus().retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(next.getStatus().retryPolicyStatus.retryDelaySec).isNull();
        assertThat(next.getStatus().attemptStatus.configMapUID).isNotEqualTo(firstConfigMap);
        assertThat(task(next, "worker", 0).instanceUID).isNotEqualTo(firstTaskInstance);
        assertThat(Instant.parse(next.getStatus().attemptStatus.startTime))
                .isAfterOrEqualTo(scheduledAt.plusSeconds(delay).minusMillis(1000));

        // Stop while the next retry waits: the retry runs at once, ends with -210, one more retry counted.
        fixture.await(name, "second retry scheduled", f -> f.getStatus().attemptStatus.id == 1
                && f.getStatus().retryPolicyStatus.retryDelaySec != null);
        fixture.executionType(name, "Stop");
        Framework stopped = fixture.awaitState(name, FrameworkState.Completed);
        assertThat(stopped.getStatus().attemptStatus.completionStatus.code).isEqualTo(-210);
        assertThat(stopped.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(2);
        assertThat(stopped.getStatus().attemptStatus.id).isEqualTo(2);
    }

    @Test
    void a5UnknownFailuresAreRetriedUpToMaxRetryCountAtBothLevels() throws Exception {
        fixture.start();
        fixture.create(batch("batchfailedunknown", 1, 1, "0.1"));

        Framework done = fixture.awaitState("batchfailedunknown", FrameworkState.Completed);

        assertThat(done.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(done.getStatus().retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        assertThat(done.getStatus().attemptStatus.id).isEqualTo(1);
        assertThat(done.getStatus().attemptStatus.completionStatus.code).isEqualTo(1);
        TaskStatus task = task(done, "worker", 0);
        assertThat(task.retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(task.retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        assertThat(task.attemptStatus.id).isEqualTo(1);
        var completion = task.attemptStatus.completionStatus;
        assertThat(completion.code).isEqualTo(1);
        assertThat(completion.phrase).isEqualTo("ContainerUnrecognizedFailed");
        assertThat(completion.type.attributes).isEmpty();
        assertThat(completion.diagnostics).startsWith("Pod failed: PodPattern unmatched:");
        assertThat(fixture.mock.createCalls()).isEqualTo(4);
        assertThat(fixture.pods("batchfailedunknown")).isEmpty();
    }

    private static final String BATCH_WITH_SERVICE = """
            metadata: {name: batchwithservice}
            spec:
              retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
              taskRoles:
              - name: server
                taskNumber: 2
                frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                task:
                  retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                  pod: {spec: {restartPolicy: Never, containers: [{name: nginx, image: nginx}]}}
              - name: worker
                taskNumber: 3
                frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: 3}
                task:
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                  pod: {spec: {restartPolicy: Never, containers: [{name: ubuntu, image: ubuntu}]}}
            """;

    @Test
    void a6BatchWithServiceSucceedsWhenAllWorkersSucceed() throws Exception {
        fixture.start();
        fixture.create(BATCH_WITH_SERVICE);
        String name = "batchwithservice";
        fixture.await(name, "all 5 tasks running", f -> f.getStatus().attemptStatus.taskRoleStatuses.stream()
                .allMatch(r -> r.taskStatuses.stream().allMatch(t -> t.state == TaskState.AttemptRunning)));

        for (int index : new int[] {1, 0, 2}) {
            fixture.mock.exitNow(fixture.namespace, name + "-worker-" + index, 0);
            fixture.await(name, "worker " + index + " completed", f -> task(f, "worker", index).state == TaskState.Completed);
        }
        Framework done = fixture.awaitState(name, FrameworkState.Completed);

        var completion = done.getStatus().attemptStatus.completionStatus;
        assertThat(completion.code).isZero();
        assertThat(completion.trigger.message).isEqualTo("SucceededTaskCount 3 has reached MinSucceededTaskCount 3 in the TaskRole");
        assertThat(completion.trigger.taskRoleName).isEqualTo("worker");
        assertThat(completion.trigger.taskIndex).isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            TaskStatus server = task(done, "server", i);
            assertThat(server.state).isEqualTo(TaskState.Completed);
            assertThat(server.attemptStatus.completionStatus.code).isEqualTo(-220);
            assertThat(server.attemptStatus.completionStatus.phrase).isEqualTo("FrameworkAttemptCompletion");
            assertThat(server.attemptStatus.completionStatus.type.attributes).containsExactly("Permanent");
        }
        for (int i = 0; i < 3; i++) {
            assertThat(task(done, "worker", i).attemptStatus.completionStatus.code).isZero();
        }
        assertThat(done.getStatus().retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(fixture.pods(name)).isEmpty();
    }

    @Test
    void a6VariantAWorkerFailureFailsTheAttemptAndTheFrameworkIsRetriedOnce() throws Exception {
        fixture.start();
        fixture.create(BATCH_WITH_SERVICE);
        String name = "batchwithservice";
        for (int attempt = 0; attempt < 2; attempt++) {
            int id = attempt;
            fixture.await(name, "attempt " + id + " running", f -> f.getStatus().attemptStatus.id == id
                    && task(f, "worker", 0).state == TaskState.AttemptRunning);
            fixture.mock.exitNow(fixture.namespace, name + "-worker-0", 1);
        }
        Framework done = fixture.awaitState(name, FrameworkState.Completed);

        assertThat(done.getStatus().attemptStatus.completionStatus.code).isEqualTo(1);
        assertThat(done.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(done.getStatus().retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
    }

    private static final String SERVICE = """
            metadata: {name: service}
            spec:
              retryPolicy: {fancyRetryPolicy: false, maxRetryCount: -2}
              taskRoles:
              - name: server
                taskNumber: 3
                frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                task:
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: -2}
                  podGracefulDeletionTimeoutSec: 600
                  pod: {spec: {restartPolicy: OnFailure, containers: [{name: nginx, image: nginx}]}}
            """;

    /** The peer's example uses restartPolicy Always; OnFailure keeps failures in place too but lets (c) end a pod. */
    @Test
    void a7ServiceIsKeptRunningThroughDeletionsUntilStopped() throws Exception {
        fixture.start();
        fixture.create(SERVICE);
        fixture.await("service", "3 servers running", f -> f.getStatus().attemptStatus.role("server").taskStatuses.stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));

        // (a) steady state
        List<Pod> pods = fixture.pods("service");
        assertThat(pods).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("service-server-0", "service-server-1", "service-server-2");
        for (Pod pod : pods) {
            assertThat(pod.getMetadata().getLabels()).containsEntry("FC_FRAMEWORK_NAME", "service")
                    .containsEntry("FC_TASKROLE_NAME", "server")
                    .containsEntry("FC_TASK_INDEX", pod.getMetadata().getName().substring("service-server-".length()));
        }

        // (b) a deleted pod is replaced by a new attempt with the same name; nothing else is affected
        Pod deleted = fixture.pod("service-server-1");
        fixture.client.pods().inNamespace(fixture.namespace).withName("service-server-1").delete();
        Framework afterDelete = fixture.await("service", "task 1 retried", f -> task(f, "server", 1).attemptStatus.id == 1
                && task(f, "server", 1).state == TaskState.AttemptRunning);
        TaskStatus task1 = task(afterDelete, "server", 1);
        assertThat(task1.retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(task1.retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        assertThat(task1.attemptStatus.podUID).isNotEqualTo(deleted.getMetadata().getUid());
        assertThat(task(afterDelete, "server", 0).attemptStatus.id).isZero();
        assertThat(afterDelete.getStatus().attemptStatus.id).isZero();

        // (c) even a pod that succeeds is retried (-2)
        String before = task(afterDelete, "server", 2).attemptStatus.podUID;
        fixture.mock.exitNow(fixture.namespace, "service-server-2", 0);
        fixture.await("service", "task 2 retried after success", f -> task(f, "server", 2).attemptStatus.id == 1
                && !before.equals(task(f, "server", 2).attemptStatus.podUID));

        // (d) deleting the attempt's ConfigMap fails the attempt (-100) and the Framework is retried
        String configMapUid = afterDelete.getStatus().attemptStatus.configMapUID;
        fixture.client.configMaps().inNamespace(fixture.namespace).withName("service-attempt").delete();
        Framework retried = fixture.await("service", "framework attempt 1 running", f -> f.getStatus().attemptStatus.id == 1
                && f.getStatus().state == FrameworkState.AttemptRunning);
        assertThat(retried.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(retried.getStatus().retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        assertThat(retried.getStatus().attemptStatus.configMapUID).isNotEqualTo(configMapUid);
        fixture.await("service", "3 new pods", f -> f.getStatus().attemptStatus.role("server").taskStatuses.stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));

        // (e) Stop completes it with -210 despite -2
        fixture.executionType("service", "Stop");
        Framework stopped = fixture.awaitState("service", FrameworkState.Completed);
        assertThat(stopped.getStatus().attemptStatus.completionStatus.code).isEqualTo(-210);
        assertThat(stopped.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        fixture.awaitNoPods("service");
    }

    @Test
    void a9ExecutionTypeCreateDefersTheStart() throws Exception {
        fixture.start();
        fixture.create("""
                metadata: {name: prestart}
                spec:
                  executionType: Create
                  taskRoles:
                  - name: worker
                    taskNumber: 2
                    task: {pod: {spec: {restartPolicy: Never}}}
                """);

        Framework created = fixture.awaitState("prestart", FrameworkState.AttemptCreationPending);
        assertThat(created.getStatus().attemptStatus.role("worker").taskStatuses).hasSize(2)
                .allSatisfy(t -> assertThat(t.state).isEqualTo(TaskState.AttemptCreationPending));
        assertThat(created.getStatus().attemptStatus.role("worker").taskStatuses).extracting(t -> t.attemptStatus.podName)
                .containsExactly("prestart-worker-0", "prestart-worker-1");
        fixture.assertStays("prestart", Duration.ofSeconds(2), f -> {
            assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptCreationPending);
            assertThat(fixture.configMap("prestart")).isEmpty();
            assertThat(fixture.pods("prestart")).isEmpty();
        });

        fixture.executionType("prestart", "Start");
        fixture.await("prestart", "pods created", f -> f.getStatus().state == FrameworkState.AttemptRunning);
    }

    @Test
    void a9CreateThenStopCompletesWithoutEverCreatingAnything() throws Exception {
        fixture.start();
        fixture.create("""
                metadata: {name: stopped}
                spec:
                  executionType: Create
                  taskRoles:
                  - name: worker
                    taskNumber: 2
                    task: {pod: {spec: {restartPolicy: Never}}}
                """);
        fixture.awaitState("stopped", FrameworkState.AttemptCreationPending);

        fixture.executionType("stopped", "Stop");
        Framework done = fixture.awaitState("stopped", FrameworkState.Completed);

        assertThat(done.getStatus().attemptStatus.completionStatus.code).isEqualTo(-210);
        assertThat(done.getStatus().attemptStatus.configMapUID).isNull();
        assertThat(done.getStatus().attemptStatus.role("worker").taskStatuses).allSatisfy(t -> {
            assertThat(t.state).isEqualTo(TaskState.Completed);
            assertThat(t.attemptStatus.completionStatus.code).isEqualTo(-220);
            assertThat(t.attemptStatus.podUID).isNull();
        });
        assertThat(fixture.mock.createCalls()).isZero();
        // PostStop: the object stays readable until the user deletes it.
        assertThat(fixture.get("stopped")).isNotNull();
    }

    @Test
    void a10StatefulBatchFailsOnTheFirstFailedTaskAndIsRetriedOnce() throws Exception {
        fixture.start();
        fixture.create("""
                metadata: {name: batchstatefulfailed}
                spec:
                  retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                  taskRoles:
                  - name: worker
                    taskNumber: 3
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 1}
                      podGracefulDeletionTimeoutSec: 1800
                      pod:
                        metadata: {annotations: {mock.capstan.io/run-seconds: "0.{{FC_TASK_INDEX}}5", mock.capstan.io/exit-code: "1"}}
                        spec: {restartPolicy: Never}
                """);

        Framework done = fixture.awaitState("batchstatefulfailed", FrameworkState.Completed);

        assertThat(done.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(done.getStatus().retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        var completion = done.getStatus().attemptStatus.completionStatus;
        assertThat(completion.code).isEqualTo(1);
        TaskStatus trigger = task(done, "worker", completion.trigger.taskIndex);
        assertThat(trigger.retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(trigger.attemptStatus.completionStatus.code).isEqualTo(1);
        // Tasks that had not failed when the attempt completed were torn down with -220.
        assertThat(done.getStatus().attemptStatus.role("worker").taskStatuses)
                .allSatisfy(t -> assertThat(t.attemptStatus.completionStatus.code).isIn(1, -220));
        assertThat(fixture.pods("batchstatefulfailed")).isEmpty();
    }

    @Test
    void frameworkConfigWithSnapshotsOffStillRuns() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.logObjectSnapshot.task.onTaskRetry = false;
        fixture.start(config);
        fixture.create(batch("quiet", 1, 0, "0"));
        fixture.awaitState("quiet", FrameworkState.Completed);
    }
}
