package io.capstan.framework.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.CompletionPolicySpec;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.RetryPolicySpec;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.model.PodFailureClassifier;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.testkit.InMemoryClusterAccess;
import io.capstan.runtime.events.EventReason;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The sync rounds against an in-memory cluster whose informer cache can be made to miss objects: the cases a real
 * API server cannot produce on demand (FrameworkController's local-cache creation timeouts), and the
 * persist-before-act discipline.
 */
class FrameworkSyncTest {

    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-23T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static final FrameworkSync.Observer QUIET = new FrameworkSync.Observer() {
        @Override
        public void event(EventReason reason, String message) {
        }

        @Override
        public void frameworkRetry(Framework before) {
        }

        @Override
        public void taskRetry(TaskRoleStatus role, TaskStatus before) {
        }

        @Override
        public void taskDeleted(TaskRoleStatus role, TaskStatus task) {
        }

        @Override
        public void retried(String level, Integer code) {
        }

        @Override
        public void taskTransition(TaskState state) {
        }
    };

    private final InMemoryClusterAccess cluster = new InMemoryClusterAccess();
    private final MutableClock clock = new MutableClock();
    private final FrameworkConfig config = FrameworkConfig.defaults();
    private final Framework framework = new Framework();
    private static final ObjectMapper JSON = new ObjectMapper();
    private FrameworkStatus status;

    FrameworkSyncTest() {
        framework.setMetadata(new ObjectMetaBuilder().withName("fw").withNamespace("ns").withUid("fw-uid").build());
        framework.getSpec().setRetryPolicy(new RetryPolicySpec(true, 1));
        TaskRoleSpec role = new TaskRoleSpec();
        role.setName("worker");
        role.setTaskNumber(1);
        role.setFrameworkAttemptCompletionPolicy(new CompletionPolicySpec(1, -1));
        role.getTask().setRetryPolicy(new RetryPolicySpec(true, 1));
        role.getTask().setPod(new ObjectMapper().valueToTree(Map.of("spec", Map.of("containers",
                List.of(Map.of("name", "main", "image", "busybox"))))));
        framework.getSpec().getTaskRoles().add(role);
        status = FrameworkSync.initialStatus(framework, clock);
    }

    private Pod livePod(String name) {
        return cluster.live(Pod.class, new ObjectKey("ns", name)).orElseThrow();
    }

    private Result round() {
        return new FrameworkSync(framework, status, config, cluster, clock, QUIET,
                new PodFailureClassifier(config.podFailureSpec), new Random(1)).run();
    }

    private String statusJson() {
        try {
            return JSON.writeValueAsString(status);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs rounds as the controller does (a round that changed the status is followed by another) until quiet. */
    private Result settle() {
        for (int round = 0; round < 50; round++) {
            String before = statusJson();
            Result outcome = round();
            if (before.equals(statusJson())) {
                return outcome;
            }
        }
        throw new AssertionError("the Framework did not settle in 50 rounds");
    }

    private TaskStatus task() {
        return status.attemptStatus.taskRoleStatuses.getFirst().taskStatuses.getFirst();
    }

    @Test
    void aConfigMapThatNeverReachesTheCacheTimesOutAsMinus110() {
        cluster.hideCreated(ConfigMap.class);

        Result waiting = settle();

        assertThat(status.state).isEqualTo(FrameworkState.AttemptCreationRequested);
        assertThat(cluster.calls()).containsExactly("create ConfigMap fw-attempt");
        assertThat(waiting.after()).isEqualTo(Duration.ofSeconds(300));

        clock.now = clock.now.plusSeconds(299);
        settle();
        assertThat(status.state).isEqualTo(FrameworkState.AttemptCreationRequested);

        clock.now = clock.now.plusSeconds(1);
        cluster.showCreated(ConfigMap.class);
        settle();

        // The timed-out attempt: ConfigMap deleted by UID, code -110 (Transient), so the fancy policy retries it
        // without counting; the new attempt's ConfigMap reaches the cache.
        assertThat(cluster.calls()).containsSubsequence("create ConfigMap fw-attempt", "delete ConfigMap fw-attempt",
                "create ConfigMap fw-attempt");
        assertThat(status.retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(status.retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(status.attemptStatus.id).isEqualTo(1);
        assertThat(status.state).isEqualTo(FrameworkState.AttemptPreparing);
    }

    @Test
    void aPodThatNeverReachesTheCacheTimesOutAsMinus111() {
        cluster.hideCreated(Pod.class);
        settle();
        assertThat(status.state).isEqualTo(FrameworkState.AttemptPreparing);
        assertThat(task().state).isEqualTo(TaskState.AttemptCreationRequested);
        String firstPodUid = task().attemptStatus.podUID;

        clock.now = clock.now.plusSeconds(300);
        cluster.showCreated(Pod.class);
        settle();

        assertThat(livePod("fw-worker-0").getMetadata().getUid()).isNotEqualTo(firstPodUid);
        assertThat(cluster.calls()).containsSubsequence("create Pod fw-worker-0", "delete Pod fw-worker-0", "create Pod fw-worker-0");
        assertThat(task().retryPolicyStatus.totalRetriedCount).isEqualTo(1);
        assertThat(task().retryPolicyStatus.accountableRetriedCount).isZero();
        assertThat(task().attemptStatus.id).isEqualTo(1);
        assertThat(task().state).isEqualTo(TaskState.AttemptPreparing);
    }

    @Test
    void anUnknownPodPhaseChangesNothingWhileRunningAndSucceededMoveTheTaskOn() {
        // A node that stops reporting turns pods Unknown; that alone must neither fail nor
        // retry the task. Pending keeps it Preparing however long it lasts.
        settle();
        Pod pod = livePod("fw-worker-0");
        pod.setStatus(new PodStatusBuilder().withPhase("Pending").build());
        clock.now = clock.now.plus(Duration.ofDays(1));
        settle();
        assertThat(task().state).isEqualTo(TaskState.AttemptPreparing);

        pod.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP("10.0.0.7").build());
        settle();
        assertThat(task().state).isEqualTo(TaskState.AttemptRunning);

        pod.setStatus(new PodStatusBuilder().withPhase("Unknown").withPodIP("10.0.0.7").build());
        String before = statusJson();
        settle();
        assertThat(statusJson()).isEqualTo(before);
        assertThat(cluster.calls()).doesNotContain("delete Pod fw-worker-0");

        pod.setStatus(new PodStatusBuilder().withPhase("Succeeded").build());
        settle();
        assertThat(task().attemptStatus.completionStatus.code).isZero();
    }

    @Test
    void everyPendingStateIsPersistedBeforeItsSideEffect() {
        // Round by round: a round that creates something must not be the round that decided to.
        List<String> trace = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            int callsBefore = cluster.calls().size();
            String before = statusJson();
            String states = status.state + "/" + task().state;
            Result outcome = round();
            if (before.equals(statusJson())) {
                break;
            }
            trace.add(states + " -> " + status.state + "/" + task().state + " "
                    + cluster.calls().subList(callsBefore, cluster.calls().size()));
        }

        assertThat(trace).containsExactly(
                "AttemptCreationPending/AttemptCreationPending -> AttemptCreationRequested/AttemptCreationPending "
                        + "[create ConfigMap fw-attempt]",
                "AttemptCreationRequested/AttemptCreationPending -> AttemptPreparing/AttemptCreationRequested "
                        + "[create Pod fw-worker-0]",
                "AttemptPreparing/AttemptCreationRequested -> AttemptPreparing/AttemptPreparing []");
    }

    @Test
    void stopBeforeTheConfigMapIsRecordedDeletesALeftoverItControls() {
        // A crash after the create call but before the status write leaves a ConfigMap nobody recorded.
        cluster.create(io.capstan.framework.model.TaskPods.configMap(framework, 0));
        framework.getSpec().setExecutionType("Stop");

        settle();

        assertThat(cluster.calls()).containsExactly("create ConfigMap fw-attempt", "delete ConfigMap fw-attempt");
        assertThat(status.state).isEqualTo(FrameworkState.Completed);
        assertThat(status.attemptStatus.completionStatus.code).isEqualTo(-210);
        assertThat(task().attemptStatus.completionStatus.code).isEqualTo(-220);
    }
}
