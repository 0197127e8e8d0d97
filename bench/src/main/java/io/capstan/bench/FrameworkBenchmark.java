package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.KubernetesBinaries;
import io.capstan.cluster.Progress;
import io.capstan.framework.FrameworkModule;
import io.capstan.framework.api.CompletionPolicySpec;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkCrd;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.operator.Operator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The Framework controller under load, on a mock virtual node, against a fresh embedded control plane whose raw pod
 * create ceiling is measured in the same run (after a warm-up):
 * <ol>
 *   <li>without the controller: the same number of pods created by a bare client on the same node, pods Running per
 *       second — what the cluster gives any controller;</li>
 *   <li>start: N Frameworks of T tasks are created at once; the controller's pods created per second (first to last
 *       pod) as a ratio to the ceiling, and the time until every Framework runs;</li>
 *   <li>heap: what the controller retains per 1,000 running Frameworks (heap after GC with it running, minus after it
 *       is stopped);</li>
 *   <li>latency: one task per Framework ends, paced at a rate the controller sustains; the time from the benchmark
 *       seeing the pod's phase change to it seeing the Framework status reflect it, p50/p99;</li>
 *   <li>completion: every remaining task ends at once; Frameworks completed per second.</li>
 * </ol>
 */
public final class FrameworkBenchmark {

    private FrameworkBenchmark() {
    }

    /**
     * @param podsRunningPerSecond the start phase's pods over the time until the last was seen Running
     * @param pipelinePodsRunningPerSecond the same pods without the controller: created by a bare client with 64
     *     writers and brought to Running by the same node — the most any controller can get from this cluster
     */
    public record Result(int frameworks, int tasks, double ceiling, double podsPerSecond, double startSeconds,
            double podsRunningPerSecond, double pipelinePodsRunningPerSecond, double pacedRate, double p50Millis,
            double p99Millis, double heapBytesPerThousand, double completedPerSecond, long statusWrites) {

        public String row() {
            return String.format(Locale.ROOT,
                    "| %,d × %d | %.0f | %.0f | %.0f %% | %.0f | %.0f | %.0f %% | %.1f | %.0f/s | %.1f | %.1f | %.1f | %.1f "
                            + "| %.1f |",
                    frameworks, tasks, ceiling, podsPerSecond, 100 * podsPerSecond / ceiling,
                    pipelinePodsRunningPerSecond, podsRunningPerSecond,
                    100 * podsRunningPerSecond / pipelinePodsRunningPerSecond, startSeconds, pacedRate,
                    p50Millis, p99Millis, heapBytesPerThousand / (1024 * 1024), completedPerSecond,
                    (double) statusWrites / frameworks);
        }
    }

