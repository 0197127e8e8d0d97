package io.capstan.node.provider.process;

import io.capstan.node.api.NodeContext;
import io.capstan.runtime.events.EventReason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod of the process provider: a sandbox directory with its volumes, init containers run in order, then all
 * containers side by side; a pod status computed the way the kubelet computes it (phase, conditions, container
 * statuses) and reported whenever it changes; graceful termination on deletion; activeDeadlineSeconds.
 */
final class PodRuntime {

    private static final Logger log = LoggerFactory.getLogger(PodRuntime.class);

    private volatile Pod pod;
    private final ProcessProvider.Settings settings;
    private final NodeContext context;
    private final MemoryLimits memoryLimits;
    private final Consumer<Pod> notify;
    private final Path sandbox;
    private final Volumes volumes;
    private final List<ContainerRuntime> initContainers = new ArrayList<>();
    private final List<ContainerRuntime> containers = new ArrayList<>();
    private final Instant startTime = Instant.now();
    private final Map<String, String> transitions = new HashMap<>();
    private volatile Map<String, Path> volumePaths = Map.of();
    private volatile boolean initialized;
    private volatile boolean stopping;
    private volatile String failedReason;
    private volatile String failedMessage;
    private volatile PodStatus lastPublished;
    private Thread runner;

    PodRuntime(Pod pod, ProcessProvider.Settings settings, NodeContext context, MemoryLimits memoryLimits,
            Consumer<Pod> notify) {
        this.pod = pod;
        this.settings = settings;
        this.context = context;
        this.memoryLimits = memoryLimits;
        this.notify = notify;
        this.sandbox = settings.root().resolve(pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName() + "_"
                + pod.getMetadata().getUid());
        this.volumes = new Volumes(context, sandbox);
        for (Container container : pod.getSpec().getInitContainers() == null ? List.<Container>of()
                : pod.getSpec().getInitContainers()) {
            initContainers.add(new ContainerRuntime(this, container, true));
        }
        for (Container container : pod.getSpec().getContainers()) {
            containers.add(new ContainerRuntime(this, container, false));
        }
        initialized = initContainers.isEmpty();
    }

    Pod pod() {
        return pod;
    }

