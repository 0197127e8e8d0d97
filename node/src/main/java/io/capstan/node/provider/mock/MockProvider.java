package io.capstan.node.provider.mock;

import io.capstan.node.api.AttachStreams;
import io.capstan.node.api.ContainerLogOptions;
import io.capstan.node.api.ExitCodeException;
import io.capstan.node.api.InvalidInputException;
import io.capstan.node.api.NodeProvider;
import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.PodNotifier;
import io.capstan.node.api.Provider;
import io.capstan.node.api.StatsSummary;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateRunning;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A provider whose pods "run" instantly and behave as their annotations script it ({@link MockScript}): how long
 * containers run, their exit codes, failures to start, readiness delays, slow or stuck graceful deletion. Status
 * changes are notified asynchronously. Capacity is configurable (10,000 pods by default), so it serves both
 * behaviour tests and scale benchmarks. Logs and exec are simulated; attach and port-forward are not offered (501).
 */
public final class MockProvider implements Provider, PodNotifier, NodeProvider {

    /**
     * @param pods, cpu, memory the node's capacity
     * @param address the node's address, used as the pods' host IP
     */
    public record Capacity(int pods, String cpu, String memory) {
        public static final Capacity DEFAULT = new Capacity(10_000, "1000", "4Ti");
    }

    private final Capacity capacity;
    private final String address;
    private final Map<String, MockPod> pods = new ConcurrentHashMap<>();
    private static final Logger log = LoggerFactory.getLogger(MockProvider.class);
    private final ScheduledExecutorService timers;
    private final AtomicInteger nextIp = new AtomicInteger(1);
    private volatile Consumer<Pod> notify = pod -> {
    };
    private volatile boolean pingFails;
    private volatile String nodeName;
    private final AtomicInteger createCalls = new AtomicInteger();
    private final AtomicInteger deleteCalls = new AtomicInteger();
    private final AtomicInteger updateCalls = new AtomicInteger();

    /** The provider's state of one pod; its status is replaced, never modified, so notified pods stay immutable. */
    private final class MockPod {
        final Pod pod;
        volatile MockScript script;
        final String ip;
        final Instant started = Instant.now();
        volatile PodStatus status;
        volatile boolean deleting;
        /** The last report handed to the node; the next is delivered after it, so they arrive in order. */
        private CompletableFuture<Void> reports = CompletableFuture.completedFuture(null);

        MockPod(Pod pod, MockScript script, String ip) {
            this.pod = pod;
            this.script = script;
            this.ip = ip;
        }
    }