    public static String header() {
        return "| Frameworks × tasks | API ceiling creates/s | pods created/s | ratio | pods Running/s without the "
                + "controller | with it | ratio | all running s | paced pod ends | p50 pod→status ms | p99 ms "
                + "| heap MiB/1,000 | Frameworks completed/s | status writes/Framework |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    }

    /** One run per {@code frameworks x tasks} pair. */
    public record Size(int frameworks, int tasks) {
        public static Size parse(String text) {
            String[] parts = text.toLowerCase(Locale.ROOT).split("x");
            if (parts.length != 2) {
                throw new IllegalArgumentException("a size is FRAMEWORKSxTASKS, e.g. 1000x4, not " + text);
            }
            return new Size(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        }
    }

    public static List<Result> runOnFreshCluster(List<Size> sizes, Progress progress) throws Exception {
        Path state = Files.createTempDirectory("capstan-bench-framework-");
        try (ControlPlane plane = ControlPlane.start(ControlPlane.Spec.of(state, KubernetesBinaries.locate(progress))
                .withProgress(progress));
                KubernetesClient client = ApiServerBenchmark.client(plane)) {
            double ceiling = createCeiling(client, progress);
            FrameworkCrd.ensure(client, Duration.ofMillis(200), Duration.ofSeconds(60));
            List<Result> results = new ArrayList<>();
            for (Size size : sizes) {
                results.add(run(plane, client, size, ceiling, progress));
                progress.step(results.getLast().row());
            }
            return results;
        } finally {
            ApiServerBenchmark.deleteTree(state);
        }
    }

    /** The API server's raw pod-create throughput with 64 writers, after a warm-up round. */
    static double createCeiling(KubernetesClient client, Progress progress) throws Exception {
        progress.step("Warming up, then measuring the API server's pod-create ceiling (2,000 pods, 64 writers)");
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-ceiling");
        ApiServerBenchmark.measureCreates(client, namespace, "w", 64, 1000);
        ApiServerBenchmark.measureDeletes(client, namespace, "w", 64, 1000);
        double ceiling = ApiServerBenchmark.measureCreates(client, namespace, "c", 64, 2000).perSecond();
        ApiServerBenchmark.measureDeletes(client, namespace, "c", 64, 2000);
        progress.step(String.format(Locale.ROOT, "API server ceiling: %.0f pod creates/s", ceiling));
        return ceiling;
    }

    /**
     * What the cluster does with the same pods without the controller: a bare client creates them (64 writers) on the
     * same node, which brings them to Running; pods per second from the first create sent to the last pod seen
     * Running. Every pod costs the node a status write and an Event besides its create, so this is the most any
     * controller can get from this cluster, and the start phase is compared with it.
     */
    static double pipelinePodsRunningPerSecond(KubernetesClient client, String node, int pods, Progress progress)
            throws Exception {
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-pipeline-" + pods);
        progress.step(String.format("Without the controller: %,d pods created on %s by a bare client", pods, node));
        try (NodeBenchmark.RunningWatch watch = new NodeBenchmark.RunningWatch(client, namespace)) {
            long started = System.nanoTime();
            ApiServerBenchmark.measure("create", 64, pods, i -> client.pods().inNamespace(namespace)
                    .resource(NodeBenchmark.pod(namespace, "p-" + i, node)).create());
            watch.await("p-", pods);
            double perSecond = pods / ((Collections.max(watch.runningAt.values()) - started) / 1e9);
            progress.step(String.format(Locale.ROOT, "  %,d pods Running at %.0f/s", pods, perSecond));
            return perSecond;
        } finally {
            NodeBenchmark.deleteNamespace(client, namespace, progress);
        }
    }

    private static Framework framework(String namespace, String name, int tasks, String node) {
        Framework framework = new Framework();
        framework.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        TaskRoleSpec role = new TaskRoleSpec();
        role.setName("worker");
        role.setTaskNumber(tasks);
        role.setFrameworkAttemptCompletionPolicy(new CompletionPolicySpec(1, -1));
        role.getTask().setPod(io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().valueToTree(Map.of("spec",
                Map.of("nodeName", node, "restartPolicy", "Never", "automountServiceAccountToken", false,
                        "enableServiceLinks", false, "containers", List.of(Map.of("name", "main",
                                "image", "capstan/benchmark", "command", List.of("sleep", "infinity")))))));
        framework.getSpec().getTaskRoles().add(role);
        return framework;
    }

    /** What the benchmark sees: when each pod appeared and ended, and when each Framework reflected what. */
    private static final class Observer implements AutoCloseable {
        final Map<String, Long> podCreated = new ConcurrentHashMap<>();
        final Map<String, Long> podEnded = new ConcurrentHashMap<>();
        final Map<String, Long> podRunning = new ConcurrentHashMap<>();
        final Map<String, Long> taskReflected = new ConcurrentHashMap<>();
        final Map<String, Long> frameworkRunning = new ConcurrentHashMap<>();
        final Map<String, Long> frameworkCompleted = new ConcurrentHashMap<>();
        /** When each Framework was first seen in each state: where the time of a phase goes. */
        final Map<FrameworkState, Map<String, Long>> reached = new ConcurrentHashMap<>();
        private final SharedIndexInformer<Pod> pods;
        private final SharedIndexInformer<Framework> frameworks;

        Observer(KubernetesClient client, String namespace) {
            // Paged lists, like the controller's informers: a one-shot re-LIST of 10,000 Frameworks timed out again
            // and again under load, and the benchmark stopped seeing progress.
            pods = client.pods().inNamespace(namespace).withLimit(500L).inform(new Seen<>(this::seePod));
            frameworks = client.resources(Framework.class).inNamespace(namespace).withLimit(500L)
                    .inform(new Seen<>(this::seeFramework));
        }

        private void seePod(Pod pod) {
            long now = System.nanoTime();
            podCreated.putIfAbsent(pod.getMetadata().getName(), now);
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if ("Running".equals(phase)) {
                podRunning.putIfAbsent(pod.getMetadata().getName(), now);
            }
            if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                podEnded.putIfAbsent(pod.getMetadata().getName(), now);
            }
        }

        private void seeFramework(Framework framework) {
            long now = System.nanoTime();
            var status = framework.getStatus();
            if (status == null) {
                return;
            }
            String name = framework.getMetadata().getName();
            reached.computeIfAbsent(status.state, k -> new ConcurrentHashMap<>()).putIfAbsent(name, now);
            if (status.state == FrameworkState.AttemptRunning && status.attemptStatus.taskRoleStatuses != null
                    && status.attemptStatus.taskRoleStatuses.stream().allMatch(r -> r.taskStatuses.stream()
                    .allMatch(t -> t.attemptStatus.podIP != null && !t.attemptStatus.podIP.isEmpty()))) {
                frameworkRunning.putIfAbsent(name, now);
            }
            if (status.state == FrameworkState.Completed) {
                frameworkCompleted.putIfAbsent(name, now);
            }
            if (status.attemptStatus.taskRoleStatuses == null) {
                return;
            }
            for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
                for (TaskStatus task : role.taskStatuses) {
                    if (task.attemptStatus.completionStatus != null) {
                        taskReflected.putIfAbsent(Names.podName(name, role.name, task.index), now);
                    }
                }
            }
        }

        /** For each state reached after {@code since}: seconds until half, and until all, of the Frameworks had it. */
        String timeline(long since, int frameworks, List<FrameworkState> states) {
            List<String> parts = new ArrayList<>();
            for (FrameworkState state : states) {
                List<Long> times = new ArrayList<>(reached.getOrDefault(state, Map.of()).values().stream()
                        .filter(t -> t >= since).toList());
                if (times.size() < frameworks) {
                    continue;
                }
                Collections.sort(times);
                parts.add(String.format(Locale.ROOT, "%s half %.1f s, all %.1f s", state,
                        (times.get(times.size() / 2) - since) / 1e9, (times.getLast() - since) / 1e9));
            }
            return String.join("; ", parts);
        }

        @Override
        public void close() {
            pods.close();
            frameworks.close();
        }
    }

