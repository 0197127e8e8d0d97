package io.capstan.node.provider.process;

import io.capstan.node.api.AttachStreams;
import io.capstan.node.api.ContainerLogOptions;
import io.capstan.node.api.ExitCodeException;
import io.capstan.node.api.InvalidInputException;
import io.capstan.node.api.NodeContext;
import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.PodNotifier;
import io.capstan.node.api.Provider;
import io.capstan.node.api.StatsSummary;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs pods as host processes: the embedded cluster's runtime, so {@code kubectl run} and every workload work on a
 * laptop without a container engine. Each container's {@code command} + {@code args} is started as a process
 * (the image is recorded, not pulled), in a bubblewrap sandbox with its volumes mounted when {@code bwrap} works
 * here. Pods use the host network: their IP is 127.0.0.1 and their ports are host ports (two pods cannot listen on
 * the same port). Logs, exec, attach, port-forward and stats are served through the kubelet API.
 */
public final class ProcessProvider implements Provider, PodNotifier {

    private static final Logger log = LoggerFactory.getLogger(ProcessProvider.class);
    static final String POD_IP = "127.0.0.1";

    /**
     * @param root where pod sandboxes (volumes, logs) live
     * @param bubblewrap whether containers run in a bwrap sandbox
     * @param setsid whether containers run in their own session (so a signal reaches every process of a container)
     * @param backoffBase first crash-restart delay (the kubelet's is 10 s), doubling up to {@code backoffMax}
     * @param logMaxBytes size at which a container log file is rotated
     * @param maxPods the node's pod capacity
     * @param tools a directory put first on the containers' default PATH: commands the node offers its pods (such as
     *     {@code capstan} itself, for {@code capstan barrier} init containers), or null for none
     */
    public record Settings(Path root, boolean bubblewrap, boolean setsid, Duration backoffBase, Duration backoffMax,
            long logMaxBytes, int maxPods, Path tools) {

        /** Kubelet-like defaults; bubblewrap and setsid are used when they work on this host. */
        public static Settings detect(Path root) {
            boolean bwrap = Sandbox.bubblewrapWorks();
            if (!bwrap) {
                log.warn("bubblewrap (bwrap) is not usable here: process pods run without their own mount and PID "
                        + "namespaces and volumes are not mounted at their mountPath (install Debian's 'bubblewrap')");
            }
            return new Settings(root, bwrap, Files.isExecutable(Path.of("/usr/bin/setsid")), Duration.ofSeconds(10),
                    Duration.ofMinutes(5), 10L * 1024 * 1024, 110, null);
        }

        public Settings withBackoff(Duration base, Duration max) {
            return new Settings(root, bubblewrap, setsid, base, max, logMaxBytes, maxPods, tools);
        }

        public Settings withBubblewrap(boolean enabled) {
            return new Settings(root, enabled, setsid, backoffBase, backoffMax, logMaxBytes, maxPods, tools);
        }

        public Settings withLogMaxBytes(long bytes) {
            return new Settings(root, bubblewrap, setsid, backoffBase, backoffMax, bytes, maxPods, tools);
        }

        public Settings withTools(Path directory) {
            return new Settings(root, bubblewrap, setsid, backoffBase, backoffMax, logMaxBytes, maxPods, directory);
        }
    }

    private final Settings settings;
    private final Map<String, PodRuntime> pods = new ConcurrentHashMap<>();
    private final MemoryLimits memoryLimits;
    private volatile Consumer<Pod> notify = pod -> {
    };
    private volatile NodeContext context;
    private volatile String nodeName;
    private volatile boolean closed;
    private Thread volumeRefresher;