    public MockProvider(Capacity capacity, String address) {
        this.capacity = capacity;
        this.address = address;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("mock-provider-timers").daemon().factory());
        executor.setRemoveOnCancelPolicy(true);
        this.timers = Executors.unconfigurableScheduledExecutorService(executor);
    }

    @Override
    public String name() {
        return "mock";
    }

    @Override
    public void configureNode(Node node) {
        nodeName = node.getMetadata().getName();
        Map<String, Quantity> resources = Map.of("cpu", new Quantity(capacity.cpu()), "memory",
                new Quantity(capacity.memory()), "pods", new Quantity(Integer.toString(capacity.pods())));
        node.getStatus().setCapacity(resources);
        node.getStatus().setAllocatable(resources);
    }

    @Override
    public Optional<String> plannedPodIP(Pod pod) {
        MockPod known = pods.get(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
        return Optional.of(known != null ? known.ip : ipFor(pod.getMetadata().getUid()));
    }

    /** A stable fake IP per pod UID in 10.0.0.0/8, so env resolution and status agree. */
    private static String ipFor(String uid) {
        int hash = uid == null ? 0 : uid.hashCode() & 0xffffff;
        return "10." + ((hash >> 16) & 0xff) + "." + ((hash >> 8) & 0xff) + "." + Math.max(1, hash & 0xff);
    }

    // ----- life cycle -------------------------------------------------------------------------------------------------

    @Override
    public void createPod(Pod pod) {
        createCalls.incrementAndGet();
        MockScript script = MockScript.of(pod);
        if (script.failCreate() != null) {
            throw new IllegalStateException(script.failCreate());
        }
        String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        MockPod mock = new MockPod(essentials(pod), script, ipFor(pod.getMetadata().getUid()));
        pods.put(key, mock);
        if (script.startFailure() != null) {
            publish(mock, waitingStatus(mock, script.startFailure()));
            return;
        }
        publish(mock, runningStatus(mock, script.readyAfterSeconds() <= 0, 0, Map.of()));
        if (script.readyAfterSeconds() > 0) {
            schedule(script.readyAfterSeconds(), () -> {
                if (!mock.deleting && "Running".equals(mock.status.getPhase())) {
                    publish(mock, withReadiness(mock.status, true));
                }
            });
        }
        if (script.runSeconds() != null) {
            schedule(script.runSeconds(), () -> containersExit(mock, 0));
        }
    }

    /** The containers exit as scripted; under restartPolicy Always/OnFailure they start again. */
    private void containersExit(MockPod mock, int restarts) {
        boolean ended = "Succeeded".equals(mock.status.getPhase()) || "Failed".equals(mock.status.getPhase());
        if (mock.deleting || ended || pods.get(key(mock)) != mock) {
            return;
        }
        String policy = mock.pod.getSpec().getRestartPolicy() == null ? "Always" : mock.pod.getSpec().getRestartPolicy();
        boolean anyFailed = mock.pod.getSpec().getContainers().stream().anyMatch(c -> mock.script.exitCodeOf(c.getName()) != 0);
        boolean restart = policy.equals("Always") || (policy.equals("OnFailure") && anyFailed);
        if (!restart) {
            publish(mock, terminatedStatus(mock, restarts, anyFailed ? "Failed" : "Succeeded", false));
            return;
        }
        publish(mock, terminatedStatus(mock, restarts, "Running", true));
        timers.schedule(() -> {
            if (mock.deleting || pods.get(key(mock)) != mock) {
                return;
            }
            publish(mock, runningStatus(mock, true, restarts + 1, lastStates(mock)));
            schedule(mock.script.runSeconds(), () -> containersExit(mock, restarts + 1));
        }, mock.script.restartBackoffMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void updatePod(Pod pod) {
        updateCalls.incrementAndGet();
        MockPod mock = pods.get(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
        if (mock == null) {
            throw new NotFoundException("pod " + pod.getMetadata().getName() + " is not running on this node");
        }
        MockPod updated = new MockPod(essentials(pod), mock.script, mock.ip);
        updated.status = mock.status;
        pods.put(key(mock), updated);
    }

    @Override
    public void deletePod(Pod pod) {
        deleteCalls.incrementAndGet();
        String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        MockPod mock = pods.get(key);
        if (mock == null) {
            throw new NotFoundException("pod " + key + " is not running on this node");
        }
        if (mock.script.deleteFails() != null) {
            throw new IllegalStateException(mock.script.deleteFails());
        }
        if (mock.deleting) {
            return;
        }
        mock.deleting = true;
        if (mock.script.terminationHangs()) {
            return;
        }
        schedule(mock.script.terminationSeconds(), () -> finishTermination(key, mock));
    }

    /** The containers have stopped: the pod leaves the back end and, if it was still running, reports its end. */
    private void finishTermination(String key, MockPod mock) {
        if (!pods.remove(key, mock)) {
            return;
        }
        boolean terminal = "Succeeded".equals(mock.status.getPhase()) || "Failed".equals(mock.status.getPhase());
        if (!terminal) {
            publish(mock, terminatedStatus(mock, restartCount(mock), "Succeeded", false, 0, "Completed"));
        }
    }

    @Override
    public Optional<Pod> getPod(String namespace, String name) {
        MockPod mock = pods.get(key(namespace, name));
        return mock == null ? Optional.empty() : Optional.of(new PodBuilder(mock.pod).withStatus(mock.status).build());
    }

    @Override
    public Optional<io.fabric8.kubernetes.api.model.PodStatus> getPodStatus(String namespace, String name) {
        MockPod mock = pods.get(key(namespace, name));
        return mock == null ? Optional.empty() : Optional.of(mock.status);
    }

    @Override
    public List<Pod> getPods() {
        List<Pod> all = new ArrayList<>();
        for (MockPod mock : pods.values()) {
            all.add(new PodBuilder(mock.pod).withStatus(mock.status).build());
        }
        return all;
    }

    @Override
    public void notifyPods(Consumer<Pod> callback) {
        this.notify = callback;
    }

    @Override
    public void ping() {
        if (pingFails) {
            throw new IllegalStateException("mock back end is unreachable (ping failure requested)");
        }
    }

    /** Makes {@link #ping()} fail until called again with false. */
    public void failPing(boolean fail) {
        this.pingFails = fail;
    }

    public int createCalls() {
        return createCalls.get();
    }

    public int deleteCalls() {
        return deleteCalls.get();
    }

    public int updateCalls() {
        return updateCalls.get();
    }

    /** Puts a pod into the provider without Kubernetes knowing it (a "dangling" pod, for tests). */
    public void adopt(Pod pod) {
        MockPod mock = new MockPod(pod, MockScript.of(pod), ipFor(pod.getMetadata().getUid()));
        mock.status = runningStatus(mock, true, 0, Map.of());
        pods.put(key(mock), mock);
    }

    /** The provider sets an annotation on the pod, as back ends that mirror remote metadata do. */
    public void annotate(String namespace, String name, String key, String value) {
        MockPod mock = require(namespace, name);
        Pod reported = new PodBuilder(minimal(mock)).editMetadata().addToAnnotations(key, value).endMetadata()
                .withStatus(mock.status).build();
        notify.accept(reported);
    }

    /**
     * Scripting a running pod: its containers exit now with this code, and the pod ends (or its containers restart) as
     * its restartPolicy says, exactly as if {@code run-seconds} had elapsed.
     */
    public void exitNow(String namespace, String name, int exitCode) {
        MockPod mock = require(namespace, name);
        mock.script = mock.script.withExitCode(exitCode);
        containersExit(mock, restartCount(mock));
    }

    /** Scripting a deletion whose termination hangs ({@code termination-seconds: never}): it finishes now. */
    public void finishDeletion(String namespace, String name) {
        MockPod mock = require(namespace, name);
        if (!mock.deleting) {
            throw new IllegalStateException("pod " + namespace + "/" + name + " is not being deleted");
        }
        finishTermination(key(namespace, name), mock);
    }

    /** The back end loses the pod without being asked (for polled providers: it then reports NotFound). */
    public void vanish(String namespace, String name) {
        pods.remove(key(namespace, name));
    }

    /** Reports the pod as deleted by the back end itself (e.g. evicted remotely), keeping its current status. */
    public void deleteFromBackEnd(String namespace, String name, long gracePeriodSeconds) {
        MockPod mock = pods.get(key(namespace, name));
        if (mock == null) {
            throw new NotFoundException("pod " + namespace + "/" + name + " is not running on this node");
        }
        Pod deleted = new PodBuilder(minimal(mock)).editMetadata()
                .withDeletionTimestamp(Instant.now().plusSeconds(gracePeriodSeconds).truncatedTo(ChronoUnit.SECONDS).toString())
                .withDeletionGracePeriodSeconds(gracePeriodSeconds).endMetadata().withStatus(mock.status).build();
        notify.accept(deleted);
    }

    /**
     * What the mock keeps of a pod: identity, labels and annotations, and the spec fields the node compares and the
     * mock uses. Everything else (volumes, scheduling hints, ...) is dropped, so a large fleet costs little heap.
     */
    private static Pod essentials(Pod pod) {
        // The pod handed over is the mock's to keep (see PodLifecycleHandler), so its parts are kept, not copied.
        ObjectMeta metadata = identity(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getUid());
        metadata.setLabels(pod.getMetadata().getLabels());
        metadata.setAnnotations(pod.getMetadata().getAnnotations());
        PodSpec given = pod.getSpec();
        PodSpec spec = new PodSpec();
        spec.setContainers(given.getContainers());
        spec.setInitContainers(given.getInitContainers());
        spec.setEphemeralContainers(given.getEphemeralContainers());
        spec.setTolerations(given.getTolerations());
        spec.setActiveDeadlineSeconds(given.getActiveDeadlineSeconds());
        spec.setRestartPolicy(given.getRestartPolicy());
        spec.setNodeName(given.getNodeName());
        Pod kept = new Pod();
        kept.setMetadata(metadata);
        kept.setSpec(spec);
        return kept;
    }

    private static ObjectMeta identity(String namespace, String name, String uid) {
        ObjectMeta metadata = new ObjectMeta();
        metadata.setNamespace(namespace);
        metadata.setName(name);
        metadata.setUid(uid);
        return metadata;
    }

    // ----- statuses ---------------------------------------------------------------------------------------------------

    /**
     * Reports a pod's new status off the caller's thread (the node may wait in the callback), one report per pod at a
     * time: on a thread each, Running, Ready and Succeeded scripted milliseconds apart could reach the node out of
     * order, and the pod stayed Running.
     */
    private void publish(MockPod mock, PodStatus status) {
        mock.status = status;
        Pod reported = minimal(mock);
        reported.setStatus(status);
        synchronized (mock) {
            mock.reports = mock.reports.thenRunAsync(() -> notify.accept(reported), REPORTERS)
                    .exceptionally(error -> {
                        log.warn("The node's callback failed on pod {}'s report: {}", key(mock), error.toString());
                        return null;
                    });
        }
    }

    private static final Executor REPORTERS = Executors.newVirtualThreadPerTaskExecutor();

    private static Pod minimal(MockPod mock) {
        Pod pod = new Pod();
        pod.setMetadata(identity(mock.pod.getMetadata().getNamespace(), mock.pod.getMetadata().getName(),
                mock.pod.getMetadata().getUid()));
        return pod;
    }

    /*
     * Statuses are assembled with setters rather than fabric8's builders: a builder copies every nested object again
     * on build(), and building the Running status took about a tenth of the Java samples of a 5,000-pod burst.
     */

    private PodStatus status(MockPod mock, String phase, List<PodCondition> conditions, List<ContainerStatus> containers) {
        PodStatus status = new PodStatus();
        status.setPhase(phase);
        status.setHostIP(address);
        status.setPodIP(mock.ip);
        status.setPodIPs(new ArrayList<>(List.of(new PodIP(mock.ip))));
        status.setStartTime(timestamp(mock.started));
        status.setQosClass("BestEffort");
        status.setConditions(conditions);
        status.setContainerStatuses(containers);
        status.setInitContainerStatuses(initStatuses(mock));
        return status;
    }

    private PodStatus waitingStatus(MockPod mock, String reason) {
        List<ContainerStatus> containers = new ArrayList<>();
        for (Container container : mock.pod.getSpec().getContainers()) {
            containers.add(containerStatus(mock, container, false, 0, new ContainerStateBuilder().withNewWaiting()
                    .withReason(reason).withMessage("mock: containers do not start (" + reason + ")").endWaiting().build(), null));
        }
        return status(mock, "Pending", conditions(mock, false, false), containers);
    }

    private PodStatus runningStatus(MockPod mock, boolean ready, int restarts, Map<String, ContainerState> lastStates) {
        List<ContainerStatus> containers = new ArrayList<>();
        String now = timestamp(Instant.now());
        for (Container container : mock.pod.getSpec().getContainers()) {
            ContainerState running = new ContainerState();
            running.setRunning(new ContainerStateRunning(now));
            containers.add(containerStatus(mock, container, ready, restarts, running, lastStates.get(container.getName())));
        }
        return status(mock, "Running", conditions(mock, true, ready), containers);
    }

    private PodStatus terminatedStatus(MockPod mock, int restarts, String phase, boolean willRestart) {
        return terminatedStatus(mock, restarts, phase, willRestart, null, null);
    }

    private PodStatus terminatedStatus(MockPod mock, int restarts, String phase, boolean willRestart, Integer forcedCode,
            String forcedReason) {
        List<ContainerStatus> containers = new ArrayList<>();
        String now = timestamp(Instant.now());
        for (Container container : mock.pod.getSpec().getContainers()) {
            int code = forcedCode != null ? forcedCode : mock.script.exitCodeOf(container.getName());
            String reason = forcedReason != null ? forcedReason : mock.script.containerReason() != null
                    ? mock.script.containerReason() : code == 0 ? "Completed" : "Error";
            ContainerState terminated = new ContainerStateBuilder().withNewTerminated().withExitCode(code)
                    .withReason(reason).withMessage(mock.script.containerMessage())
                    .withStartedAt(timestamp(mock.started)).withFinishedAt(now)
                    .withContainerID(containerId(mock, container)).endTerminated().build();
            ContainerState state = willRestart ? new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff")
                    .withMessage("back-off restarting the container").endWaiting().build() : terminated;
            containers.add(containerStatus(mock, container, false, restarts, state, willRestart ? terminated : null));
        }
        PodStatus status = status(mock, phase, conditions(mock, true, false), containers);
        if ("Failed".equals(phase)) {
            status.setReason(mock.script.podReason());
            status.setMessage(mock.script.podMessage());
        }
        return status;
    }

    private PodStatus withReadiness(PodStatus status, boolean ready) {
        List<ContainerStatus> containers = status.getContainerStatuses().stream()
                .map(c -> new ContainerStatusBuilder(c).withReady(ready).build()).toList();
        List<PodCondition> conditions = status.getConditions().stream()
                .map(c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady")
                        ? new PodConditionBuilder(c).withStatus(ready ? "True" : "False")
                        .withLastTransitionTime(timestamp(Instant.now())).build() : c)
                .toList();
        return new PodStatusBuilder(status).withContainerStatuses(containers).withConditions(conditions).build();
    }

    private Map<String, ContainerState> lastStates(MockPod mock) {
        Map<String, ContainerState> last = new java.util.HashMap<>();
        for (ContainerStatus status : mock.status.getContainerStatuses()) {
            if (status.getLastState() != null) {
                last.put(status.getName(), status.getLastState());
            }
        }
        return last;
    }

    private static int restartCount(MockPod mock) {
        return mock.status.getContainerStatuses().isEmpty() ? 0 : mock.status.getContainerStatuses().getFirst().getRestartCount();
    }

    private List<ContainerStatus> initStatuses(MockPod mock) {
        List<ContainerStatus> statuses = new ArrayList<>();
        if (mock.pod.getSpec().getInitContainers() == null) {
            return statuses;
        }
        String at = timestamp(mock.started);
        for (Container container : mock.pod.getSpec().getInitContainers()) {
            statuses.add(containerStatus(mock, container, true, 0, new ContainerStateBuilder().withNewTerminated()
                    .withExitCode(0).withReason("Completed").withStartedAt(at).withFinishedAt(at)
                    .withContainerID(containerId(mock, container)).endTerminated().build(), null));
        }
        return statuses;
    }

    private ContainerStatus containerStatus(MockPod mock, Container container, boolean ready, int restarts,
            ContainerState state, ContainerState lastState) {
        ContainerStatus status = new ContainerStatus();
        status.setName(container.getName());
        status.setImage(container.getImage());
        status.setImageID("mock://" + container.getImage());
        status.setContainerID(containerId(mock, container));
        status.setReady(ready);
        status.setRestartCount(restarts);
        status.setStarted(state.getRunning() != null);
        status.setState(state);
        status.setLastState(lastState == null ? new ContainerState() : lastState);
        return status;
    }

    private List<PodCondition> conditions(MockPod mock, boolean started, boolean ready) {
        String now = timestamp(Instant.now());
        String at = timestamp(mock.started);
        String readiness = ready ? "True" : "False";
        return new ArrayList<>(List.of(condition("Initialized", "True", at), condition("Ready", readiness, now),
                condition("ContainersReady", readiness, now), condition("PodScheduled", "True", at)));
    }

    private static PodCondition condition(String type, String status, String lastTransitionTime) {
        PodCondition condition = new PodCondition();
        condition.setType(type);
        condition.setStatus(status);
        condition.setLastTransitionTime(lastTransitionTime);
        return condition;
    }

    private static String containerId(MockPod mock, Container container) {
        return "mock://" + mock.pod.getMetadata().getUid() + "/" + container.getName();
    }

    private void schedule(Double seconds, Runnable action) {
        long millis = Math.round((seconds == null ? 0 : seconds) * 1000);
        timers.schedule(action, millis, TimeUnit.MILLISECONDS);
    }

    private static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    private static String key(MockPod mock) {
        return key(mock.pod.getMetadata().getNamespace(), mock.pod.getMetadata().getName());
    }

    // ----- kubelet API hooks ------------------------------------------------------------------------------------------

    @Override
    public InputStream containerLogs(String namespace, String pod, String container, ContainerLogOptions options) {
        MockPod mock = require(namespace, pod);
        mock.pod.getSpec().getContainers().stream().filter(c -> c.getName().equals(container)).findFirst()
                .orElseThrow(() -> new NotFoundException("container " + container + " not found in pod " + namespace + "/" + pod));
        StringBuilder lines = new StringBuilder();
        int total = 10;
        int first = options.tailLines() == null ? 0 : Math.max(0, total - options.tailLines());
        for (int i = first; i < total; i++) {
            if (options.timestamps()) {
                lines.append(timestamp(mock.started)).append(' ');
            }
            lines.append("mock log line ").append(i + 1).append(" of ").append(container).append('\n');
        }
        byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
        int length = options.limitBytes() == null ? bytes.length : (int) Math.min(bytes.length, options.limitBytes());
        return new ByteArrayInputStream(bytes, 0, length);
    }

    /** Prints the command; {@code exit N} as the command ends with exit code N. */
    @Override
    public void runInContainer(String namespace, String pod, String container, List<String> command, AttachStreams streams)
            throws Exception {
        MockPod mock = require(namespace, pod);
        if (!"Running".equals(mock.status.getPhase())) {
            throw new InvalidInputException("container " + container + " of pod " + namespace + "/" + pod
                    + " is not running (pod phase " + mock.status.getPhase() + ")");
        }
        if (streams.stdout() != null) {
            streams.stdout().write(("mock exec: " + String.join(" ", command) + "\n").getBytes(StandardCharsets.UTF_8));
            streams.stdout().flush();
        }
        if (command.size() == 2 && command.getFirst().equals("exit")) {
            int code = Integer.parseInt(command.get(1));
            if (code != 0) {
                throw new ExitCodeException(code, "exit " + code);
            }
        }
    }

    @Override
    public StatsSummary statsSummary() {
        String now = timestamp(Instant.now());
        List<StatsSummary.PodStats> podStats = new ArrayList<>();
        long nodeCpu = 0;
        long nodeMemory = 0;
        for (MockPod mock : pods.values()) {
            long elapsedNanos = Math.max(1, java.time.Duration.between(mock.started, Instant.now()).toNanos());
            List<StatsSummary.ContainerStats> containers = new ArrayList<>();
            for (Container container : mock.pod.getSpec().getContainers()) {
                long cpu = elapsedNanos / 100;
                long memory = 10L * 1024 * 1024;
                containers.add(new StatsSummary.ContainerStats(container.getName(), timestamp(mock.started),
                        new StatsSummary.CpuStats(now, 10_000_000L, cpu), new StatsSummary.MemoryStats(now, memory, memory, memory)));
            }
            long podCpu = containers.stream().mapToLong(c -> c.cpu().usageCoreNanoSeconds()).sum();
            long podMemory = containers.stream().mapToLong(c -> c.memory().workingSetBytes()).sum();
            nodeCpu += podCpu;
            nodeMemory += podMemory;
            podStats.add(new StatsSummary.PodStats(new StatsSummary.PodReference(mock.pod.getMetadata().getName(),
                    mock.pod.getMetadata().getNamespace(), mock.pod.getMetadata().getUid()), timestamp(mock.started),
                    containers, new StatsSummary.CpuStats(now, 10_000_000L * containers.size(), podCpu),
                    new StatsSummary.MemoryStats(now, podMemory, podMemory, podMemory)));
        }
        return new StatsSummary(new StatsSummary.NodeStats(nodeName, now, new StatsSummary.CpuStats(now, 0L, nodeCpu),
                new StatsSummary.MemoryStats(now, nodeMemory, nodeMemory, nodeMemory)), podStats);
    }

    private MockPod require(String namespace, String pod) {
        MockPod mock = pods.get(key(namespace, pod));
        if (mock == null) {
            throw new NotFoundException("pod " + namespace + "/" + pod + " is not running on this node");
        }
        return mock;
    }
}
