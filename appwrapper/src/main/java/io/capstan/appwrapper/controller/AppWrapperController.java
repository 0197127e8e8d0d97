package io.capstan.appwrapper.controller;

import static io.capstan.appwrapper.api.AppWrapperStatus.DELETING_RESOURCES;
import static io.capstan.appwrapper.api.AppWrapperStatus.PODS_READY;
import static io.capstan.appwrapper.api.AppWrapperStatus.QUOTA_RESERVED;
import static io.capstan.appwrapper.api.AppWrapperStatus.RESOURCES_DEPLOYED;
import static io.capstan.appwrapper.api.AppWrapperStatus.UNHEALTHY;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.appwrapper.AppWrapperReason;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperStatus;
import io.capstan.appwrapper.api.AppWrapperStatus.ComponentStatus;
import io.capstan.appwrapper.api.AppWrapperStatus.Phase;
import io.capstan.appwrapper.model.Autopilot;
import io.capstan.appwrapper.model.FaultTolerance;
import io.capstan.appwrapper.model.PodSets;
import io.capstan.appwrapper.model.WrappedObjects;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.ExpectedStatus;
import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.controller.Watches;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AppWrapper controller: AppWrapper's state machine (project-codeflare/appwrapper,
 * internal/controller/appwrapper/appwrapper_controller.go) on Capstan's runtime. An AppWrapper deploys its components
 * only while {@code spec.suspend} is false, watches its pods (found by the {@code workload.codeflare.dev/appwrapper}
 * label) and components, resets it after a failure while retries are left, and reports {@code ResourcesDeployed=False}
 * — which gives its quota back — only once every component and pod is gone.
 *
 * <p>{@link #sync} reads as the table of transitions: one method per phase, each returning when to look again.
 */
public final class AppWrapperController implements LeaderWork {

    private static final Logger log = LoggerFactory.getLogger(AppWrapperController.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POD_INDEX = "appwrapper";
    private static final String NODE_INDEX = "node";
    private static final Duration CREATE_RETRY = Duration.ofSeconds(1);
    private static final Duration SWEEP_AGAIN = Duration.ofSeconds(5);
    private static final Duration HEALTHY_RECHECK = Duration.ofSeconds(60);
    private static final int MAX_ROUNDS_IN_A_ROW = 8;

    /** The operator-wide settings ({@code appwrapper} in AppWrapper's operator configuration). */
    public record Settings(FaultTolerance.Defaults faultTolerance, String schedulerName, Autopilot autopilot,
            int workers) {
        public static final Settings APPWRAPPER = new Settings(FaultTolerance.Defaults.APPWRAPPER, null,
                Autopilot.DEFAULTS, 5);
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final EventRecorder events;
    private final Clock clock;
    private final SharedIndexInformer<AppWrapper> appWrappers;
    private final SharedIndexInformer<Pod> pods;
    /** Only when Autopilot's node monitoring is on. */
    private final SharedIndexInformer<Node> nodes;
    private final Controller<ObjectKey> controller;
    private final ExpectedStatus<AppWrapper, AppWrapperStatus> expected;
    private final WrappedKinds kinds;
    private final MeterRegistry metrics;

    public AppWrapperController(KubernetesClient client, Informers informers, Settings settings, EventRecorder events,
            MeterRegistry metrics, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.kinds = new WrappedKinds(client);
        this.metrics = metrics;
        this.appWrappers = informers.informer(AppWrapper.class);
        this.pods = informers.informer(Pod.class, Selectors.labels(AppWrapper.LABEL));
        pods.addIndexers(Map.of(POD_INDEX, pod -> List.of(pod.getMetadata().getNamespace() + "/"
                + pod.getMetadata().getLabels().get(AppWrapper.LABEL)), NODE_INDEX, pod -> pod.getSpec().getNodeName() == null
                ? List.of() : List.of(pod.getSpec().getNodeName())));
        this.nodes = settings.autopilot().monitorNodes() ? informers.clusterWideInformer(Node.class, Selectors.NONE) : null;
        this.controller = Controller.<ObjectKey>builder("appwrapper", this::sync).kind(AppWrapper.KIND)
                .workers(settings.workers()).metrics(metrics).build();
        var uidGuardedPatch = ExpectedStatus.uidGuardedPatch(client, AppWrapper.class);
        this.expected = new ExpectedStatus<>(AppWrapperController::copy, uidGuardedPatch::accept);
        // Every pod change wakes its AppWrapper (the peer wakes only on Succeeded and polls for the rest).
        Watches.of(controller).forPrimary(appWrappers, Watches::metadataOrSpecChanged)
                .watches(pods, pod -> new ObjectKey(pod.getMetadata().getNamespace(),
                        pod.getMetadata().getLabels().get(AppWrapper.LABEL)));
        if (nodes != null) {
            nodes.addEventHandler(new AutopilotLabels());
        }
    }

    /**
     * A node whose Autopilot labels change what must leave it wakes the AppWrappers with pods on it (the peer finds
     * out at its next poll of each running AppWrapper).
     */
    private final class AutopilotLabels implements ResourceEventHandler<Node> {
        @Override
        public void onAdd(Node node) {
        }

        @Override
        public void onUpdate(Node before, Node after) {
            var autopilot = settings.autopilot();
            if (autopilot.noExecuteResources(before.getMetadata().getLabels())
                    .equals(autopilot.noExecuteResources(after.getMetadata().getLabels()))) {
                return;
            }
            for (Pod pod : pods.getIndexer().byIndex(NODE_INDEX, after.getMetadata().getName())) {
                controller.queue().add(new ObjectKey(pod.getMetadata().getNamespace(),
                        pod.getMetadata().getLabels().get(AppWrapper.LABEL)));
            }
        }

        @Override
        public void onDelete(Node node, boolean deletedFinalStateUnknown) {
        }
    }

    /** The configured resources a pod uses that its node's Autopilot labels mark NoExecute. */
    private Set<String> noExecuteResourcesOf(Pod pod) {
        if (nodes == null || pod.getSpec().getNodeName() == null) {
            return Set.of();
        }
        Node node = nodes.getIndexer().getByKey(pod.getSpec().getNodeName());
        if (node == null) {
            return Set.of();
        }
        Set<String> flagged = new java.util.TreeSet<>(settings.autopilot().noExecuteResources(node.getMetadata().getLabels()));
        if (!flagged.isEmpty()) {
            JsonNode spec = JSON.valueToTree(pod.getSpec());
            flagged.removeIf(resource -> !Autopilot.uses(spec, resource));
        }
        return flagged;
    }

    @Override
    public void start() {
        controller.start();
    }

    @Override
    public void stop() {
        controller.stop();
    }

    private static AppWrapperStatus copy(AppWrapperStatus status) {
        return JSON.convertValue(JSON.valueToTree(status), AppWrapperStatus.class);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    // ----- sync ----------------------------------------------------------------------------------------------------

    /** One AppWrapper: rounds of {@link #step} while each changes the status, as a persisted step enables the next. */
    private Result sync(ObjectKey key) {
        for (int round = 1; ; round++) {
            AppWrapper cached = appWrappers.getIndexer().getByKey(key.toString());
            if (cached == null) {
                expected.forget(key);
                return Result.done();
            }
            if (cached.getSpec().managedBy != null && !cached.getSpec().managedBy.isEmpty()
                    && !AppWrapper.CONTROLLER_NAME.equals(cached.getSpec().managedBy)) {
                return Result.done();
            }
            AppWrapperStatus persisted = expected.current(cached, cached.getStatus());
            AppWrapperStatus status = persisted == null ? new AppWrapperStatus() : copy(persisted);
            Work work = new Work(cached, status);
            Result result;
            boolean changed;
            try {
                result = work.step();
                changed = !JSON.valueToTree(status).equals(JSON.valueToTree(persisted == null
                        ? new AppWrapperStatus() : persisted));
                if (changed) {
                    work.persist();
                    if (persisted == null || !Objects.equals(persisted.phase, status.phase)) {
                        countPhase(cached, status.phase);
                    }
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404 && cached.getMetadata().getDeletionTimestamp() != null) {
                    // Deleted meanwhile (the cache still has it): nothing left to do.
                    expected.forget(key);
                    return Result.done();
                }
                throw e;
            }
            if (!changed || work.finalizerRemoved) {
                return result;
            }
            if (round == MAX_ROUNDS_IN_A_ROW) {
                controller.queue().add(key);
                return result;
            }
        }
    }

    /**
     * AppWrapper's metric {@code appwrapper_phase_total{namespace, phase}}: phases entered, counted once their status
     * is written (so a write that fails and is retried counts once).
     */
    private void countPhase(AppWrapper appWrapper, String phase) {
        Counter.builder("appwrapper.phase").description("Phase transitions of AppWrappers")
                .tag("namespace", appWrapper.getMetadata().getNamespace()).tag("phase", phase == null ? "" : phase)
                .register(metrics).increment();
    }

    /** One round on one AppWrapper: the transitions of AppWrapper's state machine, by phase. */
    private final class Work {
        final AppWrapper appWrapper;
        final AppWrapperStatus status;
        final Instant now = now();
        final FaultTolerance tolerance;
        boolean finalizerRemoved;

        Work(AppWrapper appWrapper, AppWrapperStatus status) {
            this.appWrapper = appWrapper;
            this.status = status;
            this.tolerance = FaultTolerance.of(appWrapper.getMetadata().getAnnotations(), settings.faultTolerance(),
                    problem -> events.record(appWrapper, AppWrapperReason.InvalidAnnotation, problem));
        }

        void persist() {
            expected.write(appWrapper, status);
        }

        Result step() {
            if (appWrapper.getMetadata().getDeletionTimestamp() != null) {
                return deleted();
            }
            return switch (status.phase()) {
                case Empty -> firstSeen();
                case Suspended -> suspended();
                case Resuming -> resuming();
                case Running -> running();
                case Suspending -> suspending();
                case Resetting -> resetting();
                case Failed -> failed();
                case Succeeded -> succeeded();
                case Terminating -> Result.done();
            };
        }

        /** Deleted: remove everything it deployed, then let it go. */
        Result deleted() {
            if (!hasFinalizer()) {
                return Result.done();
            }
            if (status.isTrue(RESOURCES_DEPLOYED)) {
                if (!sweep()) {
                    enter(Phase.Terminating, "removing the wrapped objects and their pods");
                    return Result.requeueAfter(SWEEP_AGAIN);
                }
                status.set(RESOURCES_DEPLOYED, "False", "Terminating", "Resources successfully deleted", now);
            }
            status.set(QUOTA_RESERVED, "False", "Terminating", "The AppWrapper is being deleted", now);
            persist();
            removeFinalizer();
            return Result.done();
        }

        /** First seen: its podSets are fixed in status, so later edits cannot change the pod arithmetic. */
        Result firstSeen() {
            List<ComponentStatus> components = new ArrayList<>();
            for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
                Component component = appWrapper.getSpec().components.get(i);
                ComponentStatus componentStatus = new ComponentStatus();
                try {
                    componentStatus.podSets = PodSets.effective(component);
                } catch (PodSets.InvalidPodSetException e) {
                    status.set(UNHEALTHY, "True", "InvalidComponent", "component " + i + ": " + e.getMessage(), now);
                    status.set(RESOURCES_DEPLOYED, "False", "Failed", "Nothing was deployed", now);
                    enter(Phase.Failed, "component " + i + " is not valid: " + e.getMessage());
                    return Result.done();
                }
                componentStatus.apiVersion = component.template.path("apiVersion").asText();
                componentStatus.kind = component.template.path("kind").asText();
                componentStatus.name = component.template.path("metadata").path("name").asText("");
                components.add(componentStatus);
            }
            status.componentStatus = components;
            enter(Phase.Suspended, null);
            return Result.done();
        }

        Result suspended() {
            if (appWrapper.getSpec().suspended() || awaitsAdmission()) {
                return Result.done();
            }
            addFinalizer();
            status.set(QUOTA_RESERVED, "True", "Resuming", "Suspend is false", now);
            status.set(RESOURCES_DEPLOYED, "True", "Resuming", "Suspend is false", now);
            status.set(PODS_READY, "False", "Resuming", "Suspend is false", now);
            status.set(UNHEALTHY, "False", "Resuming", "Suspend is false", now);
            enter(Phase.Resuming, null);
            return Result.done();
        }

        /** Creating the components, in order; a fatal error fails it, others are retried within the admission grace. */
        Result resuming() {
            if (appWrapper.getSpec().suspended()) {
                return suspendExternally();
            }
            for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
                ComponentStatus componentStatus = status.componentStatus.get(i);
                if (isTrue(componentStatus, RESOURCES_DEPLOYED)) {
                    continue;
                }
                CreateOutcome outcome = create(i, componentStatus);
                if (outcome.created()) {
                    continue;
                }
                if (outcome.fatal()) {
                    status.set(UNHEALTHY, "True", "CreateFailed", outcome.message(), now);
                    enter(Phase.Failed, "component " + i + ": " + outcome.message());
                    return Result.done();
                }
                if (now.isBefore(status.since(RESOURCES_DEPLOYED).plus(tolerance.admissionGracePeriod()))) {
                    return Result.requeueAfter(CREATE_RETRY);
                }
                status.set(UNHEALTHY, "True", "CreateFailed", outcome.message(), now);
                return resetOrFail(1, false, "component " + i + " could not be created: " + outcome.message());
            }
            enter(Phase.Running, null);
            return Result.done();
        }

        /** Watching pods and components: success, failures (after their grace), readiness. */
        Result running() {
            if (appWrapper.getSpec().suspended()) {
                return suspendExternally();
            }
            int found = 0;
            String failedComponent = null;
            for (ComponentStatus componentStatus : status.componentStatus) {
                GenericKubernetesResource object = component(componentStatus);
                if (object != null && object.getMetadata().getDeletionTimestamp() == null) {
                    found++;
                    if (failedComponent == null && hasFailed(object)) {
                        failedComponent = componentStatus.kind + " " + componentStatus.name;
                    }
                }
            }
            if (found != status.componentStatus.size()) {
                status.set(UNHEALTHY, "True", "MissingComponent", "Only " + found + " of " + status.componentStatus.size()
                        + " components are deployed", now);
                enter(Phase.Failed, "a wrapped object was deleted");
                return Result.done();
            }
            PodCounts counts = countPods();
            if (failedComponent != null) {
                status.set(UNHEALTHY, "True", "FailedComponent", failedComponent + " failed", now);
                return resetOrFail(1, counts.terminal, failedComponent + " failed");
            }
            int expectedPods = status.componentStatus.stream().mapToInt(c -> PodSets.expectedPods(c.podSets)).sum();
            if (counts.succeeded >= expectedPods && counts.pending + counts.running + counts.failed == 0) {
                status.set(QUOTA_RESERVED, "False", "Succeeded", "All pods succeeded", now);
                status.set(RESOURCES_DEPLOYED, "True", "Succeeded", "All pods succeeded", now);
                status.set(PODS_READY, "False", "Succeeded", counts.describe(), now);
                enter(Phase.Succeeded, counts.succeeded + " pods succeeded");
                return Result.done();
            }
            if (counts.failed > 0) {
                // The message stays the same while pods keep failing, so the grace runs from the first one.
                status.set(UNHEALTHY, "True", "FoundFailedPods", "Found failed pods", now);
                Instant deadline = status.since(UNHEALTHY).plus(tolerance.failureGracePeriod());
                if (now.isBefore(deadline)) {
                    return Result.requeueAfter(Duration.between(now, deadline));
                }
                return resetOrFail(1, counts.terminal, counts.failed + " pods failed");
            }
            if (!counts.noExecuteNodes.isEmpty()) {
                String message = "Workload contains pods using NoExecute resources on Nodes: " + counts.noExecuteNodes;
                status.set(UNHEALTHY, "True", "AutopilotNoExecute", message, now);
                // The node's fault, not the workload's: no retry is used up.
                return resetOrFail(0, false, message);
            }
            if (counts.running + counts.succeeded >= expectedPods) {
                status.set(UNHEALTHY, "False", "FoundNoFailedPods", "No failed pods", now);
                status.set(PODS_READY, "True", "SufficientPodsReady", counts.describe(), now);
                return Result.requeueAfter(HEALTHY_RECHECK);
            }
            status.set(PODS_READY, "False", "InsufficientPodsReady", counts.describe(), now);
            boolean allExist = counts.pending + counts.running + counts.succeeded >= expectedPods;
            Duration grace = allExist ? tolerance.warmupGracePeriod() : tolerance.admissionGracePeriod();
            Instant deadline = status.since(RESOURCES_DEPLOYED).plus(grace);
            if (now.isBefore(deadline)) {
                return Result.requeueAfter(Duration.between(now, deadline).compareTo(SWEEP_AGAIN) < 0
                        ? Duration.between(now, deadline) : SWEEP_AGAIN);
            }
            status.set(UNHEALTHY, "True", "InsufficientPodsReady", counts.describe(), now);
            return resetOrFail(1, counts.terminal, "not all pods were ready within " + grace + ": " + counts.describe());
        }

        Result suspending() {
            if (status.isTrue(RESOURCES_DEPLOYED)) {
                if (!sweep()) {
                    return Result.requeueAfter(SWEEP_AGAIN);
                }
                status.set(RESOURCES_DEPLOYED, "False", "Suspended", "Suspend is true", now);
            }
            status.set(QUOTA_RESERVED, "False", "Suspended", "Suspend is true", now);
            status.remove(PODS_READY);
            status.remove(UNHEALTHY);
            enter(Phase.Suspended, null);
            return Result.done();
        }

        /** After a failure: remove everything, keep the quota, pause, then deploy again. */
        Result resetting() {
            if (appWrapper.getSpec().suspended()) {
                return suspendExternally();
            }
            status.remove(PODS_READY);
            if (status.isTrue(RESOURCES_DEPLOYED)) {
                if (!sweep()) {
                    return Result.requeueAfter(SWEEP_AGAIN);
                }
                status.set(RESOURCES_DEPLOYED, "False", "Resetting", "Resources deleted for resetting", now);
            }
            Instant resume = status.since(UNHEALTHY).plus(tolerance.retryPausePeriod());
            if (now.isBefore(resume)) {
                return Result.requeueAfter(Duration.between(now, resume));
            }
            status.set(RESOURCES_DEPLOYED, "True", "Resuming", "Reset complete; resuming", now);
            status.set(UNHEALTHY, "False", "Resuming", "Reset complete; resuming", now);
            status.set(PODS_READY, "False", "Resuming", "Reset complete; resuming", now);
            status.componentStatus.forEach(c -> c.conditions.clear());
            enter(Phase.Resuming, "retry " + status.resets() + " of " + tolerance.retryLimit());
            return Result.done();
        }

        Result failed() {
            if (!status.isTrue(RESOURCES_DEPLOYED)) {
                status.set(QUOTA_RESERVED, "False", "Failed", "No resources deployed", now);
                return Result.done();
            }
            Duration keep = tolerance.deletionOnFailureGracePeriod();
            if (keep.isPositive() && !appWrapper.getSpec().suspended()) {
                if (status.condition(DELETING_RESOURCES).isEmpty()) {
                    status.set(DELETING_RESOURCES, "False", "DeletionPaused", "Resources kept for " + keep
                            + " after the failure", now);
                }
                Instant until = status.since(DELETING_RESOURCES).plus(keep);
                if (now.isBefore(until)) {
                    return Result.requeueAfter(Duration.between(now, until));
                }
            }
            if (!sweep()) {
                return Result.requeueAfter(SWEEP_AGAIN);
            }
            status.set(RESOURCES_DEPLOYED, "False", "Failed", appWrapper.getSpec().suspended()
                    ? "Resources deleted for failed AppWrapper (suspended meanwhile)" : "Resources deleted for failed AppWrapper", now);
            status.set(QUOTA_RESERVED, "False", "Failed", "No resources deployed", now);
            return Result.done();
        }

        /** Completed pods stay for the success TTL, counted from the success (the quota was given back then). */
        Result succeeded() {
            if (!status.isTrue(RESOURCES_DEPLOYED)) {
                return Result.done();
            }
            Instant expires = status.since(QUOTA_RESERVED).plus(tolerance.successTtl());
            if (now.isBefore(expires)) {
                return Result.requeueAfter(Duration.between(now, expires));
            }
            if (!sweep()) {
                return Result.requeueAfter(SWEEP_AGAIN);
            }
            status.set(RESOURCES_DEPLOYED, "False", "Succeeded", "Time to live after success (" + tolerance.successTtl()
                    + ") expired", now);
            return Result.done();
        }

        /**
         * A queued AppWrapper (labelled with a queue name) runs only once admitted, and an admission always gives each
         * podSet its podSetInfos: without them, {@code suspend: false} was the user's, not the queue's, and the queue
         * will suspend it.
         */
        boolean awaitsAdmission() {
            var labels = appWrapper.getMetadata().getLabels();
            if (labels == null || !labels.containsKey(AppWrapper.QUEUE_LABEL)) {
                return false;
            }
            for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
                Component component = appWrapper.getSpec().components.get(i);
                int podSets = status.componentStatus.get(i).podSets.size();
                if (podSets > 0 && (component.podSetInfos == null || component.podSetInfos.size() < podSets)) {
                    return true;
                }
            }
            return false;
        }

        Result suspendExternally() {
            enter(Phase.Suspending, "externally suspended while in the " + status.phase() + " phase");
            return Result.done();
        }

        /** A failure: reset while retries are left (and it is not terminal), else fail. */
        Result resetOrFail(int increment, boolean terminal, String why) {
            if (!terminal && status.resets() < tolerance.retryLimit()) {
                status.resettingCount = status.resets() + increment;
                enter(Phase.Resetting, why + (increment == 0 ? "; reset without using a retry" : "; retry "
                        + status.resets() + " of " + tolerance.retryLimit()) + ", after " + tolerance.retryPausePeriod());
            } else {
                enter(Phase.Failed, why + (terminal ? " (a terminal exit code)" : "; no retries left ("
                        + status.resets() + " of " + tolerance.retryLimit() + ")"));
            }
            return Result.done();
        }

        void enter(Phase phase, String message) {
            status.phase = phase.value();
            events.record(appWrapper, AppWrapperReason.valueOf(phase.name()), message == null ? "AppWrapper is "
                    + phase.name() : phase.name() + ": " + message);
        }

        // ----- components ------------------------------------------------------------------------------------------

        /** What creating one component came to; {@code fatal} failures are not retried. */
        private record CreateOutcome(boolean created, boolean fatal, String message) {
            static final CreateOutcome CREATED = new CreateOutcome(true, false, null);

            static CreateOutcome fatal(String message) {
                return new CreateOutcome(false, true, message);
            }

            static CreateOutcome retry(String message) {
                return new CreateOutcome(false, false, message);
            }
        }

        /** Records the component before creating it, so a crash between the two cannot leak an untracked object. */
        CreateOutcome create(int index, ComponentStatus componentStatus) {
            Component component = appWrapper.getSpec().components.get(index);
            ObjectNode object;
            try {
                object = WrappedObjects.build(appWrapper, component, componentStatus.podSets, settings.schedulerName(),
                        settings.autopilot());
            } catch (WrappedObjects.ConflictException | PodSets.InvalidPodSetException e) {
                return CreateOutcome.fatal(e.getMessage());
            }
            AppWrapperStatus.set(componentStatus.conditions, RESOURCES_DEPLOYED, "Unknown", "ComponentCreationInitiated",
                    "Creating " + componentStatus.kind, now);
            persist();
            GenericKubernetesResource resource = JSON.convertValue(object, GenericKubernetesResource.class);
            String kind = componentStatus.apiVersion + " " + componentStatus.kind;
            var served = kinds.resolve(componentStatus.apiVersion, componentStatus.kind);
            if (served.isEmpty()) {
                return failedCreate(componentStatus, CreateOutcome.fatal("the API server does not serve " + kind
                        + " (is its CustomResourceDefinition installed?)"));
            }
            try {
                GenericKubernetesResource created = client.genericKubernetesResources(served.get())
                        .inNamespace(appWrapper.getMetadata().getNamespace()).resource(resource).create();
                componentStatus.name = created.getMetadata().getName();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409 && !resource.getMetadata().getName().isEmpty()) {
                    GenericKubernetesResource existing = component(componentStatus);
                    OwnerReference owner = existing == null ? null : controllerOf(existing);
                    if (owner == null || !owner.getUid().equals(appWrapper.getMetadata().getUid())) {
                        return failedCreate(componentStatus, CreateOutcome.fatal(kind + " "
                                + resource.getMetadata().getName() + " already exists and is not this AppWrapper's"));
                    }
                } else if (e.getCode() == 404 || e.getCode() == 422) {
                    // 404: the kind stopped being served; 422: the object is invalid. Anything else — a ResourceQuota
                    // or a webhook saying no for now (403), the server busy — may pass later: retried, as the peer does.
                    return failedCreate(componentStatus, CreateOutcome.fatal("cannot create " + kind + ": "
                            + reason(e)));
                } else {
                    return failedCreate(componentStatus, CreateOutcome.retry("cannot create " + kind + ": "
                            + reason(e)));
                }
            }
            AppWrapperStatus.set(componentStatus.conditions, RESOURCES_DEPLOYED, "True", "ComponentCreatedSuccessfully",
                    "Created " + componentStatus.kind + " " + componentStatus.name, now);
            return CreateOutcome.CREATED;
        }

        private CreateOutcome failedCreate(ComponentStatus componentStatus, CreateOutcome outcome) {
            AppWrapperStatus.set(componentStatus.conditions, RESOURCES_DEPLOYED, "False", "ComponentCreationErrored",
                    outcome.message(), now);
            return outcome;
        }

        /** The deployed object of a component, or null when it is gone or its kind is not served. */
        GenericKubernetesResource component(ComponentStatus componentStatus) {
            if (componentStatus.name == null || componentStatus.name.isEmpty()) {
                return null;
            }
            var served = kinds.resolve(componentStatus.apiVersion, componentStatus.kind);
            if (served.isEmpty()) {
                return null;
            }
            try {
                return client.genericKubernetesResources(served.get()).inNamespace(appWrapper.getMetadata()
                        .getNamespace()).withName(componentStatus.name).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return null;
                }
                throw e;
            }
        }

        /**
         * One pass of the deletion sweep; true once every component and every labelled pod is gone. Deletion is
         * graceful first; after the forceful-deletion grace, pods and then components are deleted with no grace.
         */
        boolean sweep() {
            if (!status.isTrue(DELETING_RESOURCES)) {
                status.set(DELETING_RESOURCES, "True", "DeletionInitiated", "Deleting the wrapped objects and their pods",
                        now);
            }
            boolean forceful = !now.isBefore(status.since(DELETING_RESOURCES).plus(tolerance.forcefulDeletionGracePeriod()));
            List<ComponentStatus> remaining = new ArrayList<>();
            for (ComponentStatus componentStatus : status.componentStatus) {
                if (mayExist(componentStatus) && deleteComponent(componentStatus, null)) {
                    remaining.add(componentStatus);
                }
            }
            List<Pod> labelledPods = pods.getIndexer().byIndex(POD_INDEX, appWrapper.getMetadata().getNamespace() + "/"
                    + appWrapper.getMetadata().getName());
            if (remaining.isEmpty() && labelledPods.isEmpty()) {
                status.set(DELETING_RESOURCES, "False", "DeletionComplete", "All wrapped objects and pods are gone", now);
                return true;
            }
            if (forceful) {
                if (!labelledPods.isEmpty()) {
                    for (Pod pod : labelledPods) {
                        io.capstan.runtime.client.Deletions.deleteWithUid(client, Pod.class, pod.getMetadata()
                                .getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid(), 0L, null);
                    }
                } else {
                    remaining.forEach(c -> deleteComponent(c, 0L));
                }
            }
            return false;
        }

        private boolean mayExist(ComponentStatus componentStatus) {
            var condition = AppWrapperStatus.find(componentStatus.conditions, RESOURCES_DEPLOYED);
            if (condition.isEmpty()) {
                return componentStatus.name != null && !componentStatus.name.isEmpty();
            }
            String value = condition.get().getStatus();
            return !"False".equals(value) && !("Unknown".equals(value) && (componentStatus.name == null
                    || componentStatus.name.isEmpty()));
        }

        /** Asks for the component's deletion; false once it is gone. */
        private boolean deleteComponent(ComponentStatus componentStatus, Long gracePeriodSeconds) {
            var served = kinds.resolve(componentStatus.apiVersion, componentStatus.kind);
            try {
                if (served.isEmpty()) {
                    // Not served (any more): nothing of that kind can exist.
                    throw new KubernetesClientException("not served", 404, null);
                }
                var resource = client.genericKubernetesResources(served.get()).inNamespace(appWrapper.getMetadata()
                        .getNamespace()).withName(componentStatus.name);
                var deleted = gracePeriodSeconds == null
                        ? resource.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete()
                        : resource.withGracePeriod(gracePeriodSeconds).delete();
                if (!deleted.isEmpty()) {
                    return true;
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    log.warn("Deleting {} {} of AppWrapper {}: {}", componentStatus.kind, componentStatus.name,
                            ObjectKey.of(appWrapper), reason(e));
                    return true;
                }
            }
            AppWrapperStatus.set(componentStatus.conditions, RESOURCES_DEPLOYED, "False", "ComponentDeleted",
                    componentStatus.kind + " " + componentStatus.name + " is gone", now);
            return false;
        }

        // ----- pods ------------------------------------------------------------------------------------------------

        PodCounts countPods() {
            PodCounts counts = new PodCounts();
            for (Pod pod : pods.getIndexer().byIndex(POD_INDEX, appWrapper.getMetadata().getNamespace() + "/"
                    + appWrapper.getMetadata().getName())) {
                String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
                switch (phase == null ? "Pending" : phase) {
                    case "Pending" -> counts.pending++;
                    case "Running" -> {
                        if (pod.getMetadata().getDeletionTimestamp() == null) {
                            counts.running++;
                            if (!noExecuteResourcesOf(pod).isEmpty()) {
                                counts.noExecuteNodes.add(pod.getSpec().getNodeName());
                            }
                        }
                    }
                    case "Succeeded" -> counts.succeeded++;
                    case "Failed" -> {
                        counts.failed++;
                        counts.terminal |= exitCodes(pod).anyMatch(tolerance::isTerminal);
                    }
                    default -> {
                    }
                }
            }
            return counts;
        }

        // ----- finalizer -------------------------------------------------------------------------------------------

        boolean hasFinalizer() {
            List<String> finalizers = appWrapper.getMetadata().getFinalizers();
            return finalizers != null && finalizers.contains(AppWrapper.FINALIZER);
        }

        void addFinalizer() {
            if (!hasFinalizer()) {
                writeFinalizers(true);
            }
        }

        void removeFinalizer() {
            writeFinalizers(false);
            finalizerRemoved = true;
        }

        /**
         * Adds or removes the finalizer on the live object, guarded by its UID and resourceVersion so that no other
         * finalizer is lost; the cached object may lag this controller's own status writes, hence the read.
         */
        private void writeFinalizers(boolean add) {
            for (int attempt = 1; ; attempt++) {
                AppWrapper live = client.resources(AppWrapper.class).inNamespace(appWrapper.getMetadata().getNamespace())
                        .withName(appWrapper.getMetadata().getName()).get();
                if (live == null || !live.getMetadata().getUid().equals(appWrapper.getMetadata().getUid())) {
                    return;
                }
                List<String> finalizers = new ArrayList<>(Objects.requireNonNullElse(live.getMetadata().getFinalizers(),
                        List.of()));
                if (finalizers.contains(AppWrapper.FINALIZER) == add) {
                    return;
                }
                if (add) {
                    finalizers.add(AppWrapper.FINALIZER);
                } else {
                    finalizers.remove(AppWrapper.FINALIZER);
                }
                var patch = JSON.createArrayNode();
                patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", live.getMetadata().getUid());
                patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion")
                        .put("value", live.getMetadata().getResourceVersion());
                patch.addObject().put("op", "add").put("path", "/metadata/finalizers").set("value",
                        JSON.valueToTree(finalizers));
                try {
                    RawRequests.write(client, "PATCH", RawRequests.path(AppWrapper.class, live.getMetadata().getNamespace(),
                            live.getMetadata().getName()), RawRequests.JSON_PATCH, patch.toString());
                    return;
                } catch (KubernetesClientException e) {
                    // 422: a test failed, the object changed between the read and the patch.
                    if (e.getCode() != 422 || attempt == 3) {
                        throw e;
                    }
                }
            }
        }
    }

    /** The pods of one AppWrapper by phase, and whether a failed one exited with a terminal code. */
    private static final class PodCounts {
        int pending;
        int running;
        int succeeded;
        int failed;
        boolean terminal;
        /** Nodes where running pods use resources Autopilot marks NoExecute. */
        final Set<String> noExecuteNodes = new java.util.TreeSet<>();

        String describe() {
            return pending + " pods pending; " + running + " pods running; " + succeeded + " pods succeeded; " + failed
                    + " pods failed";
        }
    }

    private static Stream<Integer> exitCodes(Pod pod) {
        List<ContainerStatus> statuses = new ArrayList<>();
        if (pod.getStatus().getContainerStatuses() != null) {
            statuses.addAll(pod.getStatus().getContainerStatuses());
        }
        if (pod.getStatus().getInitContainerStatuses() != null) {
            statuses.addAll(pod.getStatus().getInitContainerStatuses());
        }
        return statuses.stream().filter(s -> s.getState() != null && s.getState().getTerminated() != null)
                .map(s -> s.getState().getTerminated().getExitCode()).filter(Objects::nonNull);
    }

    /** A Job or PyTorchJob whose {@code Failed} condition is True. */
    private static boolean hasFailed(GenericKubernetesResource object) {
        String apiVersion = object.getApiVersion();
        if (!"batch/v1".equals(apiVersion) && !"kubeflow.org/v1".equals(apiVersion)) {
            return false;
        }
        Object status = object.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> map) || !(map.get("conditions") instanceof List<?> conditions)) {
            return false;
        }
        return conditions.stream().anyMatch(c -> c instanceof Map<?, ?> condition && "Failed".equals(condition.get("type"))
                && "True".equals(condition.get("status")));
    }

    private static OwnerReference controllerOf(GenericKubernetesResource object) {
        return object.getMetadata().getOwnerReferences() == null ? null : object.getMetadata().getOwnerReferences()
                .stream().filter(o -> Boolean.TRUE.equals(o.getController())).findFirst().orElse(null);
    }

    private static boolean isTrue(ComponentStatus componentStatus, String type) {
        return AppWrapperStatus.find(componentStatus.conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    private static String reason(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
    }
}
