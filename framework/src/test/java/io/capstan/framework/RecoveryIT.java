package io.capstan.framework;

import static io.capstan.framework.FrameworkFixture.task;
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
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's dependability (FrameworkController's user manual, "Controller Fault Tolerance" and known issues): crashes and restarts, objects it did not
 * expect, concurrent edits, deletion and retention.
 */
@EmbeddedCluster
class RecoveryIT {

    private FrameworkFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static String framework(String name, int tasks, String retry, String podAnnotations) {
        return framework(name, tasks, retry, retry, podAnnotations);
    }

    private static String framework(String name, int tasks, String retry, String taskRetry, String podAnnotations) {
        return """
                metadata: {name: %s}
                spec:
                  retryPolicy: %s
                  taskRoles:
                  - name: worker
                    taskNumber: %d
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: %s
                      pod:
                        metadata: {annotations: %s}
                        spec: {restartPolicy: Never}
                """.formatted(name, retry, tasks, taskRetry, podAnnotations);
    }

    private static final String SERVICE_RETRY = "{fancyRetryPolicy: false, maxRetryCount: -2}";
    private static final String NO_RETRY = "{fancyRetryPolicy: false, maxRetryCount: 0}";

    private Pod controlledPod(String name, ConfigMap owner) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(fixture.namespace)
                .addToLabels("FC_FRAMEWORK_NAME", name.substring(0, name.indexOf('-')))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap")
                        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true)
                        .build())
                .endMetadata().withNewSpec().withRestartPolicy("Never").addNewContainer().withName("c").withImage("c")
                .endContainer().endSpec().build();
    }

    // ----- row 33 and "a crash between pod create and status write" -------------------------------------------------

    @Test
    void aPodCreatedButNeverRecordedIsDeletedAndReplaced() throws Exception {
        fixture.start();
        // Task 1 cannot be created while the quota allows one pod; the controller then "crashes".
        fixture.client.resourceQuotas().inNamespace(fixture.namespace).resource(new ResourceQuotaBuilder().withNewMetadata()
                .withName("onepod").endMetadata().withNewSpec().withHard(Map.of("pods", new Quantity("1"))).endSpec()
                .build()).create();
        Awaitility.await().atMost(FrameworkFixture.waitLimit()).until(() -> {
            var quota = fixture.client.resourceQuotas().inNamespace(fixture.namespace).withName("onepod").get();
            return quota.getStatus() != null && quota.getStatus().getHard() != null && !quota.getStatus().getHard().isEmpty();
        });
        fixture.create(framework("leak", 2, SERVICE_RETRY, "{}"));
        fixture.await("leak", "task 0 running, task 1 waiting", f -> task(f, "worker", 0).state == TaskState.AttemptRunning
                && task(f, "worker", 1).state == TaskState.AttemptCreationPending);
        fixture.stopController();
        fixture.client.resourceQuotas().inNamespace(fixture.namespace).withName("onepod").delete();

        // What a crash right after the create call leaves: a pod the attempt controls, never recorded.
        ConfigMap configMap = fixture.configMap("leak").orElseThrow();
        Pod leaked = fixture.client.pods().inNamespace(fixture.namespace).resource(controlledPod("leak-worker-1", configMap))
                .create();

        fixture.startController(FrameworkFixture.testConfig());

        Framework recovered = fixture.await("leak", "task 1 running", f -> task(f, "worker", 1).state == TaskState.AttemptRunning);
        TaskStatus task = task(recovered, "worker", 1);
        assertThat(task.attemptStatus.podUID).isNotEqualTo(leaked.getMetadata().getUid());
        assertThat(task.attemptStatus.id).isZero();
        assertThat(fixture.pod("leak-worker-1").getMetadata().getUid()).isEqualTo(task.attemptStatus.podUID);
        assertThat(fixture.eventReasons("leak")).contains("LeakedObjectDeleted");
    }

    @Test
    void aPodReplacedWhileTheControllerWasDownIsTreatedAsExternallyDeleted() throws Exception {
        fixture.start();
        fixture.create(framework("swap", 1, SERVICE_RETRY, "{}"));
        Framework running = fixture.await("swap", "running", f -> task(f, "worker", 0).state == TaskState.AttemptRunning);
        String recorded = task(running, "worker", 0).attemptStatus.podUID;
        fixture.stopController();

        fixture.client.pods().inNamespace(fixture.namespace).withName("swap-worker-0").withGracePeriod(0).delete();
        Awaitility.await().atMost(FrameworkFixture.waitLimit()).until(() -> fixture.pod("swap-worker-0") == null);
        ConfigMap configMap = fixture.configMap("swap").orElseThrow();
        Pod intruder = fixture.client.pods().inNamespace(fixture.namespace).resource(controlledPod("swap-worker-0", configMap))
                .create();

        fixture.startController(FrameworkFixture.testConfig());

        String intruderUid = intruder.getMetadata().getUid();
        Framework retried = fixture.await("swap", "task retried", f -> task(f, "worker", 0).attemptStatus.id == 1
                && task(f, "worker", 0).state == TaskState.AttemptRunning);
        TaskStatus task = task(retried, "worker", 0);
        assertThat(task.attemptStatus.podUID).isNotIn(recorded, intruderUid);
        assertThat(retried.getStatus().attemptStatus.id).isZero();
    }

    // ----- row 34: restart during a retry delay ------------------------------------------------------------------------

    @Test
    void aRestartDuringARetryDelayKeepsTheOriginalSchedule() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.frameworkMinRetryDelaySecForTransientConflictFailed = 8L;
        config.frameworkMaxRetryDelaySecForTransientConflictFailed = 8L;
        fixture.start(config);
        fixture.create(framework("backoff", 1, "{fancyRetryPolicy: true, maxRetryCount: 0}", NO_RETRY,
                "{mock.capstan.io/run-seconds: \"0\", mock.capstan.io/exit-code: \"201\"}"));
        Framework waiting = fixture.await("backoff", "retry scheduled", f -> f.getStatus().retryPolicyStatus.retryDelaySec != null);
        fixture.stopController();
        Instant scheduled = Instant.parse(waiting.getStatus().transitionTime).plusSeconds(8);
        // Down for part of the delay: nothing retries the Framework meanwhile.
        fixture.assertStays("backoff", Duration.ofSeconds(3), f -> assertThat(f.getStatus().attemptStatus.id).isZero());

        fixture.startController(config);

        Framework retried = fixture.await("backoff", "attempt 1", f -> f.getStatus().attemptStatus.id == 1);
        Instant started = Instant.parse(retried.getStatus().attemptStatus.startTime);
        // Second-resolution timestamps: the retry ran at the persisted time, not 8 s after the restart.
        assertThat(started).isBetween(scheduled.minusSeconds(1), scheduled.plusSeconds(2));
        assertThat(retried.getStatus().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        fixture.await("backoff", "attempt 1 pod", f -> task(f, "worker", 0).attemptStatus.podUID != null);
        assertThat(fixture.pods("backoff")).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aRestartedControllerContinuesFromTheStatusWithoutDuplicates() throws Exception {
        fixture.start();
        fixture.create(framework("resume", 3, SERVICE_RETRY, "{}"));
        Framework running = fixture.await("resume", "all running", f -> f.getStatus().attemptStatus.role("worker").taskStatuses
                .stream().allMatch(t -> t.state == TaskState.AttemptRunning));

        fixture.restartController();
        fixture.mock.exitNow(fixture.namespace, "resume-worker-2", 0);

        Framework after = fixture.await("resume", "task 2 retried", f -> task(f, "worker", 2).attemptStatus.id == 1
                && task(f, "worker", 2).state == TaskState.AttemptRunning);
        assertThat(after.getStatus().attemptStatus.configMapUID).isEqualTo(running.getStatus().attemptStatus.configMapUID);
        for (int i = 0; i < 2; i++) {
            assertThat(task(after, "worker", i).attemptStatus.podUID).isEqualTo(task(running, "worker", i).attemptStatus.podUID);
        }
        assertThat(fixture.pods("resume")).hasSize(3);
        assertThat(fixture.mock.createCalls()).isEqualTo(4);
    }

    // ----- row 35: monotonic status under concurrent spec edits ---------------------------------------------------------

    @Test
    void statusNeverGoesBackwardsWhileTheSpecIsEditedConcurrently() throws Exception {
        fixture.start();
        List<FrameworkStatus> history = fixture.history("busy");
        fixture.create(framework("busy", 2, "{fancyRetryPolicy: false, maxRetryCount: -1}",
                "{fancyRetryPolicy: false, maxRetryCount: 1}", "{mock.capstan.io/run-seconds: \"0.2\", mock.capstan.io/exit-code: \"1\"}"));
        AtomicBoolean editing = new AtomicBoolean(true);
        Thread editor = Thread.ofVirtual().start(() -> {
            for (int i = 0; editing.get(); i++) {
                fixture.mergePatch("busy", "{\"spec\":{\"description\":\"edit " + i + "\"}}");
            }
        });
        try {
            fixture.await("busy", "a few retries", f -> f.getStatus().retryPolicyStatus.totalRetriedCount >= 3);
        } finally {
            editing.set(false);
            editor.join();
        }

        int attemptId = -1;
        Map<Integer, String> configMapByAttempt = new HashMap<>();
        Map<String, Integer> taskAttempt = new HashMap<>();
        Map<String, String> podByTaskAttempt = new HashMap<>();
        for (FrameworkStatus status : history) {
            assertThat(status.attemptStatus.id).isGreaterThanOrEqualTo(attemptId);
            attemptId = status.attemptStatus.id;
            if (status.attemptStatus.configMapUID != null) {
                assertThat(configMapByAttempt.putIfAbsent(attemptId, status.attemptStatus.configMapUID))
                        .isIn(null, status.attemptStatus.configMapUID);
            }
            for (TaskStatus task : status.attemptStatus.role("worker").taskStatuses) {
                String key = attemptId + "/" + task.index;
                Integer before = taskAttempt.put(key, task.attemptStatus.id);
                assertThat(task.attemptStatus.id).isGreaterThanOrEqualTo(before == null ? 0 : before);
                if (task.attemptStatus.podUID != null) {
                    assertThat(podByTaskAttempt.putIfAbsent(key + "/" + task.attemptStatus.id, task.attemptStatus.podUID))
                            .isIn(null, task.attemptStatus.podUID);
                }
            }
        }
        assertThat(fixture.get("busy").getSpec().getDescription()).startsWith("edit ");
    }

    // ----- row 36: deleted and recreated under the same name ------------------------------------------------------------

    @Test
    void aFrameworkRecreatedUnderTheSameNameStartsAfresh() throws Exception {
        fixture.start();
        fixture.create(framework("phoenix", 1, SERVICE_RETRY, "{}"));
        Framework first = fixture.awaitState("phoenix", FrameworkState.AttemptRunning);
        fixture.mock.exitNow(fixture.namespace, "phoenix-worker-0", 0);
        fixture.await("phoenix", "task retried", f -> task(f, "worker", 0).retryPolicyStatus.totalRetriedCount >= 1);

        fixture.client.resources(Framework.class).inNamespace(fixture.namespace).withName("phoenix")
                .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        fixture.awaitGone("phoenix");
        fixture.create(framework("phoenix", 1, SERVICE_RETRY, "{}"));

        Framework second = fixture.await("phoenix", "the new one running", f -> !f.getMetadata().getUid()
                .equals(first.getMetadata().getUid()) && f.getStatus().state == FrameworkState.AttemptRunning);
        assertThat(second.getStatus().attemptStatus.id).isZero();
        assertThat(second.getStatus().retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(task(second, "worker", 0).retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(second.getStatus().attemptStatus.configMapUID).isNotEqualTo(first.getStatus().attemptStatus.configMapUID);
        assertThat(fixture.configMap("phoenix").orElseThrow().getMetadata().getOwnerReferences().getFirst().getUid())
                .isEqualTo(second.getMetadata().getUid());
    }

    // ----- rows 37-38: retention and deletion ---------------------------------------------------------------------------

    @Test
    void aCompletedFrameworkIsDeletedAfterTheRetentionPeriod() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.frameworkCompletedRetainSec = 3L;
        fixture.start(config);
        fixture.create(framework("retained", 1, "{fancyRetryPolicy: false, maxRetryCount: 0}",
                "{mock.capstan.io/run-seconds: \"0\"}"));
        Framework done = fixture.awaitState("retained", FrameworkState.Completed);

        fixture.awaitGone("retained");

        assertThat(Instant.now()).isAfterOrEqualTo(Instant.parse(done.getStatus().transitionTime).plusSeconds(2));
        assertThat(fixture.configMap("retained")).isEmpty();
    }

    @Test
    void deletingAFrameworkRemovesItsAttemptWithoutStartingAnother() throws Exception {
        fixture.start();
        fixture.create(framework("doomed", 2, SERVICE_RETRY, "{}"));
        fixture.await("doomed", "running", f -> f.getStatus().attemptStatus.role("worker").taskStatuses.stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));
        List<FrameworkStatus> history = fixture.history("doomed");

        fixture.client.resources(Framework.class).inNamespace(fixture.namespace).withName("doomed")
                .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();

        fixture.awaitGone("doomed");
        assertThat(fixture.configMap("doomed")).isEmpty();
        fixture.awaitNoPods("doomed");
        assertThat(fixture.mock.createCalls()).isEqualTo(2);
        assertThat(history).allSatisfy(s -> assertThat(s.attemptStatus.configMapUID == null || s.attemptStatus.id == 0)
                .as("no ConfigMap for a new attempt").isTrue());
    }
}