    public ProcessProvider(Settings settings) {
        this.settings = settings;
        this.memoryLimits = MemoryLimits.detect(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup")).orElse(null);
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public void configureNode(Node node) {
        nodeName = node.getMetadata().getName();
        Map<String, Quantity> capacity = Map.of(
                "cpu", new Quantity(Integer.toString(Runtime.getRuntime().availableProcessors())),
                "memory", new Quantity(Long.toString(HostStats.memoryTotalBytes())),
                "pods", new Quantity(Integer.toString(settings.maxPods())),
                "ephemeral-storage", new Quantity(Long.toString(HostStats.diskTotalBytes(settings.root()))));
        node.getStatus().setCapacity(capacity);
        node.getStatus().setAllocatable(capacity);
    }

    @Override
    public void start(NodeContext nodeContext) {
        this.context = nodeContext;
        try {
            Files.createDirectories(settings.root());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the pod directory " + settings.root() + ": " + e.getMessage(), e);
        }
        volumeRefresher = Thread.ofVirtual().name("process-volume-refresh").start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    return;
                }
                pods.values().forEach(PodRuntime::refreshVolumes);
            }
        });
    }

    @Override
    public Optional<String> plannedPodIP(Pod pod) {
        return Optional.of(POD_IP);
    }

    @Override
    public void notifyPods(Consumer<Pod> callback) {
        this.notify = callback;
    }

    @Override
    public void createPod(Pod pod) {
        if (context == null) {
            throw new IllegalStateException("the process provider was not started");
        }
        String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        PodRuntime existing = pods.get(key);
        if (existing != null && existing.uid().equals(pod.getMetadata().getUid())) {
            return;
        }
        PodRuntime runtime = new PodRuntime(pod, settings, context, memoryLimits, reported -> notify.accept(reported));
        pods.put(key, runtime);
        runtime.start();
    }

    @Override
    public void updatePod(Pod pod) {
        require(pod.getMetadata().getNamespace(), pod.getMetadata().getName()).update(pod);
    }

    @Override
    public void deletePod(Pod pod) {
        String key = key(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        PodRuntime runtime = pods.get(key);
        if (runtime == null) {
            throw new NotFoundException("pod " + key + " is not running on this node");
        }
        Long grace = pod.getMetadata().getDeletionGracePeriodSeconds() != null ? pod.getMetadata().getDeletionGracePeriodSeconds()
                : pod.getSpec().getTerminationGracePeriodSeconds();
        Duration period = Duration.ofSeconds(grace == null ? 30 : grace);
        Thread.ofVirtual().name("delete-" + pod.getMetadata().getName()).start(() -> {
            runtime.delete(period);
            pods.remove(key, runtime);
            runtime.removeSandbox();
        });
    }

    @Override
    public Optional<Pod> getPod(String namespace, String name) {
        PodRuntime runtime = pods.get(key(namespace, name));
        return runtime == null ? Optional.empty()
                : Optional.of(new PodBuilder(runtime.pod()).withStatus(runtime.status()).build());
    }

    @Override
    public Optional<PodStatus> getPodStatus(String namespace, String name) {
        PodRuntime runtime = pods.get(key(namespace, name));
        return runtime == null ? Optional.empty() : Optional.ofNullable(runtime.status());
    }

    @Override
    public List<Pod> getPods() {
        List<Pod> all = new ArrayList<>();
        for (PodRuntime runtime : pods.values()) {
            all.add(new PodBuilder(runtime.pod()).withStatus(runtime.status()).build());
        }
        return all;
    }

    /** Stops every pod: its processes are children of this JVM and must not outlive it. */
    @Override
    public void shutdown() {
        closed = true;
        if (volumeRefresher != null) {
            volumeRefresher.interrupt();
        }
        List<Thread> stoppers = new ArrayList<>();
        for (PodRuntime runtime : pods.values()) {
            stoppers.add(Thread.ofVirtual().start(() -> runtime.delete(Duration.ofSeconds(5))));
        }
        for (Thread stopper : stoppers) {
            try {
                stopper.join(Duration.ofSeconds(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pods.clear();
    }

    // ----- kubelet API hooks ------------------------------------------------------------------------------------------

    @Override
    public InputStream containerLogs(String namespace, String pod, String container, ContainerLogOptions options)
            throws IOException {
        PodRuntime runtime = require(namespace, pod);
        ContainerRuntime target = requireContainer(runtime, container);
        if (options.previous()) {
            if (target.restartCount() == 0) {
                throw new InvalidInputException("previous terminated container \"" + container + "\" in pod \"" + pod
                        + "\" not found");
            }
            return ContainerLog.readFinished(runtime.logFile(container, target.restartCount() - 1), options);
        }
        ContainerLog current = target.currentLog();
        if (current == null) {
            throw new InvalidInputException("container \"" + container + "\" in pod \"" + pod + "\" is waiting to start: "
                    + (target.state().getWaiting() == null ? "" : target.state().getWaiting().getReason()));
        }
        return current.read(options, () -> !closed);
    }

    @Override
    public void runInContainer(String namespace, String pod, String container, List<String> command, AttachStreams streams)
            throws Exception {
        ContainerRuntime target = requireContainer(require(namespace, pod), container);
        if (!target.isRunning()) {
            throw new InvalidInputException("container " + container + " of pod " + namespace + "/" + pod
                    + " is not running (" + describe(target) + "); cannot exec into it");
        }
        Process process = target.exec(command, streams.tty());
        if (streams.tty() && streams.resizes() != null) {
            Thread.ofVirtual().start(() -> ExecTerminal.applyResizes(process, streams.resizes()));
        }
        pump(process, streams);
        int code = process.waitFor();
        if (code != 0) {
            throw new ExitCodeException(code, "command " + command + " exited with " + code);
        }
    }

    @Override
    public void attachToContainer(String namespace, String pod, String container, AttachStreams streams) throws Exception {
        ContainerRuntime target = requireContainer(require(namespace, pod), container);
        Process process = target.process();
        if (!target.isRunning() || process == null) {
            throw new InvalidInputException("container " + container + " of pod " + namespace + "/" + pod
                    + " is not running (" + describe(target) + "); cannot attach to it");
        }
        Thread input = null;
        if (streams.stdin() != null && target.spec().getStdin() != null && target.spec().getStdin()) {
            OutputStream processStdin = process.getOutputStream();
            input = Thread.ofVirtual().start(() -> copy(streams.stdin(), processStdin, false));
        }
        if (streams.stdout() != null) {
            ContainerLog log = target.currentLog();
            try (InputStream output = log.read(new ContainerLogOptions(0, null, null, false, true, false),
                    process::isAlive)) {
                copy(output, streams.stdout(), false);
            }
        } else {
            process.waitFor();
        }
        if (input != null) {
            input.interrupt();
        }
    }

    @Override
    public Socket portForward(String namespace, String pod, int port) throws IOException {
        require(namespace, pod);
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(POD_IP, port), 5000);
        return socket;
    }

    @Override
    public StatsSummary statsSummary() {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<StatsSummary.PodStats> podStats = new ArrayList<>();
        for (PodRuntime runtime : pods.values()) {
            List<StatsSummary.ContainerStats> containers = new ArrayList<>();
            long podCpu = 0;
            long podMemory = 0;
            for (ContainerRuntime container : runtime.containers()) {
                Process process = container.process();
                HostStats.Usage usage = process != null && process.isAlive() ? HostStats.usageOf(process.toHandle())
                        : HostStats.Usage.NONE;
                podCpu += usage.cpuNanos();
                podMemory += usage.rssBytes();
                containers.add(new StatsSummary.ContainerStats(container.name(), runtime.status() == null ? null
                        : runtime.status().getStartTime(), new StatsSummary.CpuStats(now, null, usage.cpuNanos()),
                        new StatsSummary.MemoryStats(now, usage.rssBytes(), usage.rssBytes(), usage.rssBytes())));
            }
            podStats.add(new StatsSummary.PodStats(new StatsSummary.PodReference(runtime.pod().getMetadata().getName(),
                    runtime.pod().getMetadata().getNamespace(), runtime.uid()), runtime.status() == null ? null
                    : runtime.status().getStartTime(), containers, new StatsSummary.CpuStats(now, null, podCpu),
                    new StatsSummary.MemoryStats(now, podMemory, podMemory, podMemory)));
        }
        HostStats.Usage node = HostStats.node();
        return new StatsSummary(new StatsSummary.NodeStats(nodeName, now, new StatsSummary.CpuStats(now, null, node.cpuNanos()),
                new StatsSummary.MemoryStats(now, node.rssBytes(), node.rssBytes(), null)), podStats);
    }

    private static void pump(Process process, AttachStreams streams) {
        if (streams.stdin() != null) {
            Thread.ofVirtual().start(() -> copy(streams.stdin(), process.getOutputStream(), true));
        } else {
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        Thread out = Thread.ofVirtual().start(() -> copy(process.getInputStream(), streams.stdout(), false));
        Thread err = Thread.ofVirtual().start(() -> copy(process.getErrorStream(),
                streams.stderr() != null ? streams.stderr() : streams.stdout(), false));
        try {
            out.join();
            err.join();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
        }
    }

    private static void copy(InputStream from, OutputStream to, boolean closeTarget) {
        byte[] buffer = new byte[16 * 1024];
        try {
            int read;
            while ((read = from.read(buffer)) >= 0) {
                if (to != null) {
                    to.write(buffer, 0, read);
                    to.flush();
                }
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            if (closeTarget && to != null) {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }

    private static String describe(ContainerRuntime container) {
        var state = container.state();
        if (state.getTerminated() != null) {
            return "it exited with code " + state.getTerminated().getExitCode();
        }
        if (state.getWaiting() != null) {
            return "waiting: " + state.getWaiting().getReason();
        }
        return "not started";
    }

    private PodRuntime require(String namespace, String name) {
        PodRuntime runtime = pods.get(key(namespace, name));
        if (runtime == null) {
            throw new NotFoundException("pod " + namespace + "/" + name + " is not running on node " + nodeName);
        }
        return runtime;
    }

    private static ContainerRuntime requireContainer(PodRuntime runtime, String name) {
        ContainerRuntime container = runtime.container(name);
        if (container == null) {
            throw new NotFoundException("container " + name + " is not valid for pod " + runtime.name());
        }
        return container;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
