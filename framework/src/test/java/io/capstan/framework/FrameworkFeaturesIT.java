package io.capstan.framework;

import static io.capstan.framework.FrameworkFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** FrameworkController behaviours not covered by a whole scenario, one test per behaviour. */
@EmbeddedCluster
class FrameworkFeaturesIT {

    private FrameworkFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace).start();
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** One role "worker" of {@code tasks} tasks; {@code extra} is YAML for the pod template's metadata and spec. */
    private static String framework(String name, int tasks, String retry, int minFailed, String podYaml) {
        return """
                metadata: {name: %s}
                spec:
                  retryPolicy: %s
                  taskRoles:
                  - name: worker
                    taskNumber: %d
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: %d, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: %s
                      pod:
                %s
                """.formatted(name, retry, tasks, minFailed, retry, podYaml.indent(8).stripTrailing());
    }

    private static final String NO_RETRY = "{fancyRetryPolicy: false, maxRetryCount: 0}";
    private static final String FANCY_ONE = "{fancyRetryPolicy: true, maxRetryCount: 1}";

    // ----- rows 3-7: the attempt's ConfigMap, pod identity, injected metadata, placeholders, mirrored state ------------

    @Test
    void podsCarryTheFrameworksIdentityAndMirrorIntoTheStatus() {
        fixture.create(framework("ident", 2, NO_RETRY, 1, """
                metadata:
                  labels: {app: ident}
                  annotations: {who: "{{FC_POD_NAME}} in {{FC_FRAMEWORK_NAMESPACE}}"}
                spec:
                  restartPolicy: Never
                  hostname: "{{FC_TASKROLE_NAME}}-{{FC_TASK_INDEX}}"
                  subdomain: "{{FC_FRAMEWORK_NAME}}"
                  containers:
                  - name: main
                    image: busybox
                    env: [{name: MINE, value: "$(FC_TASK_INDEX)"}]
                """));
        Framework running = fixture.await("ident", "both tasks running", f -> f.getStatus().attemptStatus.role("worker")
                .taskStatuses.stream().allMatch(t -> t.state == TaskState.AttemptRunning));

        // Row 3: the ConfigMap of the attempt
        ConfigMap configMap = fixture.configMap("ident").orElseThrow();
        var attempt = running.getStatus().attemptStatus;
        assertThat(configMap.getMetadata().getUid()).isEqualTo(attempt.configMapUID);
        assertThat(attempt.instanceUID).isEqualTo("0_" + configMap.getMetadata().getUid());
        assertThat(attempt.configMapName).isEqualTo("ident-attempt");
        assertThat(configMap.getMetadata().getFinalizers()).contains("foregroundDeletion");
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getUid()).isEqualTo(running.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
        assertThat(configMap.getMetadata().getLabels()).containsEntry("FC_FRAMEWORK_NAME", "ident");
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry("FC_FRAMEWORK_ATTEMPT_ID", "0");

        for (int index = 0; index < 2; index++) {
            TaskStatus task = task(running, "worker", index);
            Pod pod = fixture.pod("ident-worker-" + index);
            // Row 4: identity and ownership
            assertThat(task.attemptStatus.podName).isEqualTo(pod.getMetadata().getName());
            assertThat(task.attemptStatus.podUID).isEqualTo(pod.getMetadata().getUid());
            assertThat(task.attemptStatus.instanceUID).isEqualTo("0_" + pod.getMetadata().getUid());
            assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
                assertThat(owner.getKind()).isEqualTo("ConfigMap");
                assertThat(owner.getUid()).isEqualTo(configMap.getMetadata().getUid());
                assertThat(owner.getController()).isTrue();
            });
            // Row 5: labels, annotations, variables
            assertThat(pod.getMetadata().getLabels()).containsEntry("app", "ident").containsEntry("FC_FRAMEWORK_NAME", "ident")
                    .containsEntry("FC_TASKROLE_NAME", "worker").containsEntry("FC_TASK_INDEX", Integer.toString(index));
            assertThat(pod.getMetadata().getAnnotations()).containsEntry("FC_TASK_UID", task.instanceUID)
                    .containsEntry("FC_TASKROLE_UID", attempt.role("worker").instanceUID)
                    .containsEntry("FC_FRAMEWORK_UID", running.getMetadata().getUid())
                    .containsEntry("FC_CONFIGMAP_UID", configMap.getMetadata().getUid())
                    .containsEntry("FC_FRAMEWORK_ATTEMPT_INSTANCE_UID", attempt.instanceUID)
                    .containsEntry("FC_TASK_ATTEMPT_ID", "0");
            Container container = pod.getSpec().getContainers().getFirst();
            List<String> env = container.getEnv().stream().map(EnvVar::getName).toList();
            assertThat(env).hasSize(16).startsWith("FC_FRAMEWORK_NAMESPACE").endsWith("FC_TASK_ATTEMPT_INSTANCE_UID", "MINE");
            assertThat(container.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
            // Row 6: placeholders
            assertThat(pod.getMetadata().getAnnotations()).containsEntry("who", "ident-worker-" + index + " in " + fixture.namespace);
            assertThat(pod.getSpec().getHostname()).isEqualTo("worker-" + index);
            assertThat(pod.getSpec().getSubdomain()).isEqualTo("ident");
            // Row 7: state mirrored from the pod
            assertThat(task.attemptStatus.podNodeName).isEqualTo(fixture.node);
            assertThat(task.attemptStatus.podIP).isEqualTo(pod.getStatus().getPodIP()).isNotEmpty();
            assertThat(task.attemptStatus.podHostIP).isEqualTo("127.0.0.1");
            assertThat(task.runTime).isNotNull();
            assertThat(task.attemptStatus.runTime).isNotNull();
        }
    }

    // ----- row 8 and 43: Preparing until a pod runs; Pending forever stays Preparing ---------------------------------

    @Test
    void theFrameworkPreparesUntilAPodRunsAndStaysPreparingWhilePodsArePending() throws Exception {
        fixture.create(framework("prep", 1, NO_RETRY, 1, """
                spec: {nodeName: "", restartPolicy: Never}
                """));
        fixture.await("prep", "task preparing", f -> task(f, "worker", 0).state == TaskState.AttemptPreparing);
        // Unscheduled (the virtual node is tainted and the template has no toleration): Pending, like an image that
        // never pulls (issue #14 behaviour).
        fixture.assertStays("prep", Duration.ofSeconds(2), f -> {
            assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptPreparing);
            assertThat(f.getStatus().runTime).isNull();
        });

        // Bind it to the node, as a scheduler would: it runs and the Framework follows.
        fixture.client.bindings().inNamespace(fixture.namespace).resource(new BindingBuilder().withNewMetadata()
                .withName("prep-worker-0").endMetadata().withNewTarget().withKind("Node").withName(fixture.node)
                .endTarget().build()).create();

        Framework running = fixture.awaitState("prep", FrameworkState.AttemptRunning);
        assertThat(running.getStatus().runTime).isNotNull();
        assertThat(running.getStatus().attemptStatus.runTime).isNotNull();
    }

    @Test
    void containersThatNeverStartKeepTheTaskPreparing() throws Exception {
        fixture.create(framework("imagepull", 1, NO_RETRY, 1, """
                metadata: {annotations: {mock.capstan.io/start-failure: ImagePullBackOff}}
                spec: {restartPolicy: Never}
                """));
        fixture.await("imagepull", "task preparing", f -> task(f, "worker", 0).state == TaskState.AttemptPreparing);
        fixture.assertStays("imagepull", Duration.ofSeconds(2), f -> {
            assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptPreparing);
            assertThat(task(f, "worker", 0).state).isEqualTo(TaskState.AttemptPreparing);
        });
    }

    // ----- rows 11-12: failure classification on real pod ends ----------------------------------------------------------

    private TaskStatus failedTask(String name, String podYaml) {
        fixture.create(framework(name, 1, NO_RETRY, 1, podYaml));
        return task(fixture.awaitState(name, FrameworkState.Completed), "worker", 0);
    }

    @Test
    void anUnmatchedFailureTakesTheFailedContainersExitCode() {
        TaskStatus task = failedTask("twocontainers", """
                metadata:
                  annotations: {mock.capstan.io/run-seconds: "0", mock.capstan.io/exit-code.a: "3", mock.capstan.io/exit-code.b: "0"}
                spec:
                  restartPolicy: Never
                  containers: [{name: a, image: a}, {name: b, image: b}]
                """);

        assertThat(task.attemptStatus.completionStatus.code).isEqualTo(3);
        assertThat(task.attemptStatus.completionStatus.phrase).isEqualTo("ContainerUnrecognizedFailed");
        assertThat(task.attemptStatus.completionStatus.pod.containers).extracting(c -> c.name + "=" + c.code)
                .containsExactly("a=3", "b=0");
    }

    @Test
    void anEvictedPodIsATransientFailureFromTheDefaultTable() {
        TaskStatus task = failedTask("evicted", """
                metadata:
                  annotations: {mock.capstan.io/run-seconds: "0", mock.capstan.io/exit-code: "1", mock.capstan.io/pod-reason: Evicted}
                spec: {restartPolicy: Never}
                """);

        assertThat(task.attemptStatus.completionStatus.code).isEqualTo(-1000);
        assertThat(task.attemptStatus.completionStatus.phrase).isEqualTo("PodEvicted");
        assertThat(task.attemptStatus.completionStatus.type.attributes).containsExactly("Transient");
        assertThat(task.attemptStatus.completionStatus.pod.reason).isEqualTo("Evicted");
    }

    @Test
    void anOomKilledContainerIsPermanentBeforeExitCode137IsConsidered() {
        TaskStatus task = failedTask("oom", """
                metadata:
                  annotations: {mock.capstan.io/run-seconds: "0", mock.capstan.io/exit-code: "137", mock.capstan.io/container-reason: OOMKilled}
                spec: {restartPolicy: Never}
                """);

        assertThat(task.attemptStatus.completionStatus.code).isEqualTo(-1200);
        assertThat(task.attemptStatus.completionStatus.phrase).isEqualTo("ContainerDockerOOMKilled");
        assertThat(task.attemptStatus.completionStatus.diagnostics).startsWith("Pod failed: PodPattern matched: ")
                .contains("OOMKilled");
    }

    // ----- row 13: maxRetryCount -1 ----------------------------------------------------------------------------------------

    @Test
    void minusOneRetriesEveryFailureAndCountsIt() {
        fixture.create(framework("blind", 1, "{fancyRetryPolicy: false, maxRetryCount: -1}", 1, """
                metadata: {annotations: {mock.capstan.io/run-seconds: "0", mock.capstan.io/exit-code: "210"}}
                spec: {restartPolicy: Never}
                """));

        Framework retried = fixture.await("blind", "3 task retries", f -> task(f, "worker", 0).retryPolicyStatus.totalRetriedCount >= 3);

        TaskStatus task = task(retried, "worker", 0);
        assertThat(task.retryPolicyStatus.accountableRetriedCount).isEqualTo(task.retryPolicyStatus.totalRetriedCount);
        assertThat(retried.getStatus().attemptStatus.id).isZero();
        fixture.executionType("blind", "Stop");
        fixture.awaitState("blind", FrameworkState.Completed);
    }

    // ----- row 19: all completed, none triggered ------------------------------------------------------------------------

    @Test
    void everyTaskFailingWithoutAMinFailedConditionSucceedsTheAttempt() {
        fixture.create(framework("allfail", 2, NO_RETRY, -1, """
                metadata: {annotations: {mock.capstan.io/run-seconds: "0", mock.capstan.io/exit-code: "1"}}
                spec: {restartPolicy: Never}
                """));

        Framework done = fixture.awaitState("allfail", FrameworkState.Completed);

        assertThat(done.getStatus().attemptStatus.completionStatus.code).isZero();
        assertThat(done.getStatus().attemptStatus.completionStatus.diagnostics).startsWith("CompletedTaskCount 2 has reached");
        assertThat(task(done, "worker", 0).attemptStatus.completionStatus.code).isEqualTo(1);
    }

    // ----- row 21: completion re-evaluated on spec edits -----------------------------------------------------------------

    @Test
    void loweringMinFailedCompletesTheAttemptWithoutAnyPodEvent() {
        fixture.create(framework("reeval", 3, NO_RETRY, 3, """
                spec: {restartPolicy: Never}
                """));
        fixture.await("reeval", "3 running", f -> f.getStatus().attemptStatus.role("worker").taskStatuses.stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));
        fixture.mock.exitNow(fixture.namespace, "reeval-worker-0", 1);
        fixture.mock.exitNow(fixture.namespace, "reeval-worker-1", 1);
        fixture.await("reeval", "2 failed", f -> task(f, "worker", 1).state == TaskState.Completed
                && task(f, "worker", 0).state == TaskState.Completed);
        assertThat(fixture.get("reeval").getStatus().state).isEqualTo(FrameworkState.AttemptRunning);

        fixture.jsonPatch("reeval", """
                [{"op": "replace", "path": "/spec/taskRoles/0/frameworkAttemptCompletionPolicy/minFailedTaskCount", "value": 2}]""");

        Framework done = fixture.awaitState("reeval", FrameworkState.Completed);
        assertThat(done.getStatus().attemptStatus.completionStatus.code).isEqualTo(1);
        assertThat(done.getStatus().attemptStatus.completionStatus.trigger.message)
                .isEqualTo("FailedTaskCount 2 has reached MinFailedTaskCount 2 in the TaskRole");
        assertThat(task(done, "worker", 2).attemptStatus.completionStatus.code).isEqualTo(-220);
    }

    // ----- row 27: an unbound pod deleted is gone at once -----------------------------------------------------------------

    @Test
    void aDeletedPendingPodIsReplacedByANewAttempt() {
        fixture.create(framework("unbound", 1, FANCY_ONE, 1, """
                spec: {nodeName: "", restartPolicy: Never}
                """));
        Framework preparing = fixture.await("unbound", "pod pending", f -> task(f, "worker", 0).state == TaskState.AttemptPreparing);
        String firstUid = task(preparing, "worker", 0).attemptStatus.podUID;

        fixture.client.pods().inNamespace(fixture.namespace).withName("unbound-worker-0").delete();

        Framework retried = fixture.await("unbound", "task retried", f -> task(f, "worker", 0).attemptStatus.id == 1
                && task(f, "worker", 0).state == TaskState.AttemptPreparing);
        TaskStatus task = task(retried, "worker", 0);
        assertThat(task.attemptStatus.podUID).isNotEqualTo(firstUid);
        assertThat(task.retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(fixture.pod("unbound-worker-0").getMetadata().getUid()).isEqualTo(task.attemptStatus.podUID);
    }

    // ----- rows 29-30: podGracefulDeletionTimeoutSec -------------------------------------------------------------------

    private static final String HANGING_POD = """
            metadata: {annotations: {mock.capstan.io/termination-seconds: never}}
            spec: {restartPolicy: Never, terminationGracePeriodSeconds: 3600}
            """;

    private String withTimeout(String name, String timeout) {
        return framework(name, 1, NO_RETRY, 1, HANGING_POD)
                .replace("      pod:", "      podGracefulDeletionTimeoutSec: " + timeout + "\n      pod:");
    }

    @Test
    void aTerminatingPodIsForceDeletedAfterPodGracefulDeletionTimeoutSec() {
        fixture.create(withTimeout("forced", "3"));
        fixture.awaitState("forced", FrameworkState.AttemptRunning);

        fixture.executionType("forced", "Stop");
        Pod terminating = Awaitility.await().atMost(FrameworkFixture.waitLimit()).until(() -> fixture.pod("forced-worker-0"),
                p -> p != null && p.getMetadata().getDeletionTimestamp() != null);

        Framework done = fixture.awaitState("forced", FrameworkState.Completed);
        assertThat(fixture.pod("forced-worker-0")).isNull();
        // Forced, not finished by the node: the pod's own grace period was an hour.
        Instant deletionStarted = Instant.parse(terminating.getMetadata().getDeletionTimestamp()).minusSeconds(3600);
        assertThat(Instant.parse(done.getStatus().completionTime)).isAfterOrEqualTo(deletionStarted.plusSeconds(2));
        assertThat(fixture.eventReasons("forced")).contains("PodForceDeleted");
    }

    @Test
    void withoutATimeoutATerminatingPodIsWaitedFor() throws Exception {
        fixture.create(withTimeout("patient", "null"));
        fixture.awaitState("patient", FrameworkState.AttemptRunning);

        fixture.executionType("patient", "Stop");
        fixture.awaitState("patient", FrameworkState.AttemptDeleting);
        fixture.assertStays("patient", Duration.ofSeconds(4), f -> {
            assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptDeleting);
            assertThat(fixture.pod("patient-worker-0")).isNotNull();
        });

        fixture.finishDeletion("patient-worker-0");
        fixture.awaitState("patient", FrameworkState.Completed);
    }

    @Test
    void aRemovedRolesTimeoutStillAppliesToItsTerminatingPods() {
        fixture.create("""
                metadata: {name: backup}
                spec:
                  taskRoles:
                  - name: keep
                    taskNumber: 1
                    task: {pod: {spec: {restartPolicy: Never}}}
                  - name: old
                    taskNumber: 1
                    task:
                      podGracefulDeletionTimeoutSec: 3
                      pod:
                        metadata: {annotations: {mock.capstan.io/termination-seconds: never}}
                        spec: {restartPolicy: Never, terminationGracePeriodSeconds: 3600}
                """);
        fixture.await("backup", "both running", f -> task(f, "old", 0).state == TaskState.AttemptRunning
                && task(f, "keep", 0).state == TaskState.AttemptRunning);

        fixture.jsonPatch("backup", "[{\"op\": \"remove\", \"path\": \"/spec/taskRoles/1\"}]");

        Framework removed = fixture.await("backup", "role old removed", f -> f.getStatus().attemptStatus.role("old") == null);
        assertThat(removed.getStatus().state).isEqualTo(FrameworkState.AttemptRunning);
        assertThat(fixture.pod("backup-old-0")).isNull();
        assertThat(fixture.eventReasons("backup")).contains("PodForceDeleted");
    }

    // ----- row 31: pod creation errors -----------------------------------------------------------------------------------

    @Test
    void anInvalidPodTemplateFailsTheTaskPermanently() {
        TaskStatus task = failedTask("invalid", """
                spec:
                  restartPolicy: Never
                  containers: [{name: Not_A_DNS_Label, image: x}]
                """);

        assertThat(task.attemptStatus.completionStatus.code).isEqualTo(-200);
        assertThat(task.attemptStatus.completionStatus.phrase).isEqualTo("PodCreationPermanentError");
        assertThat(task.attemptStatus.completionStatus.diagnostics).startsWith("Failed to create Pod: ")
                .contains("Not_A_DNS_Label");
        assertThat(task.attemptStatus.podUID).isNull();
        assertThat(fixture.eventReasons("invalid")).contains("PodCreationFailed");
    }

    @Test
    void anExhaustedQuotaKeepsTheTaskWaitingUntilItFrees() throws Exception {
        fixture.client.resourceQuotas().inNamespace(fixture.namespace).resource(new ResourceQuotaBuilder().withNewMetadata()
                .withName("nopods").endMetadata().withNewSpec().withHard(Map.of("pods", new Quantity("0"))).endSpec()
                .build()).create();
        // The quota is enforced once the resource-quota controller has computed its usage.
        Awaitility.await().atMost(FrameworkFixture.waitLimit()).until(() -> {
            var quota = fixture.client.resourceQuotas().inNamespace(fixture.namespace).withName("nopods").get();
            return quota.getStatus() != null && quota.getStatus().getHard() != null && !quota.getStatus().getHard().isEmpty();
        });
        fixture.create(framework("quota", 1, NO_RETRY, 1, "spec: {restartPolicy: Never}\n"));

        fixture.await("quota", "attempt prepared", f -> f.getStatus().state == FrameworkState.AttemptPreparing);
        fixture.assertStays("quota", Duration.ofSeconds(3), f -> {
            assertThat(task(f, "worker", 0).state).isEqualTo(TaskState.AttemptCreationPending);
            assertThat(task(f, "worker", 0).attemptStatus.completionStatus).isNull();
        });
        assertThat(fixture.eventReasons("quota")).contains("PodCreationFailed");

        fixture.client.resourceQuotas().inNamespace(fixture.namespace).withName("nopods").delete();

        fixture.awaitState("quota", FrameworkState.AttemptRunning);
    }

    @Test
    void aForeignPodWithTheTasksNameIsLeftAlone() throws Exception {
        Pod foreign = fixture.client.pods().inNamespace(fixture.namespace).resource(new PodBuilder().withNewMetadata()
                .withName("clash-worker-0").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("c")
                .endContainer().endSpec().build()).create();
        fixture.create(framework("clash", 1, NO_RETRY, 1, "spec: {restartPolicy: Never}\n"));

        fixture.await("clash", "attempt prepared", f -> f.getStatus().state == FrameworkState.AttemptPreparing);
        fixture.assertStays("clash", Duration.ofSeconds(3),
                f -> assertThat(task(f, "worker", 0).state).isEqualTo(TaskState.AttemptCreationPending));
        assertThat(fixture.pod("clash-worker-0").getMetadata().getUid()).isEqualTo(foreign.getMetadata().getUid());
        assertThat(fixture.eventReasons("clash")).contains("ObjectNameConflict");

        fixture.client.pods().inNamespace(fixture.namespace).withName("clash-worker-0").withGracePeriod(0).delete();

        fixture.awaitState("clash", FrameworkState.AttemptRunning);
    }

    // ----- row 44: a foreign ConfigMap with the attempt's name ----------------------------------------------------------

    @Test
    void aForeignConfigMapWithTheAttemptsNameIsLeftAlone() throws Exception {
        ConfigMap foreign = fixture.client.configMaps().inNamespace(fixture.namespace).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("taken-attempt").endMetadata().addToData("mine", "yes").build()).create();
        fixture.create(framework("taken", 1, NO_RETRY, 1, "spec: {restartPolicy: Never}\n"));

        fixture.await("taken", "initialised", f -> true);
        fixture.assertStays("taken", Duration.ofSeconds(3),
                f -> assertThat(f.getStatus().state).isEqualTo(FrameworkState.AttemptCreationPending));
        ConfigMap still = fixture.client.configMaps().inNamespace(fixture.namespace).withName("taken-attempt").get();
        assertThat(still.getMetadata().getUid()).isEqualTo(foreign.getMetadata().getUid());
        assertThat(still.getData()).containsEntry("mine", "yes");
        assertThat(fixture.eventReasons("taken")).contains("ObjectNameConflict");

        fixture.client.configMaps().inNamespace(fixture.namespace).withName("taken-attempt").delete();

        fixture.awaitState("taken", FrameworkState.AttemptRunning);
    }
}
