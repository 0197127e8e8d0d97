package io.capstan.framework.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.admission.FrameworkValidation;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.model.PodFailureClassifier;
import io.capstan.framework.model.QueueAdmission;
import io.capstan.framework.model.StatusCompression;
import io.capstan.runtime.controller.ClusterAccess;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.ExpectedStatus;
import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.controller.LiveClusterAccess;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.controller.Watches;
import io.capstan.runtime.events.EventReason;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Framework controller: FrameworkController's engine on Capstan's runtime. Three shared informers (Frameworks,
 * and the ConfigMaps and pods labelled {@code FC_FRAMEWORK_NAME}), one work queue of {@link ObjectKey}s, and an
 * {@link ExpectedStatus} per Framework, so a stale cache never makes status go backwards and status writes never touch
 * the user's spec or a re-created Framework of the same name.
 */
public final class FrameworkController implements LeaderWork {

    private static final Logger log = LoggerFactory.getLogger(FrameworkController.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Consecutive rounds one worker gives a Framework that keeps persisting steps. */
    private static final int MAX_ROUNDS_IN_A_ROW = 8;

    private final FrameworkConfig config;
    private final EventRecorder events;
    /** A second gathers the changes of a busy Framework into one Event; quiet ones still get theirs at once-ish. */
    private final StateChangeEvents stateChanges;
    private final Clock clock;
    private final SharedIndexInformer<Framework> frameworks;
    private final SharedIndexInformer<ConfigMap> configMaps;
    private final SharedIndexInformer<Pod> pods;
    private final Controller<ObjectKey> controller;
    private final ExpectedStatus<Framework, FrameworkStatus> expected;
    /** The generation of each Framework whose spec problems were last reported, so each is reported once. */
    private final Map<ObjectKey, Long> reportedProblems = new ConcurrentHashMap<>();
    private final PodFailureClassifier classifier;
    private final Snapshots snapshots;
    private final RandomGenerator random = RandomGenerator.getDefault();
    private final MeterRegistry metrics;
    private final Counter statusWrites;
    private final ClusterAccess cluster;

    public FrameworkController(KubernetesClient client, Informers informers, FrameworkConfig config, EventRecorder events,
            MeterRegistry metrics, Clock clock) {
        this.config = config;
        this.events = events;
        this.stateChanges = new StateChangeEvents(events, Duration.ofSeconds(1));
        this.clock = clock;
        this.metrics = metrics;
        this.frameworks = informers.informer(Framework.class);
        this.configMaps = informers.informer(ConfigMap.class, Selectors.labels(Names.FRAMEWORK_NAME));
        this.pods = informers.informer(Pod.class, Selectors.labels(Names.FRAMEWORK_NAME));
        this.cluster = LiveClusterAccess.on(client).cache(ConfigMap.class, configMaps).cache(Pod.class, pods).build();
        this.classifier = new PodFailureClassifier(config.podFailureSpec);
        this.snapshots = new Snapshots(config.logObjectSnapshot, client.getKubernetesSerialization());
        this.controller = Controller.<ObjectKey>builder("framework", this::sync).kind("Framework")
                .workers(config.workerNumber).metrics(metrics).build();
        this.statusWrites = Counter.builder("capstan.framework.status.writes").description("Framework status writes")
                .register(metrics);
        var uidGuardedPatch = ExpectedStatus.uidGuardedPatch(client, Framework.class);
        this.expected = new ExpectedStatus<>(FrameworkController::copy, (framework, status) -> {
            uidGuardedPatch.accept(framework, status);
            statusWrites.increment();
        });
        for (FrameworkState state : FrameworkState.values()) {
            Gauge.builder("capstan.frameworks", this, c -> c.countInState(state)).tag("state", state.name())
                    .description("Frameworks in the cache by state").register(metrics);
        }
        log.debug("Framework controller configuration:\n{}", config.describe());
        frameworks.addEventHandler(new FrameworkBookkeeping());
        pods.addEventHandler(new PodBookkeeping());
        // Only spec and deletion changes of a Framework matter, and a queue's admission: this controller's own status
        // writes do not loop back. Its ConfigMaps and pods carry its name in a label (the pods are owned by the ConfigMap, not the Framework).
        Watches.of(controller).forPrimary(frameworks, (before, after) -> Watches.specOrDeletionChanged(before, after)
                        || QueueAdmission.changed(before, after))
                .watches(configMaps, FrameworkController::frameworkOf)
                .watches(pods, FrameworkController::frameworkOf);
    }

    private double countInState(FrameworkState state) {
        return frameworks.getStore().list().stream()
                .filter(f -> f.getStatus() != null && f.getStatus().state == state).count();
    }

    @Override
    public void start() {
        controller.start();
    }

    @Override
    public void stop() {
        controller.stop();
        stateChanges.close();
    }

    /** The Framework a ConfigMap or pod belongs to, by its {@code FC_FRAMEWORK_NAME} label. */
    private static ObjectKey frameworkOf(HasMetadata object) {
        String framework = object.getMetadata().getLabels() == null ? null
                : object.getMetadata().getLabels().get(Names.FRAMEWORK_NAME);
        return framework == null ? null : new ObjectKey(object.getMetadata().getNamespace(), framework);
    }

    // ----- bookkeeping on events (routing is in the constructor) -------------------------------------------------------

    private final class FrameworkBookkeeping implements ResourceEventHandler<Framework> {
        @Override
        public void onAdd(Framework framework) {
        }

        @Override
        public void onUpdate(Framework oldFramework, Framework newFramework) {
            if (!Objects.equals(oldFramework.getMetadata().getUid(), newFramework.getMetadata().getUid())) {
                expected.forget(ObjectKey.of(newFramework));
            }
        }

        @Override
        public void onDelete(Framework framework, boolean deletedFinalStateUnknown) {
            snapshots.onFrameworkDeletion(framework);
            expected.forget(ObjectKey.of(framework));
        }
    }

    private final class PodBookkeeping implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod pod) {
        }

