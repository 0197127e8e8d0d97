package io.capstan.node.pod;

import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.PodNotifier;
import io.capstan.node.api.Provider;
import io.capstan.node.env.EnvironmentResolver;
import io.capstan.node.env.UnresolvedEnvironmentException;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.Deletions;
import io.capstan.runtime.client.MergePatch;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.queue.RateLimiter;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the pods bound to one node through the provider, with Virtual Kubelet's design: three work queues (pod
 * sync {@code ns/name}, force deletion {@code ns/name/uid}, status sync {@code ns/name}) and a record per known pod
 * of what the provider was last given and last reported.
 *
 * <p>Deliberate differences from Virtual Kubelet (see docs/virtual-nodes.md): informer events enqueue without the
 * rate limiter (only retries back off, so status throughput is not capped at 10 per second); a pod whose creation
 * keeps failing is marked Failed after the retries are used up instead of staying Pending forever; a pod waiting
 * for a missing ConfigMap or Secret is retried as soon as the object appears, and shows
 * {@code CreateContainerConfigError} meanwhile; status writes keep the labels and annotations users set and only
 * apply those the provider itself changed; status writes that would change nothing are skipped.
 */
public final class PodController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PodController.class);
    private static final int NOTIFY_WAIT_ATTEMPTS = 20;
    private static final Duration NOTIFY_WAIT_STEP = Duration.ofMillis(151);

    /**
     * Workers per queue. Virtual Kubelet's CLI uses 10; a status write waits ~100 ms on a busy API server, so 10
     * workers cap a node at ~100 status writes per second. 64 is the concurrency at which the benchmarks measure the
     * API server's own ceiling. Workers are virtual threads and cost little.
     */
    public static final int DEFAULT_WORKERS = 64;

    /**
     * The kubelet's {@code eventRecordQPS} (50) and {@code eventBurst} (100). Virtual Kubelet writes Events as fast as
     * the server answers; in a 10,000-pod start that is one Event create beside every status write, on the same
     * server. Limited, the status writes come first and the Events follow from the backlog.
     */
    public static final int DEFAULT_EVENT_QPS = 50;
    public static final int DEFAULT_EVENT_BURST = 100;
    public static final EventRecorder.WriteRate DEFAULT_EVENT_RATE = new EventRecorder.WriteRate(DEFAULT_EVENT_QPS,
            DEFAULT_EVENT_BURST);

    /** How long an Event waits at most while status writes go first ({@link #statusWritesWaiting}). */
    public static final Duration LONGEST_EVENT_YIELD = Duration.ofMinutes(1);

    /**
     * @param workers workers per queue
     * @param maxRetries failed creates or updates after which a pod's key is dropped; a pod whose creation failed
     *     this often is marked Failed. Status writes and force deletions are retried until they land or the pod is
     *     gone: giving up would leave a pod showing a stale status (say, never Ready) until its next change.
     * @param resolveEnvironment false hands the provider the raw env (Virtual Kubelet's SkipDownwardAPIResolution)
     * @param rateLimiter backoff for retries (one instance per queue)
     * @param eventRate how fast the node writes Events; the kubelet's defaults ({@link #DEFAULT_EVENT_RATE})
     */
    public record Settings(String nodeName, int workers, int maxRetries, boolean resolveEnvironment,
            Supplier<RateLimiter<Object>> rateLimiter, Duration pollInterval, boolean normalEvents,
            EventRecorder.WriteRate eventRate) {

        public static Settings defaults(String nodeName) {
            return new Settings(nodeName, DEFAULT_WORKERS, 20, true, RateLimiter::controllerDefault,
                    Duration.ofSeconds(5), true, DEFAULT_EVENT_RATE);
        }

        public Settings withRateLimiter(Supplier<RateLimiter<Object>> limiter) {
            return new Settings(nodeName, workers, maxRetries, resolveEnvironment, limiter, pollInterval, normalEvents,
                    eventRate);
        }

        public Settings withMaxRetries(int retries) {
            return new Settings(nodeName, workers, retries, resolveEnvironment, rateLimiter, pollInterval, normalEvents,
                    eventRate);
        }

        public Settings withResolveEnvironment(boolean resolve) {
            return new Settings(nodeName, workers, maxRetries, resolve, rateLimiter, pollInterval, normalEvents,
                    eventRate);
        }

        public Settings withWorkers(int count) {
            return new Settings(nodeName, count, maxRetries, resolveEnvironment, rateLimiter, pollInterval,
                    normalEvents, eventRate);
        }

        public Settings withPollInterval(Duration interval) {
            return new Settings(nodeName, workers, maxRetries, resolveEnvironment, rateLimiter, interval, normalEvents,
                    eventRate);
        }

        /**
         * False skips the Normal success Events (ProviderCreateSuccess, ...): one API write less per pod, for fleets
         * where the API server is the bottleneck. Warnings are always recorded.
         */
        public Settings withNormalEvents(boolean enabled) {
            return new Settings(nodeName, workers, maxRetries, resolveEnvironment, rateLimiter, pollInterval, enabled,
                    eventRate);
        }

        /** How fast Events are written; {@link EventRecorder.WriteRate#UNLIMITED} for Virtual Kubelet's behaviour. */
        public Settings withEventRate(EventRecorder.WriteRate rate) {
            return new Settings(nodeName, workers, maxRetries, resolveEnvironment, rateLimiter, pollInterval, normalEvents,
                    rate);
        }
    }

    /** What the controller remembers about a pod it has seen. */
    static final class KnownPod {
        volatile Pod lastProviderPod;
        volatile Pod lastPodUsed;
        volatile boolean statusUpdateSkipped;
        volatile int failedCreates;
        volatile StatusWrite lastStatusWrite;
    }

    /**
     * The node's last status write of a pod, kept until the cache shows it: the pod as written, at the
     * resourceVersion the server answered with, and the versions the cache may still show meanwhile (the one the
     * first of these quick writes was based on, and those of the writes between). A provider often reports in quick
     * succession (Pending, then Running, then Ready); each write is then based on the node's previous one rather than
     * on a cache that has not seen it yet, which the server would refuse as stale.
     */
    record StatusWrite(List<String> staleVersions, Pod written) {

        boolean isNewerThan(Pod cached) {
            return staleVersions.contains(cached.getMetadata().getResourceVersion());
        }

        /** The write after this one, based on it. */
        StatusWrite then(Pod next) {
            List<String> stale = new ArrayList<>(staleVersions);
            stale.add(written.getMetadata().getResourceVersion());
            return new StatusWrite(List.copyOf(stale), next);
        }
    }

    private final KubernetesClient client;
    private final Provider provider;
    private final SharedIndexInformer<Pod> pods;
    private final EventRecorder events;
    private final Settings settings;
    private final EnvironmentResolver resolver;
    private final Supplier<EnvironmentResolver.NodeFacts> nodeFacts;
    private final Map<ObjectKey, KnownPod> knownPods = new ConcurrentHashMap<>();
    /** Pods waiting for a ConfigMap or Secret, by the awaited object ({@code kind/namespace/name}). */
    private final Map<String, Set<ObjectKey>> podsAwaiting = new ConcurrentHashMap<>();
    private final Controller<ObjectKey> syncController;
    private final Controller<PodInstance> deleteController;
    private final Controller<ObjectKey> statusController;
    private final StatusPoller poller;

    public PodController(KubernetesClient client, Provider provider, NodeInformers informers, EventRecorder events,
            Settings settings, Supplier<EnvironmentResolver.NodeFacts> nodeFacts, MeterRegistry metrics) {
        this.client = client;
        this.provider = provider;
        this.pods = informers.pods();
        this.events = events;
        this.settings = settings;
        this.nodeFacts = nodeFacts;
        this.resolver = new EnvironmentResolver(informers);
        this.syncController = controller("pod-sync", this::syncPod, settings.maxRetries(), metrics);
        this.deleteController = controller("pod-force-delete", this::forceDelete, Integer.MAX_VALUE, metrics);
        this.statusController = controller("pod-status", this::syncStatus, Integer.MAX_VALUE, metrics);
        this.poller = provider instanceof PodNotifier ? null
                : new StatusPoller(provider, pods, this::onProviderPod, settings.pollInterval());
        pods.addEventHandler(new PodEvents());
        informers.configMaps().addEventHandler(new AwaitedObjectEvents<>("configmap"));
        informers.secrets().addEventHandler(new AwaitedObjectEvents<>("secret"));
    }

    private <K> Controller<K> controller(String name, io.capstan.runtime.controller.Reconciler<K> reconciler,
            int maxRetries, MeterRegistry metrics) {
        return Controller.<K>builder(name + "-" + settings.nodeName(), reconciler).kind("Pod").workers(settings.workers())
                .maxRetries(maxRetries).rateLimiter(settings.rateLimiter().get()).metrics(metrics).build();
    }

    /** Registers for provider notifications; call before the informers start. */
    public void listenToProvider() {
        if (provider instanceof PodNotifier notifier) {
            notifier.notifyPods(this::onProviderPod);
        }
    }

    /** Starts the queues once the informers have synced, after removing provider pods Kubernetes does not know. */
    public void start() {
        deleteDanglingPods();
        syncController.start();
        deleteController.start();
        statusController.start();
        if (poller != null) {
            poller.start();
        }
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.close();
        }
        syncController.close();
        deleteController.close();
        statusController.close();
    }

    /**
     * True while more pod status writes wait than there are workers to send them. The node's Events give way to them
     * (each for at most {@link #LONGEST_EVENT_YIELD}): in a 10,000-pod start the Events took a sixth of the API
     * server's writes while users waited for the pods to show Running.
     */
    public boolean statusWritesWaiting() {
        return statusController.queue().length() > settings.workers();
    }

    /** Keys waiting in or being processed by each queue (sync, delete, status), for diagnostics and tests. */
    public Map<String, Integer> queueLengths() {
        Map<String, Integer> lengths = new HashMap<>();
        for (Controller<?> controller : List.of(syncController, deleteController, statusController)) {
            lengths.put(controller.name(), controller.queue().length() + controller.queue().inFlight()
                    + controller.queue().delayedLength());
        }
        return lengths;
    }

    static ObjectKey key(HasMetadata pod) {
        return ObjectKey.of(pod);
    }

    /** One instance of a pod (its UID): what a force deletion is for, so it never hits a re-created pod. */
    record PodInstance(ObjectKey pod, String uid) {
        static PodInstance of(Pod pod) {
            return new PodInstance(ObjectKey.of(pod), pod.getMetadata().getUid());
        }

        @Override
        public String toString() {
            return pod + "/" + uid;
        }
    }

    private Pod cached(ObjectKey key) {
        return pods.getIndexer().getByKey(key.toString());
    }

    // ----- informer events --------------------------------------------------------------------------------------

    private final class PodEvents implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod pod) {
            ObjectKey key = key(pod);
            knownPods.putIfAbsent(key, new KnownPod());
            syncController.queue().add(key);
        }

        @Override
        public void onUpdate(Pod oldPod, Pod newPod) {
            ObjectKey key = key(newPod);
            if (!Objects.equals(oldPod.getMetadata().getUid(), newPod.getMetadata().getUid())) {
                knownPods.put(key, new KnownPod());
            }
            KnownPod known = knownPods.get(key);
            StatusWrite lastWrite = known == null ? null : known.lastStatusWrite;
            // The cache has caught up with the node's last status write: forget it (syncStatus checks again itself).
            if (lastWrite != null && !lastWrite.isNewerThan(newPod)) {
                known.lastStatusWrite = null;
            }
            if (known != null && known.statusUpdateSkipped && known.lastProviderPod != null
                    && statusDiffers(known.lastProviderPod, newPod)) {
                // Someone else rewrote what the provider reported (e.g. the node lifecycle controller): restore it.
                known.statusUpdateSkipped = false;
                statusController.queue().add(key);
            }
            if (PodComparison.shouldSync(oldPod, newPod)) {
                syncController.queue().add(key);
            } else if (known != null && known.lastPodUsed == oldPod) {
                // Only the status changed: remember the current object, so the cache's old copy can be collected.
                known.lastPodUsed = newPod;
            }
            if (newPod.getMetadata().getDeletionTimestamp() != null && PodComparison.running(oldPod.getStatus())
                    && !PodComparison.running(newPod.getStatus())) {
                // The provider reported the last container stopped: remove the pod now, as the kubelet does, rather
                // than when the grace period ends.
                deleteController.queue().add(PodInstance.of(newPod));
            }
        }

        @Override
        public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
            ObjectKey key = key(pod);
            knownPods.remove(key);
            forgetAwaited(key);
            syncController.queue().add(key);
            deleteController.queue().forget(PodInstance.of(pod));
        }
    }

    private static boolean statusDiffers(Pod provider, Pod kubernetes) {
        return !Objects.equals(provider.getStatus(), kubernetes.getStatus());
    }

    /** When a ConfigMap or Secret some pod waits for appears or changes, that pod is synced again at once. */
    private final class AwaitedObjectEvents<T extends HasMetadata> implements ResourceEventHandler<T> {
        private final String kind;

        AwaitedObjectEvents(String kind) {
            this.kind = kind;
        }

        @Override
        public void onAdd(T object) {
            wake(object);
        }

        @Override
        public void onUpdate(T oldObject, T newObject) {
            wake(newObject);
        }

        @Override
        public void onDelete(T object, boolean deletedFinalStateUnknown) {
        }

        private void wake(T object) {
            Set<ObjectKey> waiting = podsAwaiting.remove(kind + "/" + object.getMetadata().getNamespace() + "/"
                    + object.getMetadata().getName());
            if (waiting != null) {
                for (ObjectKey podKey : waiting) {
                    syncController.queue().forget(podKey);
                    syncController.queue().add(podKey);
                }
            }
        }
    }

    private void forgetAwaited(ObjectKey podKey) {
        podsAwaiting.values().forEach(waiting -> waiting.remove(podKey));
    }

    // ----- pod sync -------------------------------------------------------------------------------------------------

    private Result syncPod(ObjectKey key) throws Exception {
        Pod pod = cached(key);
        if (pod == null) {
            deleteFromProviderIfKnown(key);
            return Result.done();
        }
        if (pod.getMetadata().getDeletionTimestamp() != null && !PodComparison.running(pod.getStatus())) {
            deleteController.queue().add(PodInstance.of(pod));
            return Result.done();
        }
        KnownPod known = knownPods.get(key);
        if (known == null) {
            return Result.done();
        }
        Pod lastUsed = known.lastPodUsed;
        if (lastUsed != null && PodComparison.effectivelyEqual(lastUsed, pod)) {
            return Result.done();
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            deleteInProvider(pod);
            known.lastPodUsed = pod;
            long grace = Optional.ofNullable(pod.getMetadata().getDeletionGracePeriodSeconds()).orElse(0L);
            deleteController.queue().addAfter(PodInstance.of(pod), Duration.ofSeconds(grace));
            return Result.done();
        }
        if (PodComparison.terminal(pod)) {
            log.debug("Pod {} is {}; not syncing it", key, pod.getStatus().getPhase());
            return Result.done();
        }
        createOrUpdate(pod, known);
        known.lastPodUsed = pod;
        return Result.done();
    }

    private void deleteFromProviderIfKnown(ObjectKey key) throws Exception {
        Optional<Pod> inProvider;
        try {
            inProvider = provider.getPod(key.namespace(), key.name());
        } catch (NotFoundException e) {
            return;
        }
        if (inProvider.isEmpty()) {
            return;
        }
        try {
            provider.deletePod(inProvider.get());
        } catch (NotFoundException e) {
            // already gone
        }
        if (poller != null) {
            poller.forgetDeleted(key);
        }
    }

    private void deleteInProvider(Pod pod) throws Exception {
        ObjectKey key = key(pod);
        if (poller != null) {
            poller.markDeleted(key);
        }
        try {
            provider.deletePod(new PodBuilder(pod).build());
            success(pod, PodReason.ProviderDeleteSuccess, "Delete pod in provider successfully");
        } catch (NotFoundException e) {
            success(pod, PodReason.ProviderDeleteSuccess, "Delete pod in provider successfully (it was already gone)");
        } catch (Exception e) {
            if (poller != null) {
                poller.forgetDeleted(key);
            }
            events.record(pod, PodReason.ProviderDeleteFailed, "Delete pod in provider failed: %s", describe(e));
            throw e;
        }
        if (poller != null && !PodComparison.terminal(pod)) {
            // A polled provider will not report the end of a deleted pod, so its termination is reported here.
            onProviderPod(new PodBuilder(pod).withStatus(StatusPoller.terminatedStatus(pod)).build());
        }
    }

    private void createOrUpdate(Pod pod, KnownPod known) throws Exception {
        ObjectKey key = key(pod);
        // The provider gets a copy it may keep: the resolved pod is one already.
        Pod forProvider;
        if (!settings.resolveEnvironment()) {
            forProvider = new PodBuilder(pod).build();
        } else {
            try {
                EnvironmentResolver.Resolution resolution = resolver.resolve(pod, provider.plannedPodIP(pod),
                        nodeFacts.get());
                resolution.warnings().forEach(warning -> events.record(pod, warning.reason(), warning.message()));
                forProvider = resolution.pod();
                forgetAwaited(key);
            } catch (UnresolvedEnvironmentException e) {
                e.findings().forEach(finding -> events.record(pod, finding.reason(), finding.message()));
                for (String object : e.awaited()) {
                    podsAwaiting.computeIfAbsent(object, k -> ConcurrentHashMap.newKeySet()).add(key);
                }
                showConfigError(pod, e.getMessage());
                throw e;
            }
        }
        Optional<Pod> existing;
        try {
            existing = provider.getPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        } catch (Exception e) {
            existing = Optional.empty();
        }
        if (existing.isPresent()) {
            if (PodComparison.updatableFieldsEqual(existing.get(), forProvider)) {
                return;
            }
            try {
                provider.updatePod(forProvider);
                success(pod, PodReason.ProviderUpdateSuccess, "Update pod in provider successfully");
            } catch (Exception e) {
                events.record(pod, PodReason.ProviderUpdateFailed, "Update pod in provider failed: %s", describe(e));
                markProviderFailure(pod, e, false);
                throw e;
            }
            return;
        }
        try {
            provider.createPod(forProvider);
            known.failedCreates = 0;
            success(pod, PodReason.ProviderCreateSuccess, "Create pod in provider successfully");
        } catch (Exception e) {
            int failures = ++known.failedCreates;
            events.record(pod, PodReason.ProviderCreateFailed, "Create pod in provider failed: %s", describe(e));
            if (failures >= settings.maxRetries()) {
                events.record(pod, PodReason.ProviderGaveUp,
                        "Giving up after %d failed attempts to create the pod; marking it Failed", failures);
                markProviderFailure(pod, new Exception("gave up after " + failures + " failed attempts to create the pod: "
                        + describe(e)), true);
                return;
            }
            markProviderFailure(pod, e, false);
            throw e;
        }
    }

    /** Pending (or Failed when it will never be retried), reason ProviderFailed, the error as message. */
    private void markProviderFailure(Pod pod, Exception error, boolean giveUp) {
        String phase = giveUp || "Never".equals(pod.getSpec().getRestartPolicy()) ? "Failed" : "Pending";
        PodStatus current = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        if (phase.equals(current.getPhase()) && "ProviderFailed".equals(current.getReason())
                && Objects.equals(describe(error), current.getMessage())) {
            return;
        }
        PodStatus status = new PodStatusBuilder(current).withPhase(phase).withReason("ProviderFailed")
                .withMessage(describe(error)).build();
        writeStatusUnconditionally(pod, status);
    }

    /** Shows why a pod cannot start, the way the kubelet does: containers waiting with CreateContainerConfigError. */
    private void showConfigError(Pod pod, String message) {
        PodStatus current = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<ContainerStatus> waiting = new ArrayList<>();
        for (var container : pod.getSpec().getContainers()) {
            waiting.add(new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage())
                    .withImageID("").withReady(false).withRestartCount(0).withStarted(false)
                    .withNewState().withNewWaiting().withReason("CreateContainerConfigError").withMessage(message)
                    .endWaiting().endState().build());
        }
        if (Objects.equals(current.getContainerStatuses(), waiting) && "Pending".equals(current.getPhase())) {
            return;
        }
        PodStatus status = new PodStatusBuilder(current).withPhase("Pending").withContainerStatuses(waiting).build();
        writeStatusUnconditionally(pod, status);
    }

    /**
     * A merge patch of only what this failure changes, without a resourceVersion: it must land even when the cache is
     * behind, and, unlike a whole-pod update, it cannot revert status fields others wrote meanwhile.
     */
    private void writeStatusUnconditionally(Pod pod, PodStatus status) {
        var json = client.getKubernetesSerialization();
        String patch = json.asJson(Map.of("status", MergePatch.diff(json, pod.getStatus(), status)));
        try {
            RawRequests.write(client, "PATCH", RawRequests.path(Pod.class, pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName()) + "/status", RawRequests.MERGE_PATCH, patch);
        } catch (KubernetesClientException e) {
            log.warn("Cannot record the failure in pod {}'s status: {}", key(pod), ApiErrors.describe(e));
        }
    }

    private void success(Pod pod, PodReason reason, String message) {
        if (settings.normalEvents()) {
            events.record(pod, reason, message);
        }
    }

    // ----- force deletion -------------------------------------------------------------------------------------------

    private Result forceDelete(PodInstance instance) {
        ObjectKey podKey = instance.pod();
        String uid = instance.uid();
        Pod pod = cached(podKey);
        if (pod == null) {
            return Result.done();
        }
        if (!uid.equals(pod.getMetadata().getUid())) {
            log.warn("Pod {} was re-created (uid {} is not {}); not force-deleting the new one", podKey,
                    pod.getMetadata().getUid(), uid);
            return Result.done();
        }
        if (PodComparison.running(pod.getStatus())) {
            log.info("Force deleting pod {} whose grace period ended while it was still running", podKey);
        }
        Deletions.Outcome outcome = Deletions.deleteWithUid(client, Pod.class, pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), uid, 0L, null);
        if (outcome == Deletions.Outcome.DELETED && poller != null) {
            poller.forgetDeleted(podKey);
        }
        return Result.done();
    }

    // ----- status from the provider ---------------------------------------------------------------------------------

    /** The provider's callback: remember the newest report and schedule a status write if it changed. */
    void onProviderPod(Pod reported) {
        ObjectKey key = key(reported);
        KnownPod known = knownPods.get(key);
        for (int attempt = 0; known == null && attempt < NOTIFY_WAIT_ATTEMPTS; attempt++) {
            // The provider can report a pod before the informer has announced it (e.g. right after start).
            if (cached(key) == null && attempt > 0) {
                log.debug("Provider reported pod {} that Kubernetes does not know; ignoring it", key);
                return;
            }
            sleep(NOTIFY_WAIT_STEP);
            known = knownPods.get(key);
        }
        if (known == null) {
            return;
        }
        if (Objects.equals(reported, known.lastProviderPod)) {
            known.statusUpdateSkipped = true;
            return;
        }
        known.lastProviderPod = reported;
        known.statusUpdateSkipped = false;
        statusController.queue().add(key);
    }

    private Result syncStatus(ObjectKey key) {
        Pod current = cached(key);
        if (current == null || PodComparison.terminal(current)) {
            return Result.done();
        }
        KnownPod known = knownPods.get(key);
        if (known == null || known.lastProviderPod == null) {
            return Result.done();
        }
        Pod reported = known.lastProviderPod;
        if (reported.getMetadata().getDeletionTimestamp() != null && current.getMetadata().getDeletionTimestamp() == null
                && Objects.equals(reported.getStatus(), current.getStatus())) {
            deleteOnProviderRequest(current, reported);
            return Result.done();
        }
        StatusWrite lastWrite = known.lastStatusWrite;
        if (lastWrite != null && !lastWrite.isNewerThan(current)) {
            lastWrite = null;
            known.lastStatusWrite = null;
        }
        Pod base = lastWrite != null ? lastWrite.written() : current;
        Pod updated = withProviderStatus(base, reported, known.lastPodUsed);
        if (Objects.equals(updated.getStatus(), base.getStatus())
                && Objects.equals(updated.getMetadata().getLabels(), base.getMetadata().getLabels())
                && Objects.equals(updated.getMetadata().getAnnotations(), base.getMetadata().getAnnotations())) {
            return Result.done();
        }
        String writtenVersion;
        try {
            // Only the answer's resourceVersion is read: in a 10,000-pod burst, decoding returned pods was the node's
            // largest CPU cost.
            writtenVersion = RawRequests.writeForResourceVersion(client, "PATCH", RawRequests.path(Pod.class,
                    current.getMetadata().getNamespace(), current.getMetadata().getName()) + "/status",
                    RawRequests.MERGE_PATCH, statusPatch(client.getKubernetesSerialization(), base, updated));
        } catch (KubernetesClientException e) {
            // Refused (stale: someone else wrote the pod meanwhile; or the pod is gone) or lost: start from the cache.
            known.lastStatusWrite = null;
            if (e.getCode() == 404) {
                return Result.done();
            }
            throw e;
        }
        if (writtenVersion != null) {
            updated.getMetadata().setResourceVersion(writtenVersion);
            known.lastStatusWrite = lastWrite != null ? lastWrite.then(updated)
                    : new StatusWrite(List.of(current.getMetadata().getResourceVersion()), updated);
        }
        return Result.done();
    }

    /**
     * A merge patch of what changed in the status, labels and annotations, guarded by the cached resourceVersion
     * (a stale cache gets 409 and is retried, as Virtual Kubelet's whole-pod UpdateStatus would).
     */
    public static String statusPatch(KubernetesSerialization json, Pod current, Pod updated) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("resourceVersion", current.getMetadata().getResourceVersion());
        metadata.putAll(MergePatch.diff(json, LabelsAndAnnotations.of(current), LabelsAndAnnotations.of(updated)));
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("metadata", metadata);
        patch.put("status", MergePatch.diff(json, current.getStatus(), updated.getStatus()));
        return json.asJson(patch);
    }

    /** The metadata a provider may change, as a model class the patch can be computed from. */
    private record LabelsAndAnnotations(Map<String, String> labels, Map<String, String> annotations) {

        static LabelsAndAnnotations of(Pod pod) {
            return new LabelsAndAnnotations(pod.getMetadata().getLabels(), pod.getMetadata().getAnnotations());
        }
    }

    /**
     * The Kubernetes pod with the provider's status. Labels and annotations: the server's, plus those the provider
     * changed relative to what it was given; the provider never removes or reverts what users set. Read-only: it
     * shares objects with both pods.
     */
    static Pod withProviderStatus(Pod current, Pod reported, Pod givenToProvider) {
        Map<String, String> labels = mergeOwned(current.getMetadata().getLabels(), reported.getMetadata().getLabels(),
                givenToProvider == null ? null : givenToProvider.getMetadata().getLabels());
        Map<String, String> annotations = mergeOwned(current.getMetadata().getAnnotations(),
                reported.getMetadata().getAnnotations(),
                givenToProvider == null ? null : givenToProvider.getMetadata().getAnnotations());
        // Only compared and turned into a patch, never changed or kept, so it shares the current spec and the reported
        // status: a whole-pod copy per status write took a third of the status workers' CPU as 10,000 pods started.
        ObjectMeta metadata = new ObjectMeta();
        metadata.setNamespace(current.getMetadata().getNamespace());
        metadata.setName(current.getMetadata().getName());
        metadata.setUid(current.getMetadata().getUid());
        metadata.setResourceVersion(current.getMetadata().getResourceVersion());
        metadata.setLabels(labels);
        metadata.setAnnotations(annotations);
        Pod updated = new Pod();
        updated.setMetadata(metadata);
        updated.setSpec(current.getSpec());
        updated.setStatus(reported.getStatus());
        return updated;
    }

    private static Map<String, String> mergeOwned(Map<String, String> server, Map<String, String> provider,
            Map<String, String> given) {
        if (provider == null || provider.isEmpty()) {
            return server;
        }
        Map<String, String> merged = server == null ? new HashMap<>() : new HashMap<>(server);
        provider.forEach((key, value) -> {
            boolean providerChangedIt = given != null ? !Objects.equals(value, given.get(key)) : !merged.containsKey(key);
            if (providerChangedIt) {
                merged.put(key, value);
            }
        });
        return merged.equals(server) ? server : merged;
    }

    private void deleteOnProviderRequest(Pod current, Pod reported) {
        Long grace = reported.getMetadata().getDeletionGracePeriodSeconds();
        String at = reported.getMetadata().getDeletionTimestamp();
        if (grace == null || (at != null && Instant.parse(at).isBefore(Instant.now()))) {
            grace = 0L;
        }
        log.info("Provider deleted pod {}; deleting it in Kubernetes (grace {}s)", key(current), grace);
        Deletions.deleteWithUid(client, Pod.class, current.getMetadata().getNamespace(), current.getMetadata().getName(),
                current.getMetadata().getUid(), grace, null);
    }

    // ----- start-up -----------------------------------------------------------------------------------------------

    /** Provider pods that Kubernetes does not know (anymore) are deleted once at start, concurrently, best effort. */
    private void deleteDanglingPods() {
        List<Pod> providerPods;
        try {
            providerPods = provider.getPods();
        } catch (Exception e) {
            log.warn("Cannot list the provider's pods to clean up dangling ones: {}", describe(e));
            return;
        }
        Semaphore permits = new Semaphore(settings.workers());
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Pod pod : providerPods) {
                if (cached(key(pod)) != null) {
                    continue;
                }
                executor.submit(() -> {
                    permits.acquireUninterruptibly();
                    try {
                        log.info("Deleting dangling pod {} that Kubernetes does not know", key(pod));
                        provider.deletePod(pod);
                    } catch (Exception e) {
                        log.warn("Deleting dangling pod {} failed: {}", key(pod), describe(e));
                    } finally {
                        permits.release();
                    }
                });
            }
        }
    }

    static String describe(Throwable error) {
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
