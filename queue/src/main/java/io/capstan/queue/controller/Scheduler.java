package io.capstan.queue.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperStatus;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.queue.QueueConfig;
import io.capstan.queue.api.Kueue;
import io.capstan.queue.model.ClusterQueueRules;
import io.capstan.queue.model.Preemption;
import io.capstan.queue.model.QueueOrder;
import io.capstan.queue.model.QuotaBook;
import io.capstan.queue.model.QuotaBook.Assignment;
import io.capstan.queue.model.QuotaBook.PodSetRequest;
import io.capstan.queue.model.Resources;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.ExpectedStatus;
import io.capstan.runtime.controller.LabelSelectors;
import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission queue's scheduler: Kueue's scheduling cycle (kubernetes-sigs/kueue, pkg/scheduler/scheduler.go) over
 * the informer caches. One cycle runs at a time, woken by any change of a queue, flavor, namespace, Workload or
 * AppWrapper: it books what admitted Workloads use, marks those whose AppWrapper finished (their quota goes back),
 * then walks each ClusterQueue's pending Workloads by priority and age and admits every one that fits, all its podSets
 * at once ({@link QuotaBook}). A Workload that waits says why in its {@code QuotaReserved} condition. Last, the
 * ClusterQueues' and LocalQueues' status report pending, admitted and used quota.
 *
 * <p>The scheduler is the only writer of Workload status; what it wrote is what the next cycle builds on
 * ({@link ExpectedStatus}), so a cache that lags never makes it admit twice.
 */
public final class Scheduler implements LeaderWork {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectKey CYCLE = new ObjectKey(null, "cycle");

    private final KubernetesClient client;
    private final QueueConfig config;
    private final KubernetesSerialization serialization;
    private final Clock clock;
    private final SharedIndexInformer<GenericKubernetesResource> flavors;
    private final SharedIndexInformer<GenericKubernetesResource> clusterQueues;
    private final SharedIndexInformer<GenericKubernetesResource> localQueues;
    private final SharedIndexInformer<GenericKubernetesResource> workloads;
    private final SharedIndexInformer<AppWrapper> appWrappers;
    private final SharedIndexInformer<Framework> frameworks;
    private final SharedIndexInformer<Namespace> namespaces;
    private final Controller<ObjectKey> controller;
    private final ExpectedStatus<GenericKubernetesResource, ObjectNode> workloadStatus;
    /** A queue's status is written at most this often, and all queues' together at most 10 times a second. */
    private static final java.time.Duration QUEUE_STATUS_INTERVAL = java.time.Duration.ofSeconds(1);
    private static final int QUEUE_STATUS_WRITES_PER_SECOND = 10;
    /** This cycle's interval between two status writes of one queue (longer with many queues). */
    private long queueStatusIntervalNanos = QUEUE_STATUS_INTERVAL.toNanos();
    /** When each ClusterQueue's and LocalQueue's status was last written (by UID). */
    private final Map<String, Long> lastStatusWrite = new java.util.concurrent.ConcurrentHashMap<>();
    /** A queue status write was held back in this cycle: look again in a second. */
    private boolean statusWake;
    /** Status writes in flight at once at the end of a cycle: enough to keep the API server busy, not flooded. */
    private static final int CONCURRENT_WRITES = 16;
    /** The status writes the running cycle decided, by object; made at its end ({@link #flushWrites}). */
    private final Map<String, Runnable> writes = new LinkedHashMap<>();
    /** Why waiting Workloads wait, as the running cycle found it, by object; the first few are written. */
    private final Map<String, Explanation> explanations = new LinkedHashMap<>();
    private static final int EXPLANATIONS_PER_CYCLE = 32;
    /** When explanations were held back, the next cycle comes this soon even if nothing changes. */
    private static final java.time.Duration EXPLANATION_CATCH_UP = java.time.Duration.ofMillis(200);
    private boolean explanationsHeldBack;
    /** Each LocalQueue's ClusterQueue ("namespace/name" to name), as the running cycle found them. */
    private final Map<String, String> clusterQueueOf = new HashMap<>();
    /** LocalQueue (namespace/name) → its stopPolicy, when it has one; per cycle. */
    private final Map<String, String> localQueueStopPolicy = new HashMap<>();

    /**
     * @param frameworks whether Frameworks are queued too (their CRD is installed)
     * @param config waitForPodsReady, from Kueue's configuration file
     */
    public Scheduler(KubernetesClient client, Informers informers, boolean frameworks, QueueConfig config,
            MeterRegistry metrics, Clock clock) {
        this.client = client;
        this.config = config;
        this.serialization = client.getKubernetesSerialization();
        this.clock = clock;
        this.flavors = informers.genericInformer(Kueue.RESOURCE_FLAVORS, Selectors.NONE);
        this.clusterQueues = informers.genericInformer(Kueue.CLUSTER_QUEUES, Selectors.NONE);
        this.localQueues = informers.genericInformer(Kueue.LOCAL_QUEUES, Selectors.NONE);
        this.workloads = informers.genericInformer(Kueue.WORKLOADS, Selectors.NONE);
        this.appWrappers = informers.informer(AppWrapper.class);
        this.frameworks = frameworks ? informers.informer(Framework.class) : null;
        this.namespaces = informers.clusterWideInformer(Namespace.class, Selectors.NONE);
        this.controller = Controller.<ObjectKey>builder("queue-scheduler", key -> cycle()).kind("ClusterQueue")
                .workers(1).metrics(metrics).build();
        this.workloadStatus = new ExpectedStatus<>(ObjectNode::deepCopy, this::writeStatus);
        ResourceEventHandler<HasMetadata> wake = new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata object) {
                controller.queue().add(CYCLE);
            }

            @Override
            public void onUpdate(HasMetadata oldObject, HasMetadata newObject) {
                controller.queue().add(CYCLE);
            }