    private static Result run(ControlPlane plane, KubernetesClient client, Size size, double ceiling, Progress progress)
            throws Exception {
        int frameworks = size.frameworks();
        int tasks = size.tasks();
        int pods = frameworks * tasks;
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-fw-" + frameworks + "x" + tasks);
        String node = "bench-fw-" + frameworks + "x" + tasks;
        MockProvider mock = new MockProvider(new MockProvider.Capacity(pods + 1000, "1000", "4Ti"), "127.0.0.1");
        var ca = plane.certificateAuthority();
        FrameworkConfig config = FrameworkConfig.defaults();
        try (Observer observer = new Observer(client, namespace);
                KubernetesClient nodeClient = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
                VirtualNode virtualNode = VirtualNode.start(nodeClient, VirtualNode.Config.defaults(node, mock,
                        ServingCertificate.issuedBy(ca, node, "127.0.0.1"), ca.certificate(), null),
                        new CompositeMeterRegistry())) {
            double pipeline = pipelinePodsRunningPerSecond(client, node, pods, progress);
            RequestCounter requests = new RequestCounter();
            Controller first = Controller.start(plane, namespace, config, requests);
            long writes;
            double startSeconds;
            double podsPerSecond;
            double podsRunningPerSecond;
            double heapPerThousand;
            try {
                // 1. start
                progress.step(String.format("Creating %,d Frameworks of %d tasks (%,d pods)", frameworks, tasks, pods));
                long started = System.nanoTime();
                ApiServerBenchmark.measure("framework create", 64, frameworks, i -> client.resources(Framework.class)
                        .inNamespace(namespace).resource(framework(namespace, "fw" + i, tasks, node)).create());
                await(() -> observer.frameworkRunning.size() >= frameworks, "all Frameworks running", progress,
                        () -> observer.frameworkRunning.size() + " of " + frameworks + " running, "
                                + observer.podCreated.size() + " pods");
                startSeconds = (System.nanoTime() - started) / 1e9;
                podsRunningPerSecond = pods / ((Collections.max(observer.podRunning.values()) - started) / 1e9);
                List<Long> createdTimes = new ArrayList<>(observer.podCreated.values());
                Collections.sort(createdTimes);
                double podSeconds = (createdTimes.getLast() - createdTimes.getFirst()) / 1e9;
                podsPerSecond = (pods - 1) / Math.max(podSeconds, 1e-3);
                progress.step(String.format(Locale.ROOT, "  %,d pods created in %.1f s (%.0f/s, %.0f %% of the ceiling); "
                        + "all Frameworks running after %.1f s", pods, podSeconds, podsPerSecond,
                        100 * podsPerSecond / ceiling, startSeconds));
                progress.step(String.format(Locale.ROOT, "  pods Running %.0f/s from the first Framework created to the "
                        + "last pod Running: %.0f %% of the same pods without the controller", podsRunningPerSecond,
                        100 * podsRunningPerSecond / pipeline));
                first.awaitIdle();
                // 2. heap: what the controller holds, i.e. what is freed when it stops
                long heapRunning = ApiServerBenchmark.usedHeapAfterGc();
                writes = first.statusWrites();
                first.close();
                long heapStopped = ApiServerBenchmark.usedHeapAfterGc();
                heapPerThousand = (double) Math.max(0, heapRunning - heapStopped) * 1000 / frameworks;
                progress.step(String.format(Locale.ROOT, "  controller heap: %.1f MiB per 1,000 running Frameworks",
                        heapPerThousand / (1024 * 1024)));
            } finally {
                first.close();
            }
            // A new controller takes over from the persisted statuses (restart recovery) for the rest.
            progress.step("Restarting the controller: it resumes from the Frameworks' statuses");
            try (Controller second = Controller.start(plane, namespace, config, requests)) {
                second.awaitIdle();

                // 3. latency: one task per Framework ends, paced
                int paced = Math.min(frameworks, 1000);
                // A quarter of the start phase's pod rate: a load the system sustains. No higher floor: at 10,000 x 1
                // the start phase ran 16 pods/s, and a floor of 10 Framework completions/s (each about 15 requests)
                // saturated the API server (~1 s per request), so the latency measured its queue, not the controller.
                double rate = Math.max(1, Math.min(100, podsPerSecond / 4));
                progress.step(String.format(Locale.ROOT, "Ending task 0 of %,d Frameworks at %.0f/s", paced, rate));
                long intervalNanos = (long) (1e9 / rate);
                long pacingStart = System.nanoTime();
                for (int i = 0; i < paced; i++) {
                    long wait = pacingStart + i * intervalNanos - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    mock.exitNow(namespace, Names.podName("fw" + i, "worker", 0), 0);
                }
                await(() -> countReflected(observer, paced) >= paced, "the ended tasks reflected", progress,
                        () -> countReflected(observer, paced) + " of " + paced + " reflected");
                List<Double> latencies = new ArrayList<>();
                for (int i = 0; i < paced; i++) {
                    String pod = Names.podName("fw" + i, "worker", 0);
                    Long ended = observer.podEnded.get(pod);
                    Long reflected = observer.taskReflected.get(pod);
                    if (ended != null && reflected != null) {
                        latencies.add(Math.max(0, reflected - ended) / 1e6);
                    }
                }
                Collections.sort(latencies);
                double p50 = NodeBenchmark.percentile(latencies, 0.50);
                double p99 = NodeBenchmark.percentile(latencies, 0.99);
                progress.step(String.format(Locale.ROOT, "  pod phase change → Framework status: p50 %.1f ms, p99 %.1f ms "
                        + "(%d samples)", p50, p99, latencies.size()));

                // 4. completion: every remaining task ends at once
                progress.step("Ending every remaining task at once");
                long completionStart = System.nanoTime();
                for (int i = 0; i < frameworks; i++) {
                    for (int t = 0; t < tasks; t++) {
                        if (t == 0 && i < paced) {
                            continue;
                        }
                        mock.exitNow(namespace, Names.podName("fw" + i, "worker", t), 0);
                    }
                }
                await(() -> observer.frameworkCompleted.size() >= frameworks, "all Frameworks completed", progress,
                        () -> observer.frameworkCompleted.size() + " of " + frameworks + " completed");
                double completionSeconds = (System.nanoTime() - completionStart) / 1e9;
                // With one task per Framework the paced ones already completed in the latency phase.
                int completing = tasks == 1 ? frameworks - paced : frameworks;
                double completedPerSecond = completing / completionSeconds;
                progress.step(String.format(Locale.ROOT, "  %,d Frameworks completed in %.1f s (%.1f/s)", completing,
                        completionSeconds, completedPerSecond));
                progress.step("  where the time went: " + observer.timeline(completionStart, completing, List.of(
                        FrameworkState.AttemptDeletionPending, FrameworkState.AttemptDeletionRequested,
                        FrameworkState.AttemptDeleting, FrameworkState.AttemptCompleted, FrameworkState.Completed)));
                progress.step("  the controller's requests per Framework: " + requests.perFramework(frameworks));
                return new Result(frameworks, tasks, ceiling, podsPerSecond, startSeconds, podsRunningPerSecond,
                        pipeline, rate, p50, p99, heapPerThousand,
                        completedPerSecond, writes + second.statusWrites());
            }
        } finally {
            NodeBenchmark.deleteNamespace(client, namespace, progress);
        }
    }

