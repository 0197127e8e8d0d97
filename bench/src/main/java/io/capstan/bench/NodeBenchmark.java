package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.Progress;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.pod.PodController;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.informer.Informers;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A virtual node with the mock provider under load, against a fresh embedded control plane whose raw ceiling is
 * measured in the same run (after a warm-up):
 * <ul>
 *   <li>burst: N pods already bound to the node when it starts; time until all are Running. The node's status
 *       writes per second, from the first sent to the last answered as the ceiling is timed, are compared with the
 *       API server's raw status-update ceiling; the start before the first write and every write (Events, lease)
 *       are reported beside. Run once with a ProviderCreateSuccess Event per pod, as Virtual Kubelet does (at the
 *       node's default Event rate, the kubelet's 50/s), and once without Normal Events;</li>
 *   <li>latency: 1,000 pods created at a quarter of the node's burst rate (a load it sustains); create-to-Running
 *       p50/p99;</li>
 *   <li>heap the node holds per tracked pod (its cache, its records and the provider's state), after GC.</li>
 * </ul>
 */
public final class NodeBenchmark {

    private NodeBenchmark() {
    }

    /**
     * @param burstSeconds from the node's start to its last pod Running
     * @param startSeconds from the node's start to its first status write (registration, the informers' first lists)
     * @param podsPerSecond pods over the whole burst
     * @param statusWritesPerSecond the node's successful pod status writes over the window from the first sent to the
     *     last answered: the same measure as the ceiling's
     * @param writesPerSecond every write the node made during the burst (status, Events, lease), per second
     * @param ceiling the API server's raw status-update throughput with the node's own patch (64 writers, as many
     *     bound pods as the burst), measured right before the burst
     * @param quietCeiling the same, between the two bursts: right after the first, right before the one without
     *     Normal Events
     * @param ceilingAfter the same, right after the burst without Normal Events. Each burst's ratio is to the mean of
     *     the ceilings either side of it: this machine's ceiling moves by up to a fifth within minutes
     * @param watchedCeiling the same as {@code ceiling} while the writer also watches the pods it writes, as a node
     *     must: right before the burst
     * @param quietWatchedCeiling the same, between the bursts
     * @param watchedCeilingAfter the same, after the burst without Normal Events
     * @param minimalCeiling the same with a minimal patch, at the start of the run
     * @param quietStatusWritesPerSecond status writes per second in the burst without Normal Events
     * @param cpuMillisPerPod CPU the benchmark's JVM (the node in it) used per pod in the burst with Events, until the
     *     last pod was Running
     * @param writerCpuMillis CPU the ceiling's writer used per status write before that burst: bare, and while it
     *     watched the pods it wrote
     */
    public record Result(int pods, double burstSeconds, double startSeconds, double podsPerSecond,
            double statusWritesPerSecond, double writesPerSecond, double ceiling, double quietCeiling,
            double ceilingAfter, double watchedCeiling, double quietWatchedCeiling, double watchedCeilingAfter,
            double minimalCeiling,
            double quietStatusWritesPerSecond, double pacedRate, double p50Millis, double p99Millis,
            double heapBytesPerPod, double cpuMillisPerPod, Ceiling writerCpuMillis) {

        public String row() {
            return String.format(Locale.ROOT,
                    "| %,d | %.1f | %.1f | %.0f | %.0f | %.0f / %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.0f %% | %.0f "
                            + "| %.0f %% | %.0f %% | %.0f | %.2f | %.2f / %.2f | %.0f/s | %.0f | %.0f | %.1f |",
                    pods, burstSeconds, startSeconds, podsPerSecond, statusWritesPerSecond, ceiling, quietCeiling,
                    ceilingAfter, minimalCeiling, watchedCeiling, quietWatchedCeiling, watchedCeilingAfter,
                    100 * statusWritesPerSecond / ((ceiling + quietCeiling) / 2), quietStatusWritesPerSecond,
                    100 * quietStatusWritesPerSecond / ((quietCeiling + ceilingAfter) / 2),
                    100 * quietStatusWritesPerSecond / ((quietWatchedCeiling + watchedCeilingAfter) / 2),
                    writesPerSecond, cpuMillisPerPod,
                    writerCpuMillis.bare(), writerCpuMillis.watched(), pacedRate,
                    p50Millis, p99Millis, heapBytesPerPod / 1024);
        }
    }

    public static String header() {
        return "| pods | burst s | node start s | pods/s | status writes/s | API ceiling status/s (node's patch before, "
                + "between and after the bursts / minimal) | the same while the writer watches the pods | status ratio "
                + "(to the mean of the ceilings either side) | status writes/s, no Normal Events | status ratio, no Normal "
                + "Events | the same to a watching writer | node writes/s, all "
                + "| JVM CPU ms/pod | the ceiling's writer, JVM CPU ms/write (bare / watching) | paced create rate "
                + "| p50 create→Running ms | p99 ms | heap KB/pod |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    }

    /**
     * Counts the write requests (anything but GET) a client sends, and times its successful pod status writes: from
     * the first one sent to the last one answered, the window the ceiling is measured over too.
     */
    static final class WriteCounter implements Interceptor {
        final AtomicLong writes = new AtomicLong();
        final AtomicLong statusWrites = new AtomicLong();
        final AtomicLong firstStatusWriteSent = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong lastStatusWriteAnswered = new AtomicLong();
        final Map<Object, Long> failedStatusWrites = new ConcurrentHashMap<>();
        final java.util.Set<String> podsWritten = ConcurrentHashMap.newKeySet();
        final java.util.Queue<Long> statusAnsweredAt = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.Queue<Long> otherWritesSentAt = new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (!"GET".equals(request.method())) {
                writes.incrementAndGet();
            }
            if (isStatusWrite(request)) {
                firstStatusWriteSent.accumulateAndGet(System.nanoTime(), Math::min);
            } else if (!"GET".equals(request.method())) {
                otherWritesSentAt.add(System.nanoTime());
            }
        }

        @Override
        public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            if (isStatusWrite(request)) {
                if (response.isSuccessful()) {
                    statusWrites.incrementAndGet();
                    podsWritten.add(request.uri().getPath());
                    long now = System.nanoTime();
                    lastStatusWriteAnswered.accumulateAndGet(now, Math::max);
                    statusAnsweredAt.add(now);
                } else {
                    failedStatusWrites.merge(response.code(), 1L, Long::sum);
                }
            }
        }

        /**
         * A status write whose connection failed is sent again by the client; if the first copy did reach the server,
         * the second is refused as stale (409).
         */
        @Override
        public void afterConnectionFailure(HttpRequest request, Throwable failure) {
            if (isStatusWrite(request)) {
                failedStatusWrites.merge(failure.getClass().getSimpleName() + " (" + failure.getMessage() + ")", 1L,
                        Long::sum);
            }
        }

        /**
         * The refused status writes by HTTP code, and the connection failures, e.g. {@code 409 × 12}; empty when none
         * was refused.
         */
        String refusals() {
            return failedStatusWrites.entrySet().stream().map(e -> e.getKey() + " × " + e.getValue())
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        private static boolean isStatusWrite(HttpRequest request) {
            return "PATCH".equals(request.method()) && request.uri().getPath().endsWith("/status")
                    && request.uri().getPath().contains("/pods/");
        }

        /** Status writes per second in each {@code seconds}-long slice of the window, to show where it was slow. */
        String timeline(int seconds) {
            return timeline(statusAnsweredAt, seconds);
        }

        /** The node's other writes (Events, its Lease and Node) per second in the same slices. */
        String otherWritesTimeline(int seconds) {
            return timeline(otherWritesSentAt, seconds);
        }

        private String timeline(java.util.Collection<Long> times, int seconds) {
            long start = firstStatusWriteSent.get();
            double window = statusWindowSeconds();
            int[] counts = new int[(int) (window / seconds) + 1];
            times.stream().filter(at -> at >= start && at <= lastStatusWriteAnswered.get()).forEach(at ->
                    counts[(int) Math.min(counts.length - 1, (at - start) / 1_000_000_000L / seconds)]++);
            // The last slice is what is left of the window, usually shorter than the others.
            double lastSlice = Math.max(0.1, window - (counts.length - 1) * seconds);
            return java.util.stream.IntStream.range(0, counts.length).mapToObj(i -> String.format(Locale.ROOT, "%.0f",
                    counts[i] / (i == counts.length - 1 ? lastSlice : seconds)))
                    .collect(java.util.stream.Collectors.joining(" "));
        }

        double statusWindowSeconds() {
            return (lastStatusWriteAnswered.get() - firstStatusWriteSent.get()) / 1e9;
        }
    }

    /**
     * @param workers the node's workers per pod queue ({@link PodController#DEFAULT_WORKERS} unless studying them)
     * @param splitCores give the control plane and the benchmark's JVM cores of their own ({@link CoreSplit})
     */
    public static Report runOnFreshCluster(List<Integer> sizes, Parts parts, int workers, boolean splitCores,
            Progress progress) throws Exception {
        try (FreshCluster cluster = FreshCluster.start("node", splitCores, progress)) {
            double minimal = minimalCeiling(cluster.client, progress);
            warmUpNode(cluster.plane, cluster.client, workers, progress);
            InterleavedNodeRatio.Result inParts = null;
            if (parts.count() > 0) {
                inParts = InterleavedNodeRatio.run(cluster.plane, cluster.client, cluster.load, parts.pods(),
                        parts.count(), workers, progress);
                progress.step(inParts.table());
            }
            List<Result> results = new ArrayList<>();
            for (int size : sizes) {
                results.add(run(cluster.plane, cluster.client, cluster.load, size, minimal, workers, progress));
                progress.step(results.getLast().row());
            }
            return new Report(inParts, results);
        }
    }

    /**
     * The status ratio in {@code count} parts of {@code pods} pods, each between two ceilings ({@link
     * InterleavedNodeRatio}); none when {@code count} is 0.
     */
    public record Parts(int count, int pods) {

        public Parts {
            if (count < 0 || pods < 1) {
                throw new IllegalArgumentException("parts need a count of at least 0 and at least one pod each, not "
                        + count + " × " + pods);
            }
        }
    }

    /** @param inParts null when no parts were run */
    public record Report(InterleavedNodeRatio.Result inParts, List<Result> sizes) {
    }

    /**
     * Warms the API server up and measures its raw status-update throughput with 64 writers and a minimal patch
     * (phase, pod IP, one condition): what the payload alone costs the server, beside {@link #nodePatchCeiling}.
     */
    static double minimalCeiling(KubernetesClient client, Progress progress) throws Exception {
        progress.step("Warming up, then measuring the API server's status-update ceiling (2,000 pods, 64 writers)");
        String namespace = namespace(client, "capstan-bench-ceiling");
        ApiServerBenchmark.measureCreates(client, namespace, "w", 64, 1000);
        ApiServerBenchmark.measureStatusUpdates(client, namespace, "w", 64, 1000);
        ApiServerBenchmark.measureDeletes(client, namespace, "w", 64, 1000);
        ApiServerBenchmark.measureCreates(client, namespace, "c", 64, 2000);
        double minimal = ApiServerBenchmark.measureStatusUpdates(client, namespace, "c", 64, 2000).perSecond();
        ApiServerBenchmark.measureDeletes(client, namespace, "c", 64, 2000);
        progress.step(String.format(Locale.ROOT, "API server ceiling: %.0f status updates/s with a minimal patch",
                minimal));
        return minimal;
    }

    /**
     * The fair ceiling for the node's status writes, measured right before each burst (this machine drifts by ±30 %
     * within minutes): the very patches the node sends for a mock pod that starts running (every condition, the
     * container statuses, the resourceVersion guard), built by the node's own code, sent by a bare client with 64
     * writers — the same requests without the node around them. Like for like with the burst: as many pods as it has
     * (a 2,000-write ceiling lasted 5 s and caught the server between its garbage collections, against a 30 s burst),
     * with the burst's spec and bound to a Node as its pods are (bound pods also cost the scheduler's and the
     * controller-manager's caches on every write). Measured a second time while that writer's JVM also runs an
     * informer on the pods it writes, as a node must, and built as the node's is (Capstan's {@link Informers}): each
     * write then also travels back to the writer and is decoded there, on the same two cores. Prints the cores each
     * process used while each writer wrote.
     */
    static CeilingWithCpu nodePatchCeiling(KubernetesClient client, ControlPlaneLoad load, int pods, Progress progress)
            throws Exception {
        String namespace = namespace(client, "capstan-bench-ceiling");
        // A Node without an agent, as the burst's is before it starts: the pod garbage collector leaves its pods
        // alone, and since it never reported Ready, the node lifecycle controller does not rewrite their status.
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(CEILING_NODE).endMetadata().build())
                .serverSideApply();
        WriterRun bare = nodePatchThroughput(client, namespace, "n", pods);
        WriterRun watched;
        try (Informers informers = new Informers(client, namespace)) {
            informers.informer(Pod.class);
            informers.startAndSync(Duration.ofMinutes(1));
            watched = nodePatchThroughput(client, namespace, "m", pods);
        }
        progress.step(String.format(Locale.ROOT, "  API server ceiling now: %.0f status updates/s with the node's patch "
                + "(%.0f/s while an informer watches the pods), %,d pods each; the writer's JVM used %.2f ms of CPU "
                + "per write (%.2f while watching)", bare.perSecond(), watched.perSecond(), pods, bare.cpuMillisPerWrite(),
                watched.cpuMillisPerWrite()));
        progress.step("  cores used while the bare writer wrote: " + load.average(bare.from(), bare.to()));
        progress.step("  … while the watching writer wrote: " + load.average(watched.from(), watched.to()));
        return new CeilingWithCpu(new Ceiling(bare.perSecond(), watched.perSecond()),
                new Ceiling(bare.cpuMillisPerWrite(), watched.cpuMillisPerWrite()));
    }

    static final String CEILING_NODE = "bench-ceiling";

    /**
     * One timed run of the ceiling's writer: status updates per second, its JVM's CPU per update, and when its status
     * updates ran ({@link System#nanoTime()}).
     */
    record WriterRun(double perSecond, double cpuMillisPerWrite, long from, long to) {
    }

    static WriterRun nodePatchThroughput(KubernetesClient client, String namespace, String prefix, int count)
            throws Exception {
        String podsPath = RawRequests.path(Pod.class, namespace, null);
        ApiServerBenchmark.measure("create", 64, count, i -> RawRequests.write(client, "POST", podsPath, RawRequests.JSON,
                client.getKubernetesSerialization().asJson(pod(namespace, prefix + "-" + i, CEILING_NODE))));
        List<Pod> created = new ArrayList<>();
        String page = null;
        do { // in pages: one answer of 10,000 pods can outlast the client's request timeout on a busy server
            PodList pods = client.pods().inNamespace(namespace).list(new ListOptionsBuilder().withLimit(500L)
                    .withContinue(page).build());
            pods.getItems().stream().filter(pod -> pod.getMetadata().getName().startsWith(prefix + "-"))
                    .forEach(created::add);
            page = pods.getMetadata().getContinue();
        } while (page != null && !page.isEmpty());
        MockProvider provider = new MockProvider(new MockProvider.Capacity(created.size() + 1, "1000", "4Ti"), "127.0.0.1");
        Map<String, String> patches = new HashMap<>();
        for (Pod pod : created) {
            provider.createPod(pod);
            Pod running = new PodBuilder(pod).withStatus(provider.getPodStatus(namespace, pod.getMetadata().getName())
                    .orElseThrow()).build();
            patches.put(pod.getMetadata().getName(), PodController.statusPatch(client.getKubernetesSerialization(), pod,
                    running));
        }
        CpuClock cpu = CpuClock.start();
        long from = System.nanoTime();
        double perSecond = ApiServerBenchmark.measure("status update, the node's patch", 64, created.size(),
                i -> RawRequests.writeForResourceVersion(client, "PATCH", RawRequests.path(Pod.class, namespace,
                        prefix + "-" + i) + "/status", RawRequests.MERGE_PATCH, patches.get(prefix + "-" + i)))
                .perSecond();
        long to = System.nanoTime();
        double cpuMillisPerWrite = 1000 * cpu.used().cpuSeconds() / created.size();
        ApiServerBenchmark.measureDeletes(client, namespace, prefix, 64, count);
        return new WriterRun(perSecond, cpuMillisPerWrite, from, to);
    }

    /** A figure of the ceiling's writer: bare, and while it also watches the pods it writes. */
    record Ceiling(double bare, double watched) {
    }

    /** The ceiling with the node's patch, and the CPU its writer's JVM used per write. */
    record CeilingWithCpu(Ceiling perSecond, Ceiling cpuMillisPerWrite) {
    }

    static String namespace(KubernetesClient client, String name) throws InterruptedException {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
        ApiServerBenchmark.awaitDefaultServiceAccount(client, name);
        return name;
    }

    static Pod pod(String namespace, String name, String node) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withNodeName(node).withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .addNewContainer().withName("main").withImage("capstan/benchmark").withCommand("sleep", "infinity")
                .endContainer().endSpec().build();
    }

    /** Records when each pod of a namespace is first seen Running. */
    static final class RunningWatch implements AutoCloseable {
        final Map<String, Long> runningAt = new ConcurrentHashMap<>();
        final SharedIndexInformer<Pod> informer;

        RunningWatch(KubernetesClient client, String namespace) {
            informer = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    seen(pod);
                }

                @Override
                public void onUpdate(Pod oldPod, Pod newPod) {
                    seen(newPod);
                }

                @Override
                public void onDelete(Pod pod, boolean unknown) {
                }
            });
        }

        private void seen(Pod pod) {
            if (pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())) {
                runningAt.putIfAbsent(pod.getMetadata().getName(), System.nanoTime());
            }
        }

        void await(String prefix, int count) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
            while (runningAt.keySet().stream().filter(name -> name.startsWith(prefix)).count() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pods did not all reach Running within 15 minutes");
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    record Burst(double seconds, double startSeconds, double podsPerSecond, double statusWritesPerSecond,
            double writesPerSecond, double heapPerPod, double cpuMillisPerPod) {
    }

    /**
     * A node's client, its configuration loaded from the kubeconfig file as {@code capstan node --kubeconfig} does. Every
     * node in the run counts its writes, the warm-up's too, so the measured ones run no code the warm-up did not.
     */
    private static KubernetesClient nodeClient(ControlPlane plane, WriteCounter counter) {
        return KubeClients.builder(KubeClients.loadConfig(plane.kubeconfig()),
                http -> http.addOrReplaceInterceptor("count", counter)).build();
    }

    /** A mock-provider node started on its own client, as {@code capstan node --provider mock} would run. */
    private static VirtualNode startNode(ControlPlane plane, KubernetesClient nodeClient, String node, int pods,
            boolean normalEvents, int workers) throws Exception {
        MockProvider provider = new MockProvider(new MockProvider.Capacity(4 * pods + 1000, "1000", "4Ti"), "127.0.0.1");
        var ca = plane.certificateAuthority();
        return VirtualNode.start(nodeClient, VirtualNode.Config.defaults(node, provider,
                ServingCertificate.issuedBy(ca, node, "127.0.0.1"), ca.certificate(), null)
                .withPods(PodController.Settings.defaults(node).withWorkers(workers).withNormalEvents(normalEvents)),
                new CompositeMeterRegistry());
    }

    /**
     * The node's code is warmed up before anything is measured, as the ceiling's writer is: 20,000 pods through two
     * nodes in turn, each stopped after its pods are Running, the first with Normal Events and the second without, as
     * the bursts alternate. A cold 10,000-pod burst spent about 40 % of the JVM's CPU in its JIT compilers, on the
     * cores the API server uses, which is the JVM starting rather than the node working.
     * C2 takes a method after some thousands of calls in its profiled form, and more while its queue is long (as it is
     * in a JVM still starting): after a 6,000-pod warm-up the first burst still made 327 first C2 compilations (the
     * node's, fabric8's model, Jackson's), and compiled for 17–22 s against 2–7 s in the bursts after it; a single
     * 10,000-pod warm-up did no better. Two passes with Events left the first burst without them compiling for
     * 11.6 s: its node takes other branches, and C2 recompiles what it had compiled for the first. Each pass prints
     * what it cost: a node restarting with its pods is cold too.
     */
    private static void warmUpNode(ControlPlane plane, KubernetesClient client, int workers, Progress progress)
            throws Exception {
        int pods = 10_000;
        for (int pass = 1; pass <= 2; pass++) {
            boolean normalEvents = pass == 1;
            progress.step(String.format("Warming a node up (%,d pods, pass %d of 2%s, not measured against the ceiling)",
                    pods, pass, normalEvents ? "" : ", without Normal Events"));
            String namespace = namespace(client, "capstan-bench-warm-up-" + pass);
            String node = "bench-warm-up-" + pass;
            createBoundPods(client, namespace, node, pods);
            CpuClock cpu = CpuClock.start();
            long started = System.nanoTime();
            WriteCounter counter = new WriteCounter();
            try (KubernetesClient nodeClient = nodeClient(plane, counter);
                    VirtualNode virtualNode = startNode(plane, nodeClient, node, pods, normalEvents, workers)) {
                awaitAllRunning(virtualNode, counter, pods);
                double seconds = (System.nanoTime() - started) / 1e9;
                CpuClock.Used used = cpu.used();
                progress.step(String.format(Locale.ROOT, "  %,d pods Running in %.1f s (%.0f/s); the JVM used %.2f ms "
                        + "of CPU per pod, its JIT compilations took %.1f s", pods, seconds, pods / seconds,
                        1000 * used.cpuSeconds() / pods, used.compilingSeconds()));
                if (!counter.refusals().isEmpty()) {
                    progress.step("  status writes refused or failed: " + counter.refusals());
                }
            }
            deleteNamespace(client, namespace, progress);
            deleteNode(client, node);
        }
    }

    /** N pods bound to a node that is not running yet; its Node object is created first (see the burst). */
    private static void createBoundPods(KubernetesClient client, String namespace, String node, int pods)
            throws Exception {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).create();
        ApiServerBenchmark.measure("create", 64, pods, i -> client.pods().inNamespace(namespace)
                .resource(pod(namespace, "burst-" + i, node)).create());
    }

    /**
     * CPU the benchmark's JVM uses (the node runs in it), and how long its JIT compilers took. The latter is elapsed
     * time, waits for a core included: on two saturated cores it read 9.2 s in a burst where JFR put the compiler
     * threads' CPU at about 3 s.
     */
    private record CpuClock(long cpuNanos, long compilingMillis) {

        record Used(double cpuSeconds, double compilingSeconds) {
        }

        static CpuClock start() {
            return new CpuClock(processCpuNanos(), java.lang.management.ManagementFactory.getCompilationMXBean()
                    .getTotalCompilationTime());
        }

        Used used() {
            CpuClock now = start();
            return new Used((now.cpuNanos - cpuNanos) / 1e9, (now.compilingMillis - compilingMillis) / 1e3);
        }

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }

    /** N pods bound to a node that is not running yet; then the node starts and brings them all to Running. */
    static Burst burst(ControlPlane plane, KubernetesClient client, ControlPlaneLoad load, String namespace,
            String node, int size, boolean normalEvents, int workers, Progress progress) throws Exception {
        progress.step(String.format("Creating %,d pods bound to %s before it starts%s", size, node,
                normalEvents ? "" : " (node without Normal Events)"));
        // The Node object exists before its pods: the pod garbage collector force-deletes pods bound to a missing Node
        // after 40 s, which a slow API server takes to create 10,000 pods. The starting node takes the object over.
        createBoundPods(client, namespace, node, size);
        {
            long heapBefore = ApiServerBenchmark.usedHeapAfterGc();
            WriteCounter counter = new WriteCounter();
            CpuClock cpu = CpuClock.start();
            long started = System.nanoTime();
            try (KubernetesClient nodeClient = nodeClient(plane, counter);
                    VirtualNode virtualNode = startNode(plane, nodeClient, node, size, normalEvents, workers)) {
                // The node's own cache tells when all are Running, so no second cache skews the heap figure.
                awaitAllRunning(virtualNode, counter, size);
                double seconds = (System.nanoTime() - started) / 1e9;
                CpuClock.Used used = cpu.used();
                double writesPerSecond = counter.writes.get() / seconds;
                // Heap per tracked pod is what the node holds once it has caught up, not its Events still queued.
                awaitCaughtUp(virtualNode);
                double catchUpSeconds = (System.nanoTime() - started) / 1e9 - seconds;
                double heapPerPod = (double) (ApiServerBenchmark.usedHeapAfterGc() - heapBefore) / size;
                double startSeconds = (counter.firstStatusWriteSent.get() - started) / 1e9;
                double statusWritesPerSecond = counter.statusWrites.get() / counter.statusWindowSeconds();
                progress.step(String.format(Locale.ROOT, "  %,d pods Running in %.1f s (%.0f/s), node wrote %.0f/s; its "
                        + "%,d status writes took %.1f s (%.0f/s) after a start of %.1f s", size, seconds, size / seconds,
                        writesPerSecond, counter.statusWrites.get(), counter.statusWindowSeconds(),
                        statusWritesPerSecond, startSeconds));
                progress.step(String.format(Locale.ROOT, "  %,d status writes for %,d pods; the node caught up (Events "
                        + "written, queues empty) %.1f s after the last pod was Running", counter.statusWrites.get(),
                        counter.podsWritten.size(), catchUpSeconds));
                progress.step("  status writes/s in each 5 s of the window: " + counter.timeline(5));
                progress.step("  other writes/s (Events, Lease, Node) in the same slices: " + counter.otherWritesTimeline(5));
                progress.step("  cores used in the same slices:");
                load.timeline(counter.firstStatusWriteSent.get(), counter.lastStatusWriteAnswered.get(), 5)
                        .forEach(line -> progress.step("    " + line));
                progress.step(String.format(Locale.ROOT, "  the benchmark's JVM (the node in it) used %.1f CPU-s until the "
                        + "last pod was Running: %.2f ms per pod; its JIT compilations took %.1f s "
                        + "(elapsed, waits for a core included)",
                        used.cpuSeconds(), 1000 * used.cpuSeconds() / size, used.compilingSeconds()));
                if (!counter.refusals().isEmpty()) {
                    progress.step("  status writes refused or failed: " + counter.refusals());
                }
                return new Burst(seconds, startSeconds, size / seconds, statusWritesPerSecond, writesPerSecond, heapPerPod,
                        1000 * used.cpuSeconds() / size);
            }
        }
    }

    private static void awaitCaughtUp(VirtualNode node) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (node.pendingWork() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the node still had " + node.pendingWork() + " items of work after 5 minutes");
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /**
     * Until the node's cache shows all its pods Running. The cache is scanned only once every pod's status write has
     * been answered: scanning 10,000 cached pods twice a second took 9–10 % of the benchmark JVM's CPU samples in a
     * burst (JFR), charged to the node and taken from the API server on the same two cores.
     */
    private static void awaitAllRunning(VirtualNode node, WriteCounter counter, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (counter.podsWritten.size() < count || node.cachedPods().stream()
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("pods did not all reach Running within 15 minutes");
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /**
     * The burst with Normal Events, then the one without, the ceiling measured before, between and after them; then
     * the paced latency run.
     */
    private static Result run(ControlPlane plane, KubernetesClient client, ControlPlaneLoad load, int size,
            double minimalCeiling, int workers, Progress progress) throws Exception {
        CeilingWithCpu before = nodePatchCeiling(client, load, size, progress);
        String loud = namespace(client, "capstan-bench-node-" + size);
        Burst withEvents = burst(plane, client, load, loud, "bench-" + size, size, true, workers, progress);
        deleteNamespace(client, loud, progress);
        deleteNode(client, "bench-" + size);
        CeilingWithCpu between = nodePatchCeiling(client, load, size, progress);
        String quiet = namespace(client, "capstan-bench-quiet-" + size);
        Burst withoutEvents = burst(plane, client, load, quiet, "bench-quiet-" + size, size, false, workers, progress);
        deleteNamespace(client, quiet, progress);
        deleteNode(client, "bench-quiet-" + size);
        CeilingWithCpu after = nodePatchCeiling(client, load, size, progress);
        warnIfTheMachineMoved("with Normal Events", before, between, progress);
        warnIfTheMachineMoved("without Normal Events", between, after, progress);

        String paced = namespace(client, "capstan-bench-paced-" + size);
        // A quarter of the burst rate, as in the Framework benchmark: each paced pod costs a create, a status write and
        // an Event, and at half the burst rate (three writes per pod) the server was saturated whenever its capacity
        // dipped (p50 1.4 s in one run), so the latency measured its queue rather than the node.
        double rate = Math.max(1, withEvents.podsPerSecond() / 4);
        int count = Math.min(size, 1000);
        String node = "bench-paced-" + size;
        progress.step(String.format(Locale.ROOT, "Creating %,d pods at %.0f/s while %s runs", count, rate, node));
        try (RunningWatch watch = new RunningWatch(client, paced);
                KubernetesClient nodeClient = nodeClient(plane, new WriteCounter());
                VirtualNode virtualNode = startNode(plane, nodeClient, node, count, true, workers)) {
            Map<String, Long> createdAt = new ConcurrentHashMap<>();
            long start = System.nanoTime();
            long intervalNanos = (long) (1e9 / rate);
            try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < count; i++) {
                    long due = start + i * intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    String name = "paced-" + i;
                    executor.submit(() -> {
                        createdAt.put(name, System.nanoTime());
                        return client.pods().inNamespace(paced).resource(pod(paced, name, node)).create();
                    });
                }
            }
            watch.await("paced-", count);
            List<Double> latencies = new ArrayList<>();
            createdAt.forEach((name, at) -> latencies.add((watch.runningAt.get(name) - at) / 1e6));
            Collections.sort(latencies);
            return new Result(size, withEvents.seconds(), withEvents.startSeconds(), withEvents.podsPerSecond(),
                    withEvents.statusWritesPerSecond(), withEvents.writesPerSecond(), before.perSecond().bare(),
                    between.perSecond().bare(), after.perSecond().bare(), before.perSecond().watched(),
                    between.perSecond().watched(), after.perSecond().watched(), minimalCeiling,
                    withoutEvents.statusWritesPerSecond(), rate, percentile(latencies, 0.50), percentile(latencies, 0.99),
                    withEvents.heapPerPod(), withEvents.cpuMillisPerPod(), before.cpuMillisPerWrite());
        } finally {
            deleteNamespace(client, paced, progress);
            deleteNode(client, node);
        }
    }

    /**
     * Says so when the ceilings either side of a burst differ by more than 15 %: the ratio to their mean then says
     * more about the machine than about the node. One run read 305 and 390/s either side of a burst while the
     * writer's JVM used 0.62 then 0.32 ms of CPU per write — the same work at twice the speed.
     */
    private static void warnIfTheMachineMoved(String burst, CeilingWithCpu before, CeilingWithCpu after,
            Progress progress) {
        double low = Math.min(before.perSecond().bare(), after.perSecond().bare());
        double high = Math.max(before.perSecond().bare(), after.perSecond().bare());
        if (high > 1.15 * low) {
            progress.step(String.format(Locale.ROOT, "  note: the ceilings either side of the burst %s differ by %.0f %% "
                    + "(%.0f and %.0f/s; the writer's JVM used %.2f and %.2f ms of CPU per write): the machine's speed "
                    + "moved, so that burst's ratio is a poor sample; repeat the run (e.g. --pods 10000,10000)", burst,
                    100 * (high / low - 1), before.perSecond().bare(), after.perSecond().bare(),
                    before.cpuMillisPerWrite().bare(), after.cpuMillisPerWrite().bare()));
        }
    }

    /** Each burst starts with a new Node object, so one run can repeat a size ({@code --pods 10000,10000}). */
    static void deleteNode(KubernetesClient client, String name) {
        client.nodes().withName(name).delete();
    }

    /**
     * Deletes a namespace and waits until it is gone, so its pods' deletion does not load the next phase. Its pods
     * are force-deleted first: their node has stopped, so a graceful deletion would wait for it forever.
     */
    static void deleteNamespace(KubernetesClient client, String namespace, Progress progress) throws InterruptedException {
        // One by one from 64 threads: a collection delete of 10,000 pods outlasts the client's request timeout.
        List<Pod> pods = client.pods().inNamespace(namespace).list().getItems();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Semaphore writers = new java.util.concurrent.Semaphore(64);
            for (Pod pod : pods) {
                writers.acquire();
                executor.submit(() -> {
                    try {
                        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).withGracePeriod(0)
                                .delete();
                    } catch (RuntimeException e) {
                        // Gone already, or the namespace deletion below removes it.
                    } finally {
                        writers.release();
                    }
                });
            }
        }
        client.namespaces().withName(namespace).delete();
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (client.namespaces().withName(namespace).get() != null) {
            if (System.nanoTime() > deadline) {
                progress.step("namespace " + namespace + " is still being deleted after 15 minutes; continuing");
                return;
            }
            TimeUnit.SECONDS.sleep(1);
        }
    }

    static double percentile(List<Double> sorted, double fraction) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(fraction * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