            @Override
            public void onDelete(HasMetadata object, boolean deletedFinalStateUnknown) {
                if (object instanceof GenericKubernetesResource workload && "Workload".equals(workload.getKind())) {
                    workloadStatus.forget(ObjectKey.of(workload));
                    parsed.remove(workload.getMetadata().getUid());
                    finishedUids.remove(workload.getMetadata().getUid());
                    deletingOrphans.remove(workload.getMetadata().getUid());
                }
                controller.queue().add(CYCLE);
            }
        };
        List<SharedIndexInformer<? extends HasMetadata>> watched = new ArrayList<>(List.of(flavors, clusterQueues,
                localQueues, workloads, appWrappers, namespaces));
        if (this.frameworks != null) {
            watched.add(this.frameworks);
        }
        for (SharedIndexInformer<? extends HasMetadata> informer : watched) {
            @SuppressWarnings("unchecked")
            SharedIndexInformer<HasMetadata> any = (SharedIndexInformer<HasMetadata>) informer;
            any.addEventHandler(wake);
        }
    }

    @Override
    public void start() {
        controller.start();
        controller.queue().add(CYCLE);
    }

    @Override
    public void stop() {
        controller.stop();
    }

    // ----- one cycle -----------------------------------------------------------------------------------------------

    /** A ClusterQueue as the cycle uses it. */
    private record QueueSpec(String name, QuotaBook.Queue quota, boolean strictFifo, LabelSelector namespaceSelector,
            String stopPolicy, boolean terminating, String inactive, String inactiveReason,
            Preemption.Policy preemption) {
        /** {@code Hold} or {@code HoldAndDrain}: admits nothing new. */
        boolean stopped() {
            return isStopped(stopPolicy);
        }
    }

    /** Kueue's {@code stopPolicy} of a ClusterQueue or LocalQueue: {@code None} (or none), Hold, HoldAndDrain. */
    private static boolean isStopped(String stopPolicy) {
        return stopPolicy != null && !stopPolicy.isEmpty() && !"None".equals(stopPolicy);
    }

    /** A Workload of this cycle: its object, the status it builds on, its queue and what it asks for. */
    private static final class Entry {
        final GenericKubernetesResource object;
        final ObjectNode status;
        /** As parsed from the cache: shared, never changed. */
        final ObjectNode spec;
        boolean deactivated;
        /** Admitted by this cycle. */
        boolean admittedThisCycle;
        String clusterQueue;
        String localQueue;
        private Instant created;
        /** Place in its ClusterQueue's line this cycle (0 for a Workload that is in none). */
        int position;

        Entry(GenericKubernetesResource object, ObjectNode status, ObjectNode spec) {
            this.object = object;
            this.status = status;
            this.spec = spec;
        }

        ObjectKey key() {
            return ObjectKey.of(object);
        }

        int priority() {
            return spec.path("priority").asInt(0);
        }

        QueueOrder.Key orderKey() {
            return new QueueOrder.Key(priority(), created(), object.getMetadata().getName());
        }

        Instant created() {
            if (created == null) {
                created = Instant.parse(object.getMetadata().getCreationTimestamp());
            }
            return created;
        }
    }

    /**
     * One cycle: decide with the caches as they are, then make the status writes decided, together. The next cycle
     * starts when they are all answered, so it builds on what was written ({@link ExpectedStatus}).
     */
    private Result cycle() {
        writes.clear();
        explanations.clear();
        Result next = decide();
        flushWrites();
        if (explanationsHeldBack) {
            next = next.orSooner(Result.requeueAfter(EXPLANATION_CATCH_UP));
        }
        return next;
    }

    private Result decide() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Map<String, JsonNode> flavorObjects = new TreeMap<>();
        flavors.getStore().list().forEach(f -> flavorObjects.put(f.getMetadata().getName(), tree(f)));
        Map<String, QueueSpec> queues = new TreeMap<>();
        for (GenericKubernetesResource cq : clusterQueues.getStore().list()) {
            QueueSpec spec = queueSpec(cq, flavorObjects.keySet());
            queues.put(spec.name(), spec);
        }
        QuotaBook book = new QuotaBook(queues.values().stream().map(QueueSpec::quota).toList());
        clusterQueueOf.clear();
        localQueueStopPolicy.clear();
        for (GenericKubernetesResource localQueue : localQueues.getStore().list()) {
            String key = localQueue.getMetadata().getNamespace() + "/" + localQueue.getMetadata().getName();
            JsonNode spec = tree(localQueue).path("spec");
            clusterQueueOf.put(key, spec.path("clusterQueue").asText(""));
            if (isStopped(spec.path("stopPolicy").asText(null))) {
                localQueueStopPolicy.put(key, spec.path("stopPolicy").asText());
            }
        }

        Map<String, List<Entry>> pendingByQueue = new TreeMap<>();
        List<Preemption.Admitted<Entry>> admitted = new ArrayList<>();
        Instant[] wake = {null};
        boolean[] notReady = {false};
        Map<String, Integer> admittedByQueue = new HashMap<>();
        Map<String, int[]> localCounts = new HashMap<>();
        Map<String, Map<String, Map<String, Long>>> localUsage = new HashMap<>();
        for (GenericKubernetesResource object : workloads.getStore().list()) {
            if (finishedUids.contains(object.getMetadata().getUid())) {
                continue;
            }
            Parsed parsedWorkload = parsed(object);
            if (parsedWorkload.status() != null && isTrue(parsedWorkload.status(), Kueue.FINISHED)) {
                // Finished as stored, by this scheduler or by whoever runs a Workload created without an owner (as
                // Kueue's job integrations do): it holds nothing, and nothing about it is kept but its UID (finished
                // Workloads stay until their owner goes, and may outnumber the rest).
                workloadStatus.forget(ObjectKey.of(object));
                parsed.remove(object.getMetadata().getUid());
                finishedUids.add(object.getMetadata().getUid());
                continue;
            }
            ObjectNode spec = parsedWorkload.spec();
            ObjectNode persisted = workloadStatus.current(object, parsedWorkload.status());
            Entry entry = new Entry(object, persisted == null ? JSON.createObjectNode() : persisted, spec);
            String localQueue = spec.path("queueName").asText("");
            entry.localQueue = object.getMetadata().getNamespace() + "/" + localQueue;
            if (isTrue(entry.status, Kueue.FINISHED)) {
                continue;
            }
            if (ownerGone(object)) {
                deleteOrphan(object);
                if (!isTrue(entry.status, Kueue.QUOTA_RESERVED)) {
                    continue;
                }
                // Its quota counts until the deletion is seen: the cache might only be late with the owner.
            }
            String finished = finishedOwner(object);
            if (finished != null) {
                setCondition(entry.status, Kueue.FINISHED, "True", finished, "AppWrapper " + finished.toLowerCase(), now);
                persist(entry);
                continue;
            }
            if (isTrue(entry.status, Kueue.QUOTA_RESERVED) && isTrue(entry.status, Kueue.EVICTED)
                    && ownerInactive(object)) {
                // Its AppWrapper is suspended and holds nothing any more: the quota goes back, and it queues again.
                requeue(entry, now);
            }
            if (isTrue(entry.status, Kueue.QUOTA_RESERVED) && !isTrue(entry.status, Kueue.EVICTED)) {
                drainIfStopped(entry, queues, now);
                Instant limit = enforceMaximumExecutionTime(entry, now);
                if (limit != null && (wake[0] == null || limit.isBefore(wake[0]))) {
                    wake[0] = limit;
                }
            }
            if (isTrue(entry.status, Kueue.QUOTA_RESERVED) && !isTrue(entry.status, Kueue.EVICTED)) {
                Instant deadline = watchPodsReady(entry, now);
                if (deadline != null && (wake[0] == null || deadline.isBefore(wake[0]))) {
                    wake[0] = deadline;
                }
                notReady[0] |= !isTrue(entry.status, Kueue.PODS_READY) && !isTrue(entry.status, Kueue.EVICTED);
            }
            if (isTrue(entry.status, Kueue.QUOTA_RESERVED)) {
                String queue = entry.status.path("admission").path("clusterQueue").asText();
                if (frameworkOwner(object) == null) {
                    // A Framework cannot be suspended and resumed, so it is never preempted.
                    admitted.add(new Preemption.Admitted<>(entry, queue, entry.priority(), entry.created(),
                            transitionTime(entry.status, Kueue.QUOTA_RESERVED), assignmentsOf(entry.status)));
                }
                book.add(queue, assignmentsOf(entry.status));
                admittedByQueue.merge(queue, 1, Integer::sum);
                localCounts.computeIfAbsent(entry.localQueue, k -> new int[2])[1]++;
                addUsage(localUsage.computeIfAbsent(entry.localQueue, k -> new TreeMap<>()), assignmentsOf(entry.status));
                continue;
            }
            if (entry.deactivated || !entry.spec.path("active").asBoolean(true)) {
                pending(entry, "Inactive", "The workload is deactivated (spec.active is false)", now);
                continue;
            }
            localCounts.computeIfAbsent(entry.localQueue, k -> new int[2])[0]++;
            Instant requeueAt = requeueAt(entry.status);
            if (requeueAt != null && now.isBefore(requeueAt)) {
                pending(entry, "Pending", "requeued after its pods were not ready in time; back in the queue at "
                        + requeueAt, now);
                if (wake[0] == null || requeueAt.isBefore(wake[0])) {
                    wake[0] = requeueAt;
                }
                continue;
            }
            String problem = route(entry, queues);
            if (problem != null) {
                pending(entry, "Inadmissible", problem, now);
                continue;
            }
            pendingByQueue.computeIfAbsent(entry.clusterQueue, k -> new ArrayList<>()).add(entry);
        }

        java.util.function.BiConsumer<Entry, QuotaBook.Fit> admitting = (entry, fit) -> {
            book.add(entry.clusterQueue, fit.assignments());
            admit(entry, entry.clusterQueue, fit.assignments(), now);
            entry.admittedThisCycle = true;
            notReady[0] = true;
            admittedByQueue.merge(entry.clusterQueue, 1, Integer::sum);
            int[] counts = localCounts.computeIfAbsent(entry.localQueue, k -> new int[2]);
            counts[0]--;
            counts[1]++;
            addUsage(localUsage.computeIfAbsent(entry.localQueue, k -> new TreeMap<>()), fit.assignments());
        };
        pendingByQueue.values().forEach(waiting -> waiting.sort(Comparator.comparing(Entry::orderKey,
                QueueOrder.HEAD_FIRST)));
        // First, in every queue, the head of the line as far as it fits within nominal quota; only then what must
        // borrow, and what comes after it. Otherwise a queue that comes first could borrow back, at once, the quota a
        // peer just reclaimed by preemption, and the two would preempt each other without end (Kueue, too, orders a
        // cycle's candidates with those that need not borrow first).
        if (!(config.waitForPodsReady() && config.blockAdmission() && notReady[0])) {
            for (Map.Entry<String, List<Entry>> byQueue : pendingByQueue.entrySet()) {
                QueueSpec queue = queues.get(byQueue.getKey());
                if (queue.inactive() != null || queue.terminating() || queue.stopped()) {
                    continue;
                }
                for (Entry entry : byQueue.getValue()) {
                    QuotaBook.Fit fit = book.fit(queue.name(), parsed(entry.object).podSets());
                    if (!fit.fits() || fit.borrows()) {
                        break; // the rest of this queue waits for the second pass, so that its order holds
                    }
                    admitting.accept(entry, fit);
                }
            }
        }
        Map<String, Integer> pendingCount = new HashMap<>();
        for (Map.Entry<String, List<Entry>> byQueue : pendingByQueue.entrySet()) {
            QueueSpec queue = queues.get(byQueue.getKey());
            List<Entry> waiting = byQueue.getValue();
            String blockedBy = null;
            int position = 0;
            boolean preemptionTried = false;
            for (Entry entry : waiting) {
                if (entry.admittedThisCycle) {
                    continue;
                }
                entry.position = position++;
                if (queue.inactive() != null) {
                    pending(entry, "Inadmissible", queue.inactive(), now);
                } else if (queue.terminating()) {
                    pending(entry, "Inadmissible", "ClusterQueue " + queue.name() + " is being deleted", now);
                } else if (queue.stopped()) {
                    pending(entry, "Inadmissible", "ClusterQueue " + queue.name() + " is stopped", now);
                } else if (config.waitForPodsReady() && config.blockAdmission() && notReady[0]) {
                    pending(entry, "Pending", "waiting for the pods of admitted workloads to be ready (blockAdmission)",
                            now);
                } else if (blockedBy != null) {
                    pending(entry, "Pending", "waiting behind " + blockedBy + " (ClusterQueue " + queue.name()
                            + " is StrictFIFO)", now);
                } else {
                    QuotaBook.Fit fit = book.fit(queue.name(), parsed(entry.object).podSets());
                    if (fit.fits()) {
                        admitting.accept(entry, fit);
                        continue;
                    }
                    // One preemption attempt per ClusterQueue and cycle, for the first Workload that does not fit (the
                    // highest priority, the oldest): as Kueue nominates one head per queue. The others are looked at
                    // again in the next cycle, after this one's evictions, instead of each pricing victims of its own.
                    String preempting = preemptionTried ? null : preempt(book, queue, entry, admitted, now);
                    preemptionTried = true;
                    pending(entry, "Pending", preempting != null ? preempting : "couldn't assign flavors: " + fit.reason(),
                            now);
                    if (queue.strictFifo()) {
                        blockedBy = "Workload " + entry.object.getMetadata().getName();
                    }
                }
                pendingCount.merge(queue.name(), 1, Integer::sum);
            }
        }

        statusWake = false;
        int queueCount = queues.size() + localQueues.getStore().list().size();
        queueStatusIntervalNanos = Math.max(QUEUE_STATUS_INTERVAL.toNanos(),
                queueCount * 1_000_000_000L / QUEUE_STATUS_WRITES_PER_SECOND);
        for (QueueSpec queue : queues.values()) {
            writeClusterQueueStatus(queue, book, pendingCount.getOrDefault(queue.name(), 0),
                    admittedByQueue.getOrDefault(queue.name(), 0), now);
            GenericKubernetesResource object = clusterQueues.getIndexer().getByKey(queue.name());
            if (object != null) {
                holdWhileInUse(Kueue.CLUSTER_QUEUES, object, admittedByQueue.getOrDefault(queue.name(), 0) > 0);
            }
        }
        java.util.Set<String> flavorsInUse = new java.util.HashSet<>();
        queues.values().forEach(queue -> flavorsInUse.addAll(QuotaBook.flavorsOf(queue.quota())));
        for (GenericKubernetesResource flavor : flavors.getStore().list()) {
            holdWhileInUse(Kueue.RESOURCE_FLAVORS, flavor, flavorsInUse.contains(flavor.getMetadata().getName()));
        }
        for (GenericKubernetesResource localQueue : localQueues.getStore().list()) {
            String key = localQueue.getMetadata().getNamespace() + "/" + localQueue.getMetadata().getName();
            writeLocalQueueStatus(localQueue, localCounts.getOrDefault(key, new int[2]),
                    localUsage.getOrDefault(key, Map.of()), queues, now);
        }
        Result next = wake[0] == null ? Result.done() : Result.requeueAfter(java.time.Duration.between(now, wake[0])
                .plusMillis(100));
        return statusWake ? next.orSooner(Result.requeueAfter(QUEUE_STATUS_INTERVAL)) : next;
    }

    // ----- waitForPodsReady ---------------------------------------------------------------------------------------

    /**
     * Mirrors the owner's readiness into the Workload's {@code PodsReady} condition and, with waitForPodsReady, evicts
     * a Workload whose pods were not ready within the timeout after admission (or, once ready, within the recovery
     * timeout). The next deadline to look again at, or null.
     */
    private Instant watchPodsReady(Entry entry, Instant now) {
        AppWrapper appWrapper = owner(entry.object);
        if (appWrapper == null || appWrapper.getStatus() == null) {
            return null;
        }
        AppWrapperStatus status = appWrapper.getStatus();
        boolean ready = status.isTrue(AppWrapperStatus.PODS_READY) || status.phase() == AppWrapperStatus.Phase.Succeeded;
        String before = reasonOf(entry.status, Kueue.PODS_READY);
        if (ready) {
            setCondition(entry.status, Kueue.PODS_READY, "True", "PodsReady", "All pods reached readiness", now);
        } else if ("PodsReady".equals(before) || "WaitForRecovery".equals(before)) {
            setCondition(entry.status, Kueue.PODS_READY, "False", "WaitForRecovery", "At least one pod has failed, "
                    + "waiting for recovery", now);
        } else {
            setCondition(entry.status, Kueue.PODS_READY, "False", "WaitForStart", "Not all pods are ready or succeeded",
                    now);
        }
        persist(entry);
        if (!config.waitForPodsReady() || ready) {
            return null;
        }
        boolean recovering = "WaitForRecovery".equals(reasonOf(entry.status, Kueue.PODS_READY));
        if (recovering && config.recoveryTimeout() == null) {
            return null;
        }
        Instant deadline = recovering ? transitionTime(entry.status, Kueue.PODS_READY).plus(config.recoveryTimeout())
                : transitionTime(entry.status, Kueue.ADMITTED).plus(config.timeout());
        if (now.isBefore(deadline)) {
            return deadline;
        }
        String message = "Exceeded the PodsReady " + (recovering ? "recovery timeout " + config.recoveryTimeout()
                : "timeout " + config.timeout());
        setCondition(entry.status, Kueue.EVICTED, "True", "PodsReadyTimeout", message, now);
        persist(entry);
        log.info("Evicting Workload {}: {}", entry.key(), message);
        return null;
    }

    /**
     * Kueue's {@code stopPolicy: HoldAndDrain}: an admitted Workload of a ClusterQueue or LocalQueue so stopped is
     * evicted (its owner suspended, its quota released once nothing runs), and waits in the queue until it is resumed.
     * A Framework cannot be suspended and resumed, so it runs to its end.
     */
    private void drainIfStopped(Entry entry, Map<String, QueueSpec> queues, Instant now) {
        if (frameworkOwner(entry.object) != null) {
            return;
        }
        QueueSpec queue = queues.get(entry.status.path("admission").path("clusterQueue").asText());
        String reason;
        String message;
        if (queue != null && "HoldAndDrain".equals(queue.stopPolicy())) {
            reason = "ClusterQueueStopped";
            message = "The ClusterQueue is stopped";
        } else if ("HoldAndDrain".equals(localQueueStopPolicy.get(entry.localQueue))) {
            reason = "LocalQueueStopped";
            message = "The LocalQueue is stopped";
        } else {
            return;
        }
        setCondition(entry.status, Kueue.EVICTED, "True", reason, message, now);
        persist(entry);
        log.info("Evicting Workload {}: {}", entry.key(), message);
    }

    /**
     * Kueue's {@code maximumExecutionTimeSeconds} (the {@code kueue.x-k8s.io/max-exec-time-seconds} label of its
     * owner): a Workload admitted for longer than that in all — this admission and the earlier ones, in
     * {@code status.accumulatedPastExecutionTimeSeconds} — is evicted and then deactivated. Returns when to look again,
     * or null. A Framework cannot be stopped and resumed, so it runs to its end.
     */
    private Instant enforceMaximumExecutionTime(Entry entry, Instant now) {
        int maximum = entry.spec.path("maximumExecutionTimeSeconds").asInt(0);
        if (maximum <= 0 || frameworkOwner(entry.object) != null) {
            return null;
        }
        long past = entry.status.path("accumulatedPastExecutionTimeSeconds").asLong(0);
        Instant limit = transitionTime(entry.status, Kueue.QUOTA_RESERVED).plusSeconds(Math.max(0, maximum - past));
        if (now.isBefore(limit)) {
            return limit;
        }
        String message = "exceeded the maximum execution time of " + maximum + "s";
        setCondition(entry.status, Kueue.EVICTED, "True", MAXIMUM_EXECUTION_TIME_EXCEEDED, message, now);
        persist(entry);
        log.info("Evicting Workload {}: {}", entry.key(), message);
        return null;
    }

    private static Instant requeueAt(JsonNode status) {
        JsonNode at = status.path("requeueState").path("requeueAt");
        return at.isTextual() ? Instant.parse(at.asText()) : null;
    }

    /** Which ClusterQueue a pending Workload goes to, or why it cannot go to any. */
    private String route(Entry entry, Map<String, QueueSpec> queues) {
        String namespace = entry.object.getMetadata().getNamespace();
        String localName = entry.spec.path("queueName").asText("");
        if (localName.isEmpty()) {
            return "the Workload names no LocalQueue (spec.queueName)";
        }
        String clusterQueue = clusterQueueOf.get(namespace + "/" + localName);
        if (clusterQueue == null) {
            return "LocalQueue " + localName + " doesn't exist in namespace " + namespace;
        }
        if (localQueueStopPolicy.containsKey(namespace + "/" + localName)) {
            return "LocalQueue " + localName + " is stopped";
        }
        QueueSpec queue = queues.get(clusterQueue);
        if (queue == null) {
            return "ClusterQueue " + clusterQueue + " (of LocalQueue " + localName + ") doesn't exist";
        }
        Namespace ns = namespaces.getIndexer().getByKey(namespace);
        if (queue.namespaceSelector() == null || ns == null
                || !LabelSelectors.matches(queue.namespaceSelector(), ns.getMetadata().getLabels())) {
            return "namespace " + namespace + " doesn't match the namespaceSelector of ClusterQueue " + clusterQueue;
        }
        entry.clusterQueue = clusterQueue;
        return null;
    }

    private QueueSpec queueSpec(GenericKubernetesResource object, java.util.Set<String> existingFlavors) {
        JsonNode spec = tree(object).path("spec");
        String name = object.getMetadata().getName();
        List<QuotaBook.ResourceGroup> groups = new ArrayList<>();
        String inactive = null;
        String inactiveReason = null;
        List<String> invalid = ClusterQueueRules.problems(spec);
        if (!invalid.isEmpty()) {
            // Created past the webhook (or before it ran): admits nothing, and says why.
            inactive = "ClusterQueue " + name + " is not valid: " + String.join("; ", invalid);
            inactiveReason = "InvalidSpec";
        }
        for (JsonNode group : spec.path("resourceGroups")) {
            List<String> covered = new ArrayList<>();
            group.path("coveredResources").forEach(r -> covered.add(r.asText()));
            List<QuotaBook.FlavorQuotas> flavorQuotas = new ArrayList<>();
            for (JsonNode flavor : group.path("flavors")) {
                Map<String, QuotaBook.Quota> resources = new LinkedHashMap<>();
                for (JsonNode resource : flavor.path("resources")) {
                    resources.put(resource.path("name").asText(), new QuotaBook.Quota(
                            Resources.milli(resource.path("nominalQuota")),
                            resource.has("borrowingLimit") ? Resources.milli(resource.path("borrowingLimit")) : null,
                            resource.has("lendingLimit") ? Resources.milli(resource.path("lendingLimit")) : null));
                }
                String flavorName = flavor.path("name").asText();
                if (!existingFlavors.contains(flavorName) && inactive == null) {
                    inactive = "ResourceFlavor " + flavorName + " of ClusterQueue " + name + " doesn't exist";
                    inactiveReason = "FlavorNotFound";
                }
                flavorQuotas.add(new QuotaBook.FlavorQuotas(flavorName, resources));
            }
            groups.add(new QuotaBook.ResourceGroup(covered, flavorQuotas));
        }
        // v1beta2 names it cohortName, v1beta1 cohort.
        String cohort = spec.path("cohortName").asText(spec.path("cohort").asText(""));
        JsonNode selector = spec.path("namespaceSelector");
        LabelSelector namespaceSelector = selector.isObject() ? serialization.convertValue(selector, LabelSelector.class)
                : null;
        String stopPolicy = spec.path("stopPolicy").asText("None");
        JsonNode preemptionSpec = spec.path("preemption");
        JsonNode borrowWithinCohort = preemptionSpec.path("borrowWithinCohort");
        Preemption.Policy preemption = new Preemption.Policy(
                Preemption.WithinClusterQueue.valueOf(preemptionSpec.path("withinClusterQueue").asText("Never")),
                Preemption.ReclaimWithinCohort.valueOf(preemptionSpec.path("reclaimWithinCohort").asText("Never")),
                Preemption.BorrowWithinCohort.valueOf(borrowWithinCohort.path("policy").asText("Never")),
                borrowWithinCohort.hasNonNull("maxPriorityThreshold")
                        ? borrowWithinCohort.path("maxPriorityThreshold").asInt() : null);
        return new QueueSpec(name, new QuotaBook.Queue(name, cohort.isEmpty() ? null : cohort, groups),
                "StrictFIFO".equals(spec.path("queueingStrategy").asText()), namespaceSelector,
                stopPolicy, object.getMetadata().getDeletionTimestamp() != null, inactive, inactiveReason, preemption);
    }

    /** "Succeeded" or "Failed" when the Workload's AppWrapper finished and holds no quota any more, else null. */
    private String finishedOwner(GenericKubernetesResource workload) {
        Framework framework = frameworkOwner(workload);
        if (framework != null) {
            var status = framework.getStatus();
            if (status == null || status.state != FrameworkState.Completed) {
                return null;
            }
            var completion = status.attemptStatus == null ? null : status.attemptStatus.completionStatus;
            return completion != null && completion.code != null && completion.code == 0 ? "Succeeded" : "Failed";
        }
        AppWrapper appWrapper = owner(workload);
        if (appWrapper == null || appWrapper.getStatus() == null) {
            return null;
        }
        AppWrapperStatus status = appWrapper.getStatus();
        return switch (status.phase()) {
            case Succeeded -> "Succeeded";
            case Failed -> status.isTrue(AppWrapperStatus.RESOURCES_DEPLOYED) ? null : "Failed";
            default -> null;
        };
    }

    /** The Framework that owns the Workload, as cached, or null. */
    private Framework frameworkOwner(GenericKubernetesResource workload) {
        var owner = workload.getMetadata().getOwnerReferences() == null ? null : workload.getMetadata()
                .getOwnerReferences().stream().filter(o -> Boolean.TRUE.equals(o.getController())
                        && "Framework".equals(o.getKind())).findFirst().orElse(null);
        if (owner == null || frameworks == null) {
            return null;
        }
        Framework framework = frameworks.getIndexer().getByKey(workload.getMetadata().getNamespace() + "/"
                + owner.getName());
        return framework != null && owner.getUid().equals(framework.getMetadata().getUid()) ? framework : null;
    }

    /** The AppWrapper or Framework controlling a Workload, or null for one created directly. */
    private static io.fabric8.kubernetes.api.model.OwnerReference controllingOwner(GenericKubernetesResource workload) {
        var owners = workload.getMetadata().getOwnerReferences();
        return owners == null ? null : owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())
                && (AppWrapper.KIND.equals(o.getKind()) || "Framework".equals(o.getKind()))).findFirst().orElse(null);
    }

    /** Whether the AppWrapper or Framework that owns the Workload is not in the cache (with its UID). */
    private boolean ownerGone(GenericKubernetesResource workload) {
        var owner = controllingOwner(workload);
        if (owner == null) {
            return false;
        }
        return AppWrapper.KIND.equals(owner.getKind()) ? owner(workload) == null
                : frameworks != null && frameworkOwner(workload) == null;
    }

    /**
     * Deletes a Workload whose owner is gone — the garbage collector would, but the quota should not wait for it (it
     * may be slow, or not run at all) — once a read of the owner confirms that the cache is not merely late.
     */
    private void deleteOrphan(GenericKubernetesResource workload) {
        String uid = workload.getMetadata().getUid();
        if (!deletingOrphans.add(uid)) {
            return;
        }
        writes.put("orphaned Workload " + ObjectKey.of(workload), () -> {
            try {
                deleteIfOwnerGone(workload);
            } catch (RuntimeException e) {
                deletingOrphans.remove(uid); // the next cycle tries again
                throw e;
            }
        });
    }

    private void deleteIfOwnerGone(GenericKubernetesResource workload) {
        String uid = workload.getMetadata().getUid();
        var owner = controllingOwner(workload);
        String namespace = workload.getMetadata().getNamespace();
        HasMetadata live = AppWrapper.KIND.equals(owner.getKind())
                ? client.resources(AppWrapper.class).inNamespace(namespace).withName(owner.getName()).get()
                : client.resources(Framework.class).inNamespace(namespace).withName(owner.getName()).get();
        if (live != null && owner.getUid().equals(live.getMetadata().getUid())) {
            deletingOrphans.remove(uid);
            return;
        }
        log.info("Deleting Workload {}: its {} {} is gone", ObjectKey.of(workload), owner.getKind(), owner.getName());
        client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace)
                .withName(workload.getMetadata().getName()).delete();
    }

    /** The AppWrapper that owns the Workload, as cached, or null. */
    private AppWrapper owner(GenericKubernetesResource workload) {
        var owner = workload.getMetadata().getOwnerReferences() == null ? null : workload.getMetadata()
                .getOwnerReferences().stream().filter(o -> Boolean.TRUE.equals(o.getController())
                        && AppWrapper.KIND.equals(o.getKind())).findFirst().orElse(null);
        if (owner == null) {
            return null;
        }
        AppWrapper appWrapper = appWrappers.getIndexer().getByKey(workload.getMetadata().getNamespace() + "/"
                + owner.getName());
        return appWrapper != null && owner.getUid().equals(appWrapper.getMetadata().getUid()) ? appWrapper : null;
    }

    // ----- preemption ----------------------------------------------------------------------------------------------

    /**
     * Evicts what the queue's preemption policies allow so that the entry fits, or waits for the evictions already
     * under way; null when preemption cannot make it fit. An evicted Workload keeps its quota until its AppWrapper
     * has removed everything ({@link #requeue}).
     */
    private String preempt(QuotaBook book, QueueSpec queue, Entry entry, List<Preemption.Admitted<Entry>> admitted,
            Instant now) {
        if (queue.preemption().never()) {
            return null;
        }
        List<PodSetRequest> podSets = parsed(entry.object).podSets();
        QuotaBook withoutEvicting = book.copy();
        List<Preemption.Admitted<Entry>> notEvicting = new ArrayList<>();
        int evicting = 0;
        for (Preemption.Admitted<Entry> workload : admitted) {
            if (isTrue(workload.key().status, Kueue.EVICTED)) {
                withoutEvicting.remove(workload.queue(), workload.assignments());
                evicting++;
            } else {
                notEvicting.add(workload);
            }
        }
        if (evicting > 0 && withoutEvicting.fit(queue.name(), podSets).fits()) {
            return "waiting for preempted workloads to release their quota";
        }
        List<Preemption.Admitted<Entry>> victims = Preemption.victims(withoutEvicting, queue.name(), podSets,
                entry.priority(), entry.created(), queue.preemption(), notEvicting);
        if (victims.isEmpty()) {
            return null;
        }
        QuotaBook afterEvictions = withoutEvicting.copy();
        victims.forEach(v -> afterEvictions.remove(v.queue(), v.assignments()));
        boolean borrowing = afterEvictions.fit(queue.name(), podSets).borrows();
        List<String> names = new ArrayList<>();
        for (Preemption.Admitted<Entry> victim : victims) {
            Entry evicted = victim.key();
            boolean sameQueue = victim.queue().equals(queue.name());
            String message = "Preempted to accommodate Workload " + entry.key() + (sameQueue ? " in the ClusterQueue"
                    : " of ClusterQueue " + queue.name() + " in the cohort");
            setCondition(evicted.status, Kueue.EVICTED, "True", "Preempted", message, now);
            setCondition(evicted.status, Kueue.PREEMPTED, "True", sameQueue ? "InClusterQueue"
                    : borrowing ? "InCohortReclaimWhileBorrowing" : "InCohortReclamation", message, now);
            persist(evicted);
            names.add(evicted.key().toString());
            log.info("Preempting Workload {} for {}", evicted.key(), entry.key());
        }
        return "preempting " + String.join(", ", names);
    }

    /** An evicted Workload whose AppWrapper let go: its admission is taken back and it waits again. */
    private void requeue(Entry entry, Instant now) {
        String reason = conditionReason(entry.status, Kueue.EVICTED);
        // Kueue counts the time a Workload held quota towards its maximum execution time, across admissions.
        long held = java.time.Duration.between(transitionTime(entry.status, Kueue.QUOTA_RESERVED), now).toSeconds();
        entry.status.put("accumulatedPastExecutionTimeSeconds",
                entry.status.path("accumulatedPastExecutionTimeSeconds").asLong(0) + Math.max(0, held));
        if (reason.equals(MAXIMUM_EXECUTION_TIME_EXCEEDED)) {
            deactivate(entry, "it exceeded its maximum execution time");
        }
        entry.status.remove("admission");
        removeCondition(entry.status, Kueue.PODS_READY);
        if (reason.equals("PodsReadyTimeout")) {
            int count = entry.status.path("requeueState").path("count").asInt(0) + 1;
            ObjectNode requeueState = entry.status.putObject("requeueState");
            requeueState.put("count", count);
            if (config.backoffLimitCount() != null && count > config.backoffLimitCount()) {
                deactivate(entry, "after " + count + " requeues");
            } else {
                requeueState.put("requeueAt", now.plus(config.backoff(count)).toString());
            }
        }
        setCondition(entry.status, Kueue.QUOTA_RESERVED, "False", reason, "Evicted: quota released", now);
        setCondition(entry.status, Kueue.ADMITTED, "False", reason, "Evicted", now);
        setCondition(entry.status, Kueue.EVICTED, "False", "QuotaReleased", "The evicted workload released its quota",
                now);
        if (entry.deactivated) {
            setCondition(entry.status, Kueue.REQUEUED, "False", reason, "Deactivated: not requeued", now);
        } else {
            setCondition(entry.status, Kueue.REQUEUED, "True", reason, "Requeued after eviction", now);
        }
        persist(entry);
    }

    /** Kueue's deactivation: {@code spec.active} false, and it waits no more. */
    private void deactivate(Entry entry, String why) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("spec").put("active", false);
        try {
            RawRequests.write(client, "PATCH", path(Kueue.WORKLOADS, entry.object), RawRequests.MERGE_PATCH,
                    patch.toString());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
        // This cycle must see it too, not only the next one (the cache has not caught up).
        entry.deactivated = true;
        log.info("Deactivated Workload {}: {}", entry.key(), why);
    }

    private static void removeCondition(ObjectNode status, String type) {
        ArrayNode conditions = status.withArray("conditions");
        for (int i = conditions.size() - 1; i >= 0; i--) {
            if (type.equals(conditions.get(i).path("type").asText())) {
                conditions.remove(i);
            }
        }
    }

    /** The Workload's AppWrapper is suspended and reserves no quota. */
    private boolean ownerInactive(GenericKubernetesResource workload) {
        AppWrapper appWrapper = owner(workload);
        if (appWrapper == null) {
            return frameworkOwner(workload) == null;
        }
        AppWrapperStatus status = appWrapper.getStatus();
        return status == null || (!status.isTrue(AppWrapperStatus.QUOTA_RESERVED)
                && (status.phase() == AppWrapperStatus.Phase.Suspended || status.phase() == AppWrapperStatus.Phase.Empty));
    }

    private static Instant transitionTime(JsonNode status, String type) {
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText()) && condition.hasNonNull("lastTransitionTime")) {
                return Instant.parse(condition.path("lastTransitionTime").asText());
            }
        }
        return Instant.EPOCH;
    }

    private static String reasonOf(JsonNode status, String type) {
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition.path("reason").asText();
            }
        }
        return null;
    }

    private static String conditionReason(JsonNode status, String type) {
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition.path("reason").asText("Evicted");
            }
        }
        return "Evicted";
    }

    // ----- Workload status -----------------------------------------------------------------------------------------

    private void admit(Entry entry, String clusterQueue, List<Assignment> assignments, Instant now) {
        ObjectNode admission = entry.status.putObject("admission");
        admission.put("clusterQueue", clusterQueue);
        ArrayNode podSets = admission.putArray("podSetAssignments");
        for (Assignment assignment : assignments) {
            ObjectNode podSet = podSets.addObject();
            podSet.put("name", assignment.podSet());
            ObjectNode flavorsOf = podSet.putObject("flavors");
            assignment.flavors().forEach(flavorsOf::put);
            ObjectNode usage = podSet.putObject("resourceUsage");
            assignment.usage().forEach((resource, amount) -> usage.put(resource, Resources.format(amount)));
            podSet.put("count", assignment.count());
        }
        setCondition(entry.status, Kueue.QUOTA_RESERVED, "True", "QuotaReserved", "Quota reserved in ClusterQueue "
                + clusterQueue, now);
        setCondition(entry.status, Kueue.ADMITTED, "True", "Admitted", "The workload is admitted", now);
        persist(entry);
        log.info("Admitted Workload {} in ClusterQueue {}", entry.key(), clusterQueue);
    }

    /**
     * Says why the entry waits. Unlike the writes that admit, evict or finish, these only explain: a cycle makes at
     * most {@link #EXPLANATIONS_PER_CYCLE} of them, those nearest the head of their queue first, and the rest are
     * decided again by the next cycle — otherwise a burst of new Workloads would hold every admission behind a write per
     * waiting Workload.
     */
    private void pending(Entry entry, String reason, String message, Instant now) {
        setCondition(entry.status, Kueue.QUOTA_RESERVED, "False", reason, message, now);
        String key = "Workload " + entry.key();
        if (writes.containsKey(key)) {
            // Admission taken back, or evicted, in this same cycle: that write carries the explanation too.
            persist(entry);
            return;
        }
        Runnable write = statusWrite(entry, key);
        if (write != null) {
            explanations.put(key, new Explanation(entry.position, write));
        }
    }

    /** A waiting Workload's status write, and how far from the head of its queue it is. */
    private record Explanation(int position, Runnable write) {
    }

    /** Writes the entry's status at the end of the cycle when it differs from what was last written or cached. */
    private void persist(Entry entry) {
        String key = "Workload " + entry.key();
        Runnable write = statusWrite(entry, key);
        if (write != null) {
            explanations.remove(key);
            writes.put(key, write);
        }
    }

    /**
     * The write of the entry's status as it is now, or null — and nothing left to write for it — when that is what was
     * last written or cached.
     */
    private Runnable statusWrite(Entry entry, String key) {
        ObjectNode before = workloadStatus.current(entry.object, parsed(entry.object).status());
        if (entry.status.equals(before)) {
            writes.remove(key);
            explanations.remove(key);
            return null;
        }
        // A copy: the entry's status may change again in this cycle, the one written must not.
        ObjectNode status = entry.status.deepCopy();
        GenericKubernetesResource object = entry.object;
        return () -> writeWorkload(object, status);
    }

    private void writeWorkload(GenericKubernetesResource object, ObjectNode status) {
        try {
            workloadStatus.write(object, status);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 422) {
                throw e;
            }
            // Deleted, or re-created under the same name (the UID test failed): the next cycle sees what is there.
            workloadStatus.forget(ObjectKey.of(object));
        }
    }

    /**
     * Makes the cycle's writes, up to {@link #CONCURRENT_WRITES} at a time: one after the other, a cycle that admits a
     * hundred Workloads would wait a hundred round trips. The latest decision per object is written, once.
     */
    private void flushWrites() {
        List<Runnable> batch = new ArrayList<>(writes.values());
        writes.clear();
        List<Explanation> waiting = new ArrayList<>(explanations.values());
        explanations.clear();
        waiting.sort(Comparator.comparingInt(Explanation::position));
        explanationsHeldBack = waiting.size() > EXPLANATIONS_PER_CYCLE;
        waiting.stream().limit(EXPLANATIONS_PER_CYCLE).forEach(e -> batch.add(e.write()));
        if (batch.size() <= 1) {
            batch.forEach(Runnable::run);
            return;
        }
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(CONCURRENT_WRITES);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        try (var writers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (Runnable write : batch) {
                done.add(writers.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        write.run();
                    } finally {
                        slots.release();
                    }
                }));
            }
        }
        RuntimeException first = null;
        for (java.util.concurrent.Future<?> write : done) {
            try {
                write.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing Workload and queue status", e);
            }
        }
        if (first != null) {
            // A write that failed is made again by the next cycle (ExpectedStatus keeps it as not written).
            throw first;
        }
    }

    private void writeStatus(GenericKubernetesResource workload, ObjectNode status) {
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", workload.getMetadata().getUid());
        patch.addObject().put("op", "add").put("path", "/status").set("value", status);
        RawRequests.write(client, "PATCH", path(Kueue.WORKLOADS, workload) + "/status", RawRequests.JSON_PATCH,
                patch.toString());
    }

    private ObjectNode statusOf(GenericKubernetesResource object) {
        JsonNode status = tree(object).path("status");
        return status.isObject() ? (ObjectNode) status : null;
    }

    /** Sets a condition; its transition time moves only when its status changes. */
    static void setCondition(ObjectNode status, String type, String value, String reason, String message, Instant now) {
        ArrayNode conditions = status.withArray("conditions");
        ObjectNode condition = null;
        for (JsonNode existing : conditions) {
            if (type.equals(existing.path("type").asText())) {
                condition = (ObjectNode) existing;
            }
        }
        if (condition == null) {
            condition = conditions.addObject().put("type", type);
        }
        if (!value.equals(condition.path("status").asText()) || !condition.has("lastTransitionTime")) {
            condition.put("lastTransitionTime", now.toString());
        }
        condition.put("status", value).put("reason", reason).put("message", message);
    }

    static boolean isTrue(JsonNode status, String type) {
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return "True".equals(condition.path("status").asText());
            }
        }
        return false;
    }

    static List<PodSetRequest> podSetsOf(JsonNode spec) {
        List<PodSetRequest> podSets = new ArrayList<>();
        for (JsonNode podSet : spec.path("podSets")) {
            podSets.add(new PodSetRequest(podSet.path("name").asText(), podSet.path("count").asInt(1),
                    Resources.perPod(podSet.path("template"))));
        }
        return podSets;
    }

    private static List<Assignment> assignmentsOf(JsonNode status) {
        List<Assignment> assignments = new ArrayList<>();
        for (JsonNode podSet : status.path("admission").path("podSetAssignments")) {
            Map<String, String> flavorOf = new TreeMap<>();
            podSet.path("flavors").fields().forEachRemaining(e -> flavorOf.put(e.getKey(), e.getValue().asText()));
            Map<String, Long> usage = new TreeMap<>();
            podSet.path("resourceUsage").fields().forEachRemaining(e -> usage.put(e.getKey(), Resources.milli(e.getValue())));
            assignments.add(new Assignment(podSet.path("name").asText(), podSet.path("count").asInt(), flavorOf, usage));
        }
        return assignments;
    }

    private static void addUsage(Map<String, Map<String, Long>> into, List<Assignment> assignments) {
        for (Assignment assignment : assignments) {
            assignment.usage().forEach((resource, amount) -> {
                String flavor = assignment.flavors().get(resource);
                if (flavor != null) {
                    into.computeIfAbsent(flavor, f -> new TreeMap<>()).merge(resource, amount, Long::sum);
                }
            });
        }
    }

    // ----- queue status ---------------------------------------------------------------------------------------------

    /**
     * Kueue's {@code kueue.x-k8s.io/resource-in-use} finalizer on ClusterQueues and ResourceFlavors: added to every one,
     * and taken off one being deleted once nothing uses it any more — a ClusterQueue's admitted workloads, a
     * ResourceFlavor's ClusterQueues — so that deleting it never pulls it from under what uses it.
     */
    private void holdWhileInUse(ResourceDefinitionContext kind, GenericKubernetesResource object, boolean inUse) {
        boolean terminating = object.getMetadata().getDeletionTimestamp() != null;
        List<String> finalizers = object.getMetadata().getFinalizers() == null ? List.of()
                : object.getMetadata().getFinalizers();
        int index = finalizers.indexOf(Kueue.RESOURCE_IN_USE);
        ArrayNode patch = JSON.createArrayNode();
        if (!terminating && index < 0) {
            patch.addObject().put("op", "test").put("path", "/metadata/resourceVersion")
                    .put("value", object.getMetadata().getResourceVersion());
            if (finalizers.isEmpty()) {
                patch.addObject().put("op", "add").put("path", "/metadata/finalizers").putArray("value")
                        .add(Kueue.RESOURCE_IN_USE);
            } else {
                patch.addObject().put("op", "add").put("path", "/metadata/finalizers/-")
                        .put("value", Kueue.RESOURCE_IN_USE);
            }
        } else if (terminating && index >= 0 && !inUse) {
            patch.addObject().put("op", "test").put("path", "/metadata/finalizers/" + index)
                    .put("value", Kueue.RESOURCE_IN_USE);
            patch.addObject().put("op", "remove").put("path", "/metadata/finalizers/" + index);
        } else {
            return;
        }
        writes.put(kind.getKind() + " finalizer " + object.getMetadata().getName(), () -> {
            try {
                RawRequests.write(client, "PATCH", path(kind, object), RawRequests.JSON_PATCH, patch.toString());
            } catch (KubernetesClientException e) {
                // Changed meanwhile (a failed test) or gone: the next cycle looks again.
                if (e.getCode() != 404 && e.getCode() != 422 && e.getCode() != 409) {
                    throw e;
                }
            }
        });
    }

    private void writeClusterQueueStatus(QueueSpec queue, QuotaBook book, int pending, int admitted, Instant now) {
        GenericKubernetesResource object = clusterQueues.getIndexer().getByKey(queue.name());
        if (object == null) {
            return;
        }
        ObjectNode status = statusOf(object) == null ? JSON.createObjectNode() : statusOf(object).deepCopy();
        status.put("pendingWorkloads", pending).put("reservingWorkloads", admitted).put("admittedWorkloads", admitted);
        ArrayNode usage = JSON.createArrayNode();
        for (String flavor : QuotaBook.flavorsOf(queue.quota())) {
            ObjectNode entry = usage.addObject().put("name", flavor);
            ArrayNode resources = entry.putArray("resources");
            for (QuotaBook.ResourceGroup group : queue.quota().resourceGroups()) {
                group.flavors().stream().filter(f -> f.flavor().equals(flavor)).forEach(f -> f.resources().keySet()
                        .forEach(resource -> resources.addObject().put("name", resource)
                                .put("total", Resources.format(book.used(queue.name(), flavor, resource)))
                                .put("borrowed", Resources.format(book.borrowed(queue.name(), flavor, resource)))));
            }
        }
        status.set("flavorsReservation", usage.deepCopy());
        status.set("flavorsUsage", usage);
        if (queue.inactive() != null) {
            setCondition(status, "Active", "False", queue.inactiveReason(), queue.inactive(), now);
        } else if (queue.terminating()) {
            setCondition(status, "Active", "False", "Terminating", "Being deleted: admits nothing new, and goes once "
                    + "its " + admitted + " admitted workload(s) are done", now);
        } else if (queue.stopped()) {
            setCondition(status, "Active", "False", "Stopped", "The ClusterQueue is stopped", now);
        } else {
            setCondition(status, "Active", "True", "Ready", "Can admit new workloads", now);
        }
        writeQueueStatus(Kueue.CLUSTER_QUEUES, object, status);
    }

    private void writeLocalQueueStatus(GenericKubernetesResource object, int[] counts,
            Map<String, Map<String, Long>> usage, Map<String, QueueSpec> queues, Instant now) {
        ObjectNode status = statusOf(object) == null ? JSON.createObjectNode() : statusOf(object).deepCopy();
        status.put("pendingWorkloads", Math.max(0, counts[0])).put("reservingWorkloads", counts[1])
                .put("admittedWorkloads", counts[1]);
        ArrayNode flavorsUsage = JSON.createArrayNode();
        usage.forEach((flavor, resources) -> {
            ArrayNode list = flavorsUsage.addObject().put("name", flavor).putArray("resources");
            resources.forEach((resource, amount) -> list.addObject().put("name", resource)
                    .put("total", Resources.format(amount)));
        });
        status.set("flavorsReservation", flavorsUsage.deepCopy());
        status.set("flavorsUsage", flavorsUsage.deepCopy());
        // v1beta1's name for the same list, so readers of either version find it.
        status.set("flavorUsage", flavorsUsage);
        String clusterQueue = tree(object).path("spec").path("clusterQueue").asText("");
        if (isStopped(tree(object).path("spec").path("stopPolicy").asText(null))) {
            setCondition(status, "Active", "False", "Stopped", "LocalQueue is stopped", now);
        } else if (queues.containsKey(clusterQueue)) {
            setCondition(status, "Active", "True", "Ready", "Can submit new workloads to localQueue", now);
        } else {
            setCondition(status, "Active", "False", "ClusterQueueDoesNotExist", "ClusterQueue " + clusterQueue
                    + " doesn't exist", now);
        }
        writeQueueStatus(Kueue.LOCAL_QUEUES, object, status);
    }

    /**
     * Writes a queue's status when it changed, at most once a second per queue and ten queues a second in all (60
     * queues: each at most every 6 s): during a burst of admissions every cycle changes the counts, and a write per
     * queue per cycle would take the API server's writes from the admissions themselves. A write held back is made by a
     * later cycle ({@link #statusWake}).
     */
    private void writeQueueStatus(ResourceDefinitionContext kind, GenericKubernetesResource object, ObjectNode status) {
        if (status.equals(statusOf(object))) {
            return;
        }
        long now = System.nanoTime();
        Long last = lastStatusWrite.get(object.getMetadata().getUid());
        if (last != null && now - last < queueStatusIntervalNanos) {
            statusWake = true;
            return;
        }
        lastStatusWrite.put(object.getMetadata().getUid(), now);
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", object.getMetadata().getUid());
        patch.addObject().put("op", "add").put("path", "/status").set("value", status);
        writes.put(kind.getKind() + " " + ObjectKey.of(object), () -> {
            try {
                RawRequests.write(client, "PATCH", path(kind, object) + "/status", RawRequests.JSON_PATCH,
                        patch.toString());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404 && e.getCode() != 422) {
                    throw e;
                }
            }
        });
    }

    private static String path(ResourceDefinitionContext kind, HasMetadata object) {
        return RawRequests.path(kind.getGroup(), kind.getVersion(), kind.getPlural(),
                kind.isNamespaceScoped() ? object.getMetadata().getNamespace() : null, object.getMetadata().getName());
    }

    private JsonNode tree(Object object) {
        return serialization.convertValue(object, JsonNode.class);
    }

    /** A Workload as JSON, parsed once per resourceVersion: a cycle visits every Workload, most of them unchanged. */
    private record Parsed(String resourceVersion, ObjectNode spec, ObjectNode status, List<PodSetRequest> podSets) {
    }

    private static final String MAXIMUM_EXECUTION_TIME_EXCEEDED = "MaximumExecutionTimeExceeded";

    private final Map<String, Parsed> parsed = new java.util.concurrent.ConcurrentHashMap<>();
    /** UIDs of Workloads stored as Finished: nothing about them changes any more. */
    private final java.util.Set<String> finishedUids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** UIDs of Workloads whose owner is gone, being deleted. */
    private final java.util.Set<String> deletingOrphans = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Parsed parsed(GenericKubernetesResource workload) {
        String uid = workload.getMetadata().getUid();
        Parsed known = parsed.get(uid);
        if (known != null && known.resourceVersion().equals(workload.getMetadata().getResourceVersion())) {
            return known;
        }
        JsonNode tree = tree(workload);
        JsonNode status = tree.path("status");
        Parsed fresh = new Parsed(workload.getMetadata().getResourceVersion(), (ObjectNode) tree.path("spec"),
                status.isObject() ? (ObjectNode) status : null, podSetsOf(tree.path("spec")));
        parsed.put(uid, fresh);
        return fresh;
    }
}