    /** The operator with the Framework module, with a client of its own, scoped to the benchmark's namespace. */
    private record Controller(Operator operator) implements AutoCloseable {

        static Controller start(ControlPlane plane, String namespace, FrameworkConfig config, RequestCounter requests)
                throws Exception {
            KubernetesClient client = KubeClients.builder(Config.fromKubeconfig(plane.kubeconfigYaml()),
                    http -> http.addOrReplaceInterceptor("count", requests)).build();
            return new Controller(Operator.start(client, List.of(new FrameworkModule(config)), new Operator.Settings(
                    new Manager.Settings(namespace, null, null, null, Duration.ofMinutes(5)), false, null)));
        }

        /** Waits until the work queue has stayed empty, with no reconcile in flight, for a second. */
        void awaitIdle() throws InterruptedException {
            long idleSince = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (System.nanoTime() - idleSince < 1_000_000_000L && System.nanoTime() < deadline) {
                if (queued() > 0) {
                    idleSince = System.nanoTime();
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }

        private double queued() {
            var registry = operator.manager().metrics().registry();
            return registry.get("workqueue.depth").tag("name", "framework").gauge().value()
                    + registry.get("controller.runtime.active.workers").tag("controller", "framework").gauge().value();
        }

        long statusWrites() {
            return (long) operator.manager().metrics().registry().get("capstan.framework.status.writes").counter().count();
        }

        @Override
        public void close() {
            operator.close();
        }
    }

    /** Counts a client's requests by method and resource, e.g. "PATCH frameworks/status". */
    static final class RequestCounter implements io.fabric8.kubernetes.client.http.Interceptor {
        private final Map<String, java.util.concurrent.atomic.LongAdder> counts = new ConcurrentHashMap<>();

        @Override
        public void before(io.fabric8.kubernetes.client.http.BasicBuilder builder,
                io.fabric8.kubernetes.client.http.HttpRequest request, RequestTags tags) {
            String path = request.uri().getPath();
            if ("GET".equals(request.method()) && request.uri().getQuery() != null
                    && request.uri().getQuery().contains("watch=true")) {
                return;
            }
            String[] parts = path.split("/");
            String resource = parts.length >= 2 && parts[parts.length - 1].equals("status")
                    ? parts[parts.length - 3] + "/status" : kind(parts);
            counts.computeIfAbsent(request.method() + " " + resource, k -> new java.util.concurrent.atomic.LongAdder())
                    .increment();
        }

        private static String kind(String[] parts) {
            for (String resource : List.of("frameworks", "pods", "configmaps", "events", "leases")) {
                for (String part : parts) {
                    if (part.equals(resource)) {
                        return resource;
                    }
                }
            }
            return String.join("/", parts);
        }

        String perFramework(int frameworks) {
            return new java.util.TreeMap<>(counts).entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.1f",
                    e.getKey(), e.getValue().doubleValue() / frameworks)).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    private static long countReflected(Observer observer, int paced) {
        long count = 0;
        for (int i = 0; i < paced; i++) {
            if (observer.taskReflected.containsKey(Names.podName("fw" + i, "worker", 0))) {
                count++;
            }
        }
        return count;
    }

    static void await(Supplier<Boolean> condition, String what, Progress progress, Supplier<String> status)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        long nextReport = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not happen within 30 minutes: " + status.get());
            }
            if (System.nanoTime() > nextReport) {
                progress.step("  ... " + status.get());
                nextReport = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
