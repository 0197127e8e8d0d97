package io.capstan.node.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.node.api.NodeProvider;
import io.capstan.runtime.client.ApiErrors;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a virtual node's Node object and its Lease up to date, as Virtual Kubelet's node controller does:
 * registration, status updates that keep what third parties added (a three-way merge against the
 * {@code virtual-kubelet.io/last-applied-*} annotations), a Lease in {@code kube-node-lease} renewed every 10 s with
 * a 40 s duration and an ownerReference to the Node, and a provider ping that gates both heartbeats.
 *
 * <p>Differences from Virtual Kubelet: a failing first ping delays registration instead of aborting the node; the
 * node's taints are reconciled on restart (Capstan's own taint key only; other taints are kept); and a node name
 * whose Lease is being renewed by another agent is refused instead of being fought over.
 */
public final class NodeController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeController.class);
    public static final String LAST_APPLIED_STATUS = "virtual-kubelet.io/last-applied-node-status";
    public static final String LAST_APPLIED_META = "virtual-kubelet.io/last-applied-object-meta";
    public static final String AGENT_ANNOTATION = "capstan.io/node-agent";
    static final String LEASE_NAMESPACE = "kube-node-lease";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param pingInterval how often the provider is pinged
     * @param statusInterval how often node status is written when nothing changed
     * @param leaseDuration the Lease's duration; it is renewed every quarter of it
     */
    public record Settings(Duration pingInterval, Duration statusInterval, Duration leaseDuration) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofSeconds(40));
        }

        public Duration renewInterval() {
            return leaseDuration.dividedBy(4);
        }
    }

    private final KubernetesClient client;
    private final NodeProvider provider;
    private final Settings settings;
    private final String name;
    private final String agentId = hostName() + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID();
    private final AtomicReference<Node> desired;
    private final AtomicReference<Node> registered = new AtomicReference<>();
    private final Object wake = new Object();
    private volatile Throwable lastPingError;
    private volatile boolean pingSucceededOnce;
    private volatile boolean closed;
    private volatile Lease lastLease;
    private CompletableFuture<Void> pingInFlight = CompletableFuture.completedFuture(null);
    private final List<Thread> loops = new ArrayList<>();
    private volatile boolean statusDirty = true;

    public NodeController(KubernetesClient client, NodeProvider provider, Node desiredNode, Settings settings) {
        this.client = client;
        this.provider = provider;
        this.settings = settings;
        this.name = desiredNode.getMetadata().getName();
        this.desired = new AtomicReference<>(desiredNode);
        provider.notifyNodeStatus(this::onProviderNode);
    }

    public String name() {
        return name;
    }

    /** The Node as last written to the API server. */
    public Node node() {
        return registered.get();
    }

    /** Waits for a healthy ping, refuses a name another agent is serving, then creates or updates the Node. */
    public void register(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ping()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the provider's ping kept failing for " + timeout.toSeconds()
                        + "s; not registering node " + name + ": " + lastPingError);
            }
            log.warn("Provider ping failed ({}); registering node {} once it answers", lastPingError, name);
            Thread.sleep(Math.min(settings.pingInterval().toMillis(), 1000));
        }
        awaitLeaseFree(deadline);
        Node existing = client.nodes().withName(name).get();
        if (existing == null) {
            Node created = client.nodes().resource(new NodeBuilder(desired.get()).withStatus(null).build()).create();
            log.info("Registered node {}", name);
            registered.set(created);
        } else {
            reconcileTaints(existing);
            log.info("Node {} already exists; taking it over", name);
        }
        updateStatus();
        renewLease();
    }

    /**
     * A Lease renewed by someone else within its duration means another agent serves this node. A Lease left by a
     * stopped or crashed agent expires; this waits for that (at most one lease duration).
     */
    private void awaitLeaseFree(long deadlineNanos) throws InterruptedException {
        long waitUntil = System.nanoTime() + settings.leaseDuration().plusSeconds(5).toNanos();
        while (true) {
            Lease lease = client.leases().inNamespace(LEASE_NAMESPACE).withName(name).get();
            if (lease == null || lease.getSpec() == null || lease.getSpec().getRenewTime() == null) {
                return;
            }
            String holder = lease.getMetadata().getAnnotations() == null ? null
                    : lease.getMetadata().getAnnotations().get(AGENT_ANNOTATION);
            if ("released".equals(holder)) {
                return;
            }
            int durationSeconds = lease.getSpec().getLeaseDurationSeconds() == null ? 40
                    : lease.getSpec().getLeaseDurationSeconds();
            Instant expires = lease.getSpec().getRenewTime().toInstant().plusSeconds(durationSeconds);
            if (expires.isBefore(Instant.now())) {
                return;
            }
            if (System.nanoTime() > waitUntil || System.nanoTime() > deadlineNanos) {
                throw new NodeNameConflictException("node " + name + " is already served by another agent ("
                        + (holder == null ? "not a Capstan agent" : holder) + ": its Lease kube-node-lease/" + name
                        + " was renewed at " + lease.getSpec().getRenewTime() + "). Choose another --nodename, or stop "
                        + "that agent.");
            }
            log.info("Node {}'s Lease is still held (renewed at {}); waiting for it to expire", name,
                    lease.getSpec().getRenewTime());
            Thread.sleep(1000);
        }
    }

    /** Someone deleted the Node while this agent serves it: register it again (its Lease follows on renewal). */
    private void recreate() {
        try {
            Node created = client.nodes().resource(new NodeBuilder(desired.get()).withStatus(null).build()).create();
            registered.set(created);
            lastLease = null;
            log.warn("Node {} was deleted by someone else; registered it again", name);
            requestStatusUpdate();
        } catch (KubernetesClientException e) {
            log.warn("Re-registering deleted node {} failed: {}", name, ApiErrors.describe(e));
        }
    }

    /** Adds or corrects the taints this agent owns; taints added by others are kept. */
    private void reconcileTaints(Node existing) {
        List<Taint> wanted = desired.get().getSpec() == null || desired.get().getSpec().getTaints() == null ? List.of()
                : desired.get().getSpec().getTaints();
        Set<String> ownedKeys = new TreeSet<>(List.of(VirtualNodeTaint.DEFAULT_KEY));
        wanted.forEach(t -> ownedKeys.add(t.getKey()));
        List<Taint> current = existing.getSpec() == null || existing.getSpec().getTaints() == null ? List.of()
                : existing.getSpec().getTaints();
        List<Taint> merged = new ArrayList<>();
        for (Taint taint : current) {
            if (!ownedKeys.contains(taint.getKey())) {
                merged.add(taint);
            }
        }
        merged.addAll(wanted);
        if (sameTaints(merged, current)) {
            return;
        }
        log.info("Reconciling node {}'s taints to {}", name, merged);
        client.nodes().withName(name).edit(node -> new NodeBuilder(node).editOrNewSpec().withTaints(merged).endSpec().build());
    }

    private static boolean sameTaints(List<Taint> a, List<Taint> b) {
        List<String> left = a.stream().map(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect()).sorted().toList();
        List<String> right = b.stream().map(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect()).sorted().toList();
        return left.equals(right);
    }

    /** Starts the ping, status and lease loops. */
    public void start() {
        loops.add(Thread.ofVirtual().name("node-ping-" + name).start(() -> loop(settings.pingInterval(), this::ping)));
        loops.add(Thread.ofVirtual().name("node-lease-" + name).start(() -> loop(settings.renewInterval(), () -> {
            if (pingHealthy()) {
                renewLease();
            }
            return true;
        })));
        loops.add(Thread.ofVirtual().name("node-status-" + name).start(this::statusLoop));
    }

    private interface Step {
        boolean run() throws Exception;
    }

    private void loop(Duration interval, Step step) {
        while (!closed) {
            try {
                step.run();
            } catch (Exception e) {
                log.warn("Node {}: {}", name, ApiErrors.describe(e));
            }
            LockSupport.parkNanos(interval.toNanos());
        }
    }

    private void statusLoop() {
        long nextWrite = System.nanoTime() + settings.statusInterval().toNanos();
        while (!closed) {
            synchronized (wake) {
                long waitMillis = TimeUnit.NANOSECONDS.toMillis(nextWrite - System.nanoTime());
                if (!statusDirty && waitMillis > 0) {
                    try {
                        wake.wait(Math.min(waitMillis, 1000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            if (closed || (!statusDirty && System.nanoTime() < nextWrite)) {
                continue;
            }
            if (!pingHealthy()) {
                log.debug("Not updating node {} status while the provider's ping fails", name);
                nextWrite = System.nanoTime() + settings.statusInterval().toNanos();
                continue;
            }
            try {
                statusDirty = false;
                updateStatus();
            } catch (KubernetesClientException e) {
                statusDirty = true;
                if (e.getCode() == 404) {
                    recreate();
                } else {
                    log.warn("Updating node {} status failed: {}", name, e.getMessage());
                }
            } catch (RuntimeException e) {
                statusDirty = true;
                log.warn("Updating node {} status failed: {}", name, ApiErrors.describe(e));
            }
            nextWrite = System.nanoTime() + settings.statusInterval().toNanos();
        }
    }

    /** Pings the provider, at most one ping in flight; returns whether the back end is healthy. */
    boolean ping() {
        synchronized (this) {
            if (!pingInFlight.isDone()) {
                return pingHealthy();
            }
            pingInFlight = CompletableFuture.runAsync(() -> {
                try {
                    provider.ping();
                    lastPingError = null;
                    pingSucceededOnce = true;
                } catch (Exception e) {
                    lastPingError = e;
                }
            }, command -> Thread.ofVirtual().start(command));
        }
        try {
            pingInFlight.get(settings.pingInterval().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            lastPingError = new IllegalStateException("ping did not answer within " + settings.pingInterval().toSeconds() + "s");
        }
        return pingHealthy();
    }

    public boolean pingHealthy() {
        return pingSucceededOnce && lastPingError == null;
    }

    /** The provider pushed a new node: take its status, labels and annotations and write them soon. */
    private void onProviderNode(Node pushed) {
        desired.updateAndGet(current -> new NodeBuilder(current)
                .withStatus(pushed.getStatus() != null ? pushed.getStatus() : current.getStatus())
                .editMetadata()
                .withLabels(pushed.getMetadata().getLabels() != null ? pushed.getMetadata().getLabels()
                        : current.getMetadata().getLabels())
                .withAnnotations(pushed.getMetadata().getAnnotations() != null ? pushed.getMetadata().getAnnotations()
                        : current.getMetadata().getAnnotations())
                .endMetadata().build());
        requestStatusUpdate();
    }

    /** Changes the desired node (e.g. Ready once the controllers run) and writes it soon. */
    public void updateDesired(java.util.function.UnaryOperator<Node> change) {
        desired.updateAndGet(change);
        requestStatusUpdate();
    }

    private void requestStatusUpdate() {
        statusDirty = true;
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /** Writes the desired status with fresh heartbeats, merged three ways with what is on the server. */
    void updateStatus() {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Node wanted = desired.get();
        List<NodeCondition> conditions = new ArrayList<>();
        for (NodeCondition condition : wanted.getStatus().getConditions()) {
            conditions.add(new io.fabric8.kubernetes.api.model.NodeConditionBuilder(condition).withLastHeartbeatTime(now)
                    .withLastTransitionTime(condition.getLastTransitionTime() == null ? now : condition.getLastTransitionTime())
                    .build());
        }
        NodeStatus status = new io.fabric8.kubernetes.api.model.NodeStatusBuilder(wanted.getStatus())
                .withConditions(conditions).build();
        KubernetesClientException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            Node server = client.nodes().withName(name).get();
            if (server == null) {
                throw new KubernetesClientException("node " + name + " does not exist (deleted by someone?)", 404, null);
            }
            Node merged = merge(server, wanted, status);
            try {
                registered.set(client.nodes().resource(merged).updateStatus());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** Third-party conditions, labels and annotations survive; ones this agent set before and dropped are removed. */
    static Node merge(Node server, Node wanted, NodeStatus status) {
        Map<String, String> serverAnnotations = orEmpty(server.getMetadata().getAnnotations());
        LastApplied last = LastApplied.read(serverAnnotations);

        Map<String, NodeCondition> byType = new LinkedHashMap<>();
        for (NodeCondition condition : orEmpty(server.getStatus() == null ? null : server.getStatus().getConditions())) {
            if (!last.conditionTypes().contains(condition.getType())) {
                byType.put(condition.getType(), condition);
            }
        }
        Set<String> wantedTypes = new TreeSet<>();
        for (NodeCondition condition : status.getConditions()) {
            NodeCondition previous = byType.get(condition.getType());
            if (previous == null && server.getStatus() != null) {
                previous = orEmpty(server.getStatus().getConditions()).stream()
                        .filter(c -> c.getType().equals(condition.getType())).findFirst().orElse(null);
            }
            byType.put(condition.getType(), keepTransitionTime(previous, condition));
            wantedTypes.add(condition.getType());
        }

        Map<String, String> labels = threeWay(orEmpty(server.getMetadata().getLabels()), last.labels(),
                orEmpty(wanted.getMetadata().getLabels()));
        Map<String, String> wantedAnnotations = new HashMap<>(orEmpty(wanted.getMetadata().getAnnotations()));
        wantedAnnotations.remove(LAST_APPLIED_META);
        wantedAnnotations.remove(LAST_APPLIED_STATUS);
        Map<String, String> annotations = threeWay(serverAnnotations, last.annotations(), wantedAnnotations);
        annotations.put(LAST_APPLIED_META, LastApplied.metaJson(wanted.getMetadata().getLabels(), wantedAnnotations));
        annotations.put(LAST_APPLIED_STATUS, LastApplied.statusJson(wantedTypes));

        NodeStatus mergedStatus = new io.fabric8.kubernetes.api.model.NodeStatusBuilder(status)
                .withConditions(new ArrayList<>(byType.values())).build();
        return new NodeBuilder(server).withStatus(mergedStatus)
                .editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata().build();
    }

    /** A condition whose status did not change keeps its original transition time. */
    private static NodeCondition keepTransitionTime(NodeCondition previous, NodeCondition next) {
        if (previous != null && Objects.equals(previous.getStatus(), next.getStatus()) && previous.getLastTransitionTime() != null) {
            return new io.fabric8.kubernetes.api.model.NodeConditionBuilder(next)
                    .withLastTransitionTime(previous.getLastTransitionTime()).build();
        }
        return next;
    }

    private static Map<String, String> threeWay(Map<String, String> server, Set<String> lastApplied, Map<String, String> wanted) {
        Map<String, String> merged = new HashMap<>(server);
        for (String key : lastApplied) {
            if (!wanted.containsKey(key)) {
                merged.remove(key);
            }
        }
        merged.putAll(wanted);
        return merged;
    }

    /** What this agent wrote last time, as recorded on the node. */
    record LastApplied(Set<String> labels, Set<String> annotations, Set<String> conditionTypes) {
        static LastApplied read(Map<String, String> annotations) {
            Set<String> labels = new TreeSet<>();
            Set<String> ownAnnotations = new TreeSet<>();
            Set<String> conditions = new TreeSet<>();
            try {
                String meta = annotations.get(LAST_APPLIED_META);
                if (meta != null) {
                    Map<String, Map<String, String>> parsed = JSON.readValue(meta, new TypeReference<>() {
                    });
                    labels.addAll(orEmpty(parsed.get("labels")).keySet());
                    ownAnnotations.addAll(orEmpty(parsed.get("annotations")).keySet());
                }
                String status = annotations.get(LAST_APPLIED_STATUS);
                if (status != null) {
                    Map<String, List<Map<String, Object>>> parsed = JSON.readValue(status, new TypeReference<>() {
                    });
                    for (Map<String, Object> condition : orEmpty(parsed.get("conditions"))) {
                        conditions.add(String.valueOf(condition.get("type")));
                    }
                }
            } catch (JsonProcessingException e) {
                log.warn("Ignoring an unreadable last-applied annotation on a node: {}", e.getMessage());
            }
            return new LastApplied(labels, ownAnnotations, conditions);
        }

        static String metaJson(Map<String, String> labels, Map<String, String> annotations) {
            try {
                return JSON.writeValueAsString(Map.of("labels", orEmpty(labels), "annotations", orEmpty(annotations)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static String statusJson(Set<String> conditionTypes) {
            try {
                return JSON.writeValueAsString(Map.of("conditions",
                        conditionTypes.stream().map(type -> Map.of("type", type)).toList()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Renews (or creates) the node's Lease: holder = node name, 40 s, ownerReference to the Node. */
    void renewLease() {
        Node node = registered.get();
        if (node == null) {
            return;
        }
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Lease previous = lastLease;
        if (previous != null) {
            Lease renewed = new LeaseBuilder(previous).editSpec().withRenewTime(now).endSpec().build();
            try {
                lastLease = client.leases().inNamespace(LEASE_NAMESPACE).resource(renewed).update();
                return;
            } catch (KubernetesClientException e) {
                log.debug("Fast lease renewal failed ({}); reading the lease", ApiErrors.describe(e));
            }
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            Lease current = client.leases().inNamespace(LEASE_NAMESPACE).withName(name).get();
            Lease wanted = new LeaseBuilder(current != null ? current : new Lease())
                    .editOrNewMetadata().withName(name).withNamespace(LEASE_NAMESPACE)
                    .addToAnnotations(AGENT_ANNOTATION, agentId)
                    .withOwnerReferences(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("v1")
                            .withKind("Node").withName(name).withUid(node.getMetadata().getUid()).build())
                    .endMetadata()
                    .editOrNewSpec().withHolderIdentity(name)
                    .withLeaseDurationSeconds((int) settings.leaseDuration().toSeconds()).withRenewTime(now).endSpec()
                    .build();
            try {
                lastLease = current == null ? client.leases().inNamespace(LEASE_NAMESPACE).resource(wanted).create()
                        : client.leases().inNamespace(LEASE_NAMESPACE).resource(wanted).update();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        log.warn("Could not renew node {}'s lease after 5 attempts", name);
    }

    @Override
    public void close() {
        closed = true;
        loops.forEach(Thread::interrupt);
        for (Thread loop : loops) {
            try {
                loop.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        releaseLease();
    }

    /** Marks the Lease as released so a restarted agent can take the node over without waiting for it to expire. */
    private void releaseLease() {
        if (lastLease == null) {
            return;
        }
        try {
            client.leases().inNamespace(LEASE_NAMESPACE).withName(name).edit(lease -> new LeaseBuilder(lease)
                    .editMetadata().addToAnnotations(AGENT_ANNOTATION, "released").endMetadata().build());
        } catch (KubernetesClientException e) {
            log.debug("Releasing node {}'s lease failed: {}", name, ApiErrors.describe(e));
        }
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static <K, V> Map<K, V> orEmpty(Map<K, V> map) {
        return map == null ? Map.of() : map;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