        @Override
        public void onUpdate(Pod oldPod, Pod newPod) {
        }

        @Override
        public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
            if (belongsToCachedFramework(pod)) {
                snapshots.onPodDeletion(pod);
            }
        }
    }

    /** The pod's controller is a cached ConfigMap whose controller is a cached Framework (UIDs matching). */
    private boolean belongsToCachedFramework(Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        return controllerOf(pod).flatMap(owner -> Optional.ofNullable(configMaps.getIndexer().getByKey(namespace + "/"
                + owner.getName())).filter(cm -> owner.getUid().equals(cm.getMetadata().getUid())))
                .flatMap(cm -> controllerOf(cm).flatMap(owner -> Optional.ofNullable(frameworks.getIndexer()
                        .getByKey(namespace + "/" + owner.getName())).filter(f -> owner.getUid().equals(f.getMetadata().getUid()))))
                .isPresent();
    }

    private static Optional<io.fabric8.kubernetes.api.model.OwnerReference> controllerOf(HasMetadata object) {
        return object.getMetadata().getOwnerReferences() == null ? Optional.empty()
                : object.getMetadata().getOwnerReferences().stream().filter(o -> Boolean.TRUE.equals(o.getController()))
                        .findFirst();
    }

    // ----- sync ----------------------------------------------------------------------------------------------------

    /**
     * Sync rounds for one Framework. A round that persisted an intent is followed at once by the round that acts on
     * it, in the same worker, rather than after every other queued Framework: with thousands queued, each of the
     * half-dozen persisted steps between a Framework's creation and its running pods would otherwise wait for a whole
     * pass of the queue. The write is durable before the next round starts, exactly as when the next round came from
     * the queue; the work queue still keeps two workers off the same Framework.
     */
    private Result sync(ObjectKey key) throws IOException {
        for (int round = 1; ; round++) {
            Round done = syncRound(key);
            if (!done.persisted()) {
                return done.timer();
            }
            if (round == MAX_ROUNDS_IN_A_ROW) {
                // A Framework still moving after this many steps yields its worker to the others.
                controller.queue().add(key);
                return done.timer();
            }
        }
    }

    /** What one round did: its timer, and whether it wrote a status (so the next round has something to act on). */
    private record Round(Result timer, boolean persisted) {
    }

    private Round syncRound(ObjectKey key) throws IOException {
        Framework framework = frameworks.getIndexer().getByKey(key.toString());
        if (framework == null) {
            expected.forget(key);
            reportedProblems.remove(key);
            return new Round(Result.done(), false);
        }
        reportSpecProblems(key, framework);
        FrameworkStatus persisted = expected.current(framework, framework.getStatus());
        if (persisted != null) {
            StatusCompression.decompress(persisted.attemptStatus);
        }

        FrameworkStatus working;
        Result timer;
        RuntimeException failure = null;
        if (persisted == null) {
            working = FrameworkSync.initialStatus(framework, clock);
            events.record(framework, FrameworkReason.FrameworkAttemptCreationPending, "Framework accepted: attempt 0 of "
                    + framework.getSpec().totalTaskNumber() + " tasks");
            timer = Result.done();
        } else {
            working = copy(persisted);
            Framework view = viewWith(framework, working);
            FrameworkSync round = new FrameworkSync(view, working, config, cluster, clock, new EventObserver(view),
                    classifier, random);
            try {
                timer = round.run();
            } catch (RuntimeException e) {
                // What the round did before failing (e.g. pods it created) is persisted all the same.
                failure = e;
                timer = Result.done();
            } finally {
                round.flushEvents();
            }
        }
        if (!sameJson(persisted, working)) {
            FrameworkStatus toWrite = copy(working);
            if (config.largeFrameworkCompression) {
                StatusCompression.compress(toWrite.attemptStatus);
            }
            expected.write(framework, toWrite);
            if (failure != null) {
                throw failure;
            }
            // The persisted intent is acted on in the next round.
            return new Round(timer, true);
        }
        if (failure != null) {
            throw failure;
        }
        return new Round(timer, false);
    }

    /** A Framework that got past the admission webhook with problems it would have rejected: say so, once. */
    private void reportSpecProblems(ObjectKey key, Framework framework) {
        Long generation = framework.getMetadata().getGeneration();
        if (generation == null || generation.equals(reportedProblems.get(key))) {
            return;
        }
        reportedProblems.put(key, generation);
        List<String> problems = FrameworkValidation.problems(framework, null);
        if (!problems.isEmpty()) {
            events.record(framework, FrameworkReason.InvalidSpec, "The spec has " + FrameworkValidation.summary(problems)
                    + ". Roles that repeat a name are ignored.");
        }
    }

    /** The Framework as the round sees it: the cached object with the working status. */
    private static Framework viewWith(Framework cached, FrameworkStatus status) {
        Framework view = new Framework();
        view.setMetadata(cached.getMetadata());
        view.setSpec(cached.getSpec());
        view.setStatus(status);
        return view;
    }

    private static FrameworkStatus copy(FrameworkStatus status) {
        return status == null ? null : JSON.convertValue(status, FrameworkStatus.class);
    }

    private static boolean sameJson(Object a, Object b) {
        return Objects.equals(JSON.valueToTree(a), JSON.valueToTree(b));
    }

    // ----- effects --------------------------------------------------------------------------------------------------

    private final class EventObserver implements FrameworkSync.Observer {
        private final Framework framework;

        EventObserver(Framework framework) {
            this.framework = framework;
        }

        @Override
        public void event(EventReason reason, String message) {
            events.record(framework, reason, message);
        }

        @Override
        public void stateChanges(EventReason reason, String message) {
            stateChanges.add(framework, (FrameworkReason) reason, message);
        }

        @Override
        public void frameworkRetry(Framework before) {
            snapshots.onFrameworkRetry(before);
        }

        @Override
        public void taskRetry(TaskRoleStatus role, TaskStatus before) {
            snapshots.onTaskRetry(framework, role, before);
        }

        @Override
        public void taskDeleted(TaskRoleStatus role, TaskStatus task) {
            snapshots.onTaskDeletion(framework, role, task);
        }

        @Override
        public void retried(String level, Integer code) {
            Counter.builder("capstan.framework.retries").tag("level", level).tag("code", String.valueOf(code))
                    .description("Framework and task retries by completion code").register(metrics).increment();
        }

        @Override
        public void taskTransition(TaskState state) {
            Counter.builder("capstan.framework.task.transitions").tag("state", state.name())
                    .description("Task state transitions").register(metrics).increment();
        }
    }
}