    String name() {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    String uid() {
        return pod.getMetadata().getUid();
    }

    ProcessProvider.Settings settings() {
        return settings;
    }

    MemoryLimits memoryLimits() {
        return memoryLimits;
    }

    Path sandbox() {
        return sandbox;
    }

    String restartPolicy() {
        return pod.getSpec().getRestartPolicy() == null ? "Always" : pod.getSpec().getRestartPolicy();
    }

    String hostname() {
        String hostname = pod.getSpec().getHostname();
        return hostname == null || hostname.isEmpty() ? pod.getMetadata().getName() : hostname;
    }

    Long terminationGracePeriodSeconds() {
        Long deleting = pod.getMetadata().getDeletionGracePeriodSeconds();
        return deleting != null ? deleting : pod.getSpec().getTerminationGracePeriodSeconds();
    }

    Path logFile(String container, int run) {
        return sandbox.resolve("logs").resolve(container).resolve(run + ".log");
    }

    Path terminationLog(String container) throws IOException {
        Path dir = Files.createDirectories(sandbox.resolve("containers").resolve(container));
        return dir.resolve("termination-log");
    }

    List<ContainerRuntime> containers() {
        return containers;
    }

    ContainerRuntime container(String name) {
        for (ContainerRuntime container : containers) {
            if (container.name().equals(name)) {
                return container;
            }
        }
        for (ContainerRuntime container : initContainers) {
            if (container.name().equals(name)) {
                return container;
            }
        }
        return null;
    }

    void event(EventReason.Type type, String reason, String message) {
        if (context.events() != null) {
            context.events().record(pod, new EventReason() {
                @Override
                public String reason() {
                    return reason;
                }

                @Override
                public Type type() {
                    return type;
                }
            }, message);
        }
    }

    /** Starts the pod in the background: volumes, init containers, then the containers. */
    void start() {
        publish();
        runner = Thread.ofVirtual().name("pod-" + pod.getMetadata().getName()).start(this::run);
        Long deadline = pod.getSpec().getActiveDeadlineSeconds();
        if (deadline != null) {
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(Duration.ofSeconds(deadline));
                    if (!stopping && !terminal()) {
                        failedReason = "DeadlineExceeded";
                        failedMessage = "Pod was active on the node longer than the specified deadline";
                        event(EventReason.Type.Normal, "DeadlineExceeded", failedMessage);
                        stopContainers(Duration.ofSeconds(Objects.requireNonNullElse(terminationGracePeriodSeconds(), 30L)));
                        publish();
                    }
                } catch (InterruptedException e) {
                    // the pod ended first
                }
            });
        }
    }

    private void run() {
        try {
            prepareVolumes();
            if (stopping) {
                return;
            }
            for (ContainerRuntime container : initContainers) {
                boolean succeeded = container.runToEnd();
                if (!succeeded || stopping) {
                    publish();
                    return;
                }
            }
            initialized = true;
            publish();
            List<Thread> running = new ArrayList<>();
            for (ContainerRuntime container : containers) {
                running.add(Thread.ofVirtual().name("container-" + container.name()).start(() -> {
                    try {
                        container.runToEnd();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread thread : running) {
                thread.join();
            }
            publish();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Pod {} failed unexpectedly: {}", name(), e.toString(), e);
        }
    }

    /** Keeps trying until every volume can be prepared (a missing ConfigMap may appear later), like FailedMount. */
    private void prepareVolumes() throws InterruptedException {
        String lastProblem = null;
        while (!stopping) {
            try {
                Files.createDirectories(sandbox);
                volumePaths = volumes.prepare(pod);
                return;
            } catch (Volumes.MountException | IOException e) {
                if (!Objects.equals(lastProblem, e.getMessage())) {
                    lastProblem = e.getMessage();
                    event(EventReason.Type.Warning, "FailedMount", "Unable to prepare volumes: " + e.getMessage());
                    for (ContainerRuntime container : allContainers()) {
                        container.showWaiting("ContainerCreating", "waiting for volumes: " + e.getMessage());
                    }
                    publish();
                }
                sleepUnlessStopped(Duration.ofSeconds(2));
            }
        }
    }

    /** Rewrites ConfigMap, Secret and downward-API volume files whose sources changed. */
    void refreshVolumes() {
        if (volumePaths.isEmpty() || stopping) {
            return;
        }
        try {
            volumePaths = volumes.prepare(pod);
        } catch (Volumes.MountException | IOException e) {
            log.debug("Refreshing volumes of {} failed: {}", name(), e.getMessage());
        }
    }

    /** The bind mounts a container's sandbox needs: its volume mounts and its termination-message file. */
    List<Sandbox.Mount> mountsFor(ContainerRuntime container) throws IOException {
        List<Sandbox.Mount> mounts = new ArrayList<>();
        for (VolumeMount mount : container.spec().getVolumeMounts() == null ? List.<VolumeMount>of()
                : container.spec().getVolumeMounts()) {
            Path source = volumePaths.get(mount.getName());
            if (source == null) {
                continue;
            }
            if (mount.getSubPath() != null && !mount.getSubPath().isEmpty()) {
                source = source.resolve(mount.getSubPath()).normalize();
                if (!Files.exists(source)) {
                    Files.createDirectories(source);
                }
            }
            mounts.add(new Sandbox.Mount(source, Path.of(mount.getMountPath()), Boolean.TRUE.equals(mount.getReadOnly())));
        }
        String path = container.spec().getTerminationMessagePath() == null ? "/dev/termination-log"
                : container.spec().getTerminationMessagePath();
        mounts.add(new Sandbox.Mount(terminationLog(container.name()), Path.of(path), false));
        if (settings().tools() != null) {
            // On the PATH; it may live under /tmp, which the sandbox replaces with an empty one.
            mounts.add(new Sandbox.Mount(settings().tools(), settings().tools(), true));
        }
        return mounts;
    }

    /** Without a sandbox, volumes cannot appear at their mountPath; their host paths are given as variables. */
    void volumeEnvironment(Map<String, String> env) {
        volumePaths.forEach((name, path) -> env.put("CAPSTAN_VOLUME_" + name.toUpperCase(Locale.ROOT)
                .replaceAll("[^A-Z0-9]", "_"), path.toString()));
        env.put("CAPSTAN_SANDBOX", sandbox.toString());
    }

    /**
     * Pods share the host network, where the 'kubernetes' Service's cluster IP does not route: they are pointed at the
     * API server the node itself uses.
     */
    void apiServerEnvironment(Map<String, String> env) {
        if (context.apiServer() == null || !env.containsKey("KUBERNETES_SERVICE_HOST")) {
            return;
        }
        String host = context.apiServer().getHost();
        int port = context.apiServer().getPort() > 0 ? context.apiServer().getPort() : 443;
        env.put("KUBERNETES_SERVICE_HOST", host);
        env.put("KUBERNETES_SERVICE_PORT", Integer.toString(port));
        env.put("KUBERNETES_SERVICE_PORT_HTTPS", Integer.toString(port));
        env.put("KUBERNETES_PORT", "tcp://" + host + ":" + port);
    }

    void sleepUnlessStopped(Duration duration) throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        while (!stopping && System.nanoTime() < deadline) {
            Thread.sleep(Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    /** Applies a pod update: changed images restart their containers; labels and annotations refresh volumes. */
    void update(Pod updated) {
        Pod previous = pod;
        pod = updated;
        for (Container container : updated.getSpec().getContainers()) {
            ContainerRuntime runtime = container(container.getName());
            if (runtime != null && !Objects.equals(runtime.spec().getImage(), container.getImage())) {
                runtime.replaceSpec(container);
                event(EventReason.Type.Normal, "Killing", "Container " + container.getName()
                        + " definition changed, will be restarted");
                Thread.ofVirtual().start(() -> {
                    Process current = runtime.process();
                    if (current != null) {
                        current.destroy();
                    }
                });
            }
        }
        if (!Objects.equals(previous.getMetadata().getLabels(), updated.getMetadata().getLabels())
                || !Objects.equals(previous.getMetadata().getAnnotations(), updated.getMetadata().getAnnotations())) {
            refreshVolumes();
        }
    }

    /** Stops every container gracefully, reports the final status and removes the sandbox. */
    void delete(Duration grace) {
        stopping = true;
        stopContainers(grace);
        if (runner != null) {
            try {
                runner.join(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        publish();
    }

    private void stopContainers(Duration grace) {
        stopping = true;
        List<Thread> stoppers = new ArrayList<>();
        for (ContainerRuntime container : allContainers()) {
            stoppers.add(Thread.ofVirtual().start(() -> container.stop(grace)));
        }
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes the pod's directory; tolerates files vanishing meanwhile (a second deletion of the same pod). */
    void removeSandbox() {
        for (int attempt = 0; attempt < 3 && Files.exists(sandbox); attempt++) {
            try (var walk = Files.walk(sandbox)) {
                for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                log.debug("Cannot remove the sandbox of {} yet: {}", name(), e.getMessage());
            }
        }
    }

    private List<ContainerRuntime> allContainers() {
        List<ContainerRuntime> all = new ArrayList<>(initContainers);
        all.addAll(containers);
        return all;
    }

    boolean terminal() {
        PodStatus status = lastPublished;
        return status != null && ("Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase()));
    }

    PodStatus status() {
        return lastPublished;
    }

    /** Recomputes the status and notifies it when it changed. */
    synchronized void publish() {
        PodStatus status = computeStatus();
        if (status.equals(lastPublished)) {
            return;
        }
        lastPublished = status;
        Pod reported = new PodBuilder().withMetadata(new ObjectMetaBuilder().withNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build()).withStatus(status).build();
        notify.accept(reported);
    }

    /** The kubelet's phase rules over the container states. */
    private PodStatus computeStatus() {
        List<ContainerStatus> initStatuses = initContainers.stream().map(ContainerRuntime::status).toList();
        List<ContainerStatus> statuses = containers.stream().map(ContainerRuntime::status).toList();
        String phase = phase(initStatuses, statuses);
        boolean containersReady = !statuses.isEmpty() && statuses.stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
        List<PodCondition> conditions = new ArrayList<>();
        conditions.add(condition("Initialized", initialized));
        conditions.add(condition("Ready", containersReady && "Running".equals(phase)));
        conditions.add(condition("ContainersReady", containersReady));
        conditions.add(condition("PodScheduled", true));
        PodStatusBuilder status = new PodStatusBuilder().withPhase(phase).withHostIP(context.nodeAddress())
                .withPodIP(ProcessProvider.POD_IP).addNewPodIP(ProcessProvider.POD_IP)
                .withStartTime(startTime.truncatedTo(ChronoUnit.SECONDS).toString())
                .withQosClass(qosClass()).withConditions(conditions)
                .withInitContainerStatuses(initStatuses).withContainerStatuses(statuses);
        if (failedReason != null) {
            status.withReason(failedReason).withMessage(failedMessage);
        }
        return status.build();
    }

    private String phase(List<ContainerStatus> inits, List<ContainerStatus> statuses) {
        if (failedReason != null) {
            return "Failed";
        }
        if (!initialized) {
            boolean initFailed = inits.stream().anyMatch(s -> s.getState().getTerminated() != null
                    && s.getState().getTerminated().getExitCode() != 0);
            return initFailed && "Never".equals(restartPolicy()) ? "Failed" : "Pending";
        }
        int running = 0;
        int waiting = 0;
        int stopped = 0;
        int succeeded = 0;
        for (ContainerStatus status : statuses) {
            if (status.getState().getRunning() != null) {
                running++;
            } else if (status.getState().getTerminated() != null) {
                stopped++;
                if (status.getState().getTerminated().getExitCode() == 0) {
                    succeeded++;
                }
            } else if (status.getLastState() != null && status.getLastState().getTerminated() != null) {
                stopped++;
            } else {
                waiting++;
            }
        }
        if (waiting > 0) {
            return "Pending";
        }
        if (running > 0) {
            return "Running";
        }
        if (stopped > 0) {
            if (stopping && stopped == statuses.size()) {
                return stopped == succeeded ? "Succeeded" : "Failed";
            }
            return switch (restartPolicy()) {
                case "Always" -> "Running";
                case "Never" -> stopped == succeeded ? "Succeeded" : "Failed";
                default -> stopped == succeeded ? "Succeeded" : "Running";
            };
        }
        return "Pending";
    }

    private PodCondition condition(String type, boolean value) {
        String status = value ? "True" : "False";
        String key = type + "=" + status;
        String at = transitions.computeIfAbsent(key, k -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        transitions.remove(type + "=" + (value ? "False" : "True"));
        return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime(at).build();
    }

    private String qosClass() {
        boolean anyRequest = false;
        boolean guaranteed = true;
        for (ContainerRuntime container : containers) {
            var resources = container.spec().getResources();
            Map<String, Quantity> requests = resources == null || resources.getRequests() == null ? Map.of() : resources.getRequests();
            Map<String, Quantity> limits = resources == null || resources.getLimits() == null ? Map.of() : resources.getLimits();
            anyRequest |= !requests.isEmpty() || !limits.isEmpty();
            for (String resource : List.of("cpu", "memory")) {
                Quantity limit = limits.get(resource);
                Quantity request = requests.getOrDefault(resource, limit);
                if (limit == null || request == null || limit.getNumericalAmount().compareTo(request.getNumericalAmount()) != 0) {
                    guaranteed = false;
                }
            }
        }
        return !anyRequest ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
