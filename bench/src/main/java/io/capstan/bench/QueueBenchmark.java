package io.capstan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.AppWrapperModule;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.Progress;
import io.capstan.framework.FrameworkModule;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.queue.QueueModule;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.client.RawRequests;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Kueue's scheduler performance scenario (kubernetes-sigs/kueue, test/performance/scheduler, configs/baseline) against
 * a fresh embedded control plane: 5 cohorts of 6 ClusterQueues (20 CPUs nominal each, borrowing limit 100, reclaim
 * within the cohort, preemption of lower priorities within a queue); per queue 350 small workloads (1 CPU, running
 * 200 ms, priority 50) created one every 100 ms, 100 medium (5 CPUs, 500 ms, priority 100) one every 500 ms and 50
 * large (20 CPUs, 1 s, priority 200) one every 1.2 s, the three series and all queues at once.
 *
 * <p>Queued three ways: as Kueue's own harness does it — Workload objects created directly and a runner that marks
 * each Finished when its run time after admission is up, no pod at all — and end to end, as AppWrappers around one pod
 * and as Frameworks of one task, whose pods a mock node runs. Reported: wall time until all finished, admissions per
 * second, mean time from creation to admission per size, mean quota usage (sampled from the ClusterQueues' status),
 * API writes per workload (the API server's own count, every writer in the cluster), and the operator's heap per 1,000
 * pending workloads.
 */
public final class QueueBenchmark {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final int COHORTS = 5;
    private static final int QUEUES_PER_COHORT = 6;
    private static final int NOMINAL_CPUS = 20;
    /** Kueue's scenario has 500 workloads per queue; a smaller run keeps the mix and the creation intervals. */
    private static final int SCENARIO_PER_QUEUE = 500;
    private static final String RUN_MILLIS_LABEL = "bench.capstan.io/run-ms";

    private QueueBenchmark() {
    }

    public enum Kind {
        /** Workload objects and a runner that finishes them, as Kueue's harness (no pods). */
        WORKLOADS("Workloads, simulated run"),
        APPWRAPPERS("AppWrappers, mock-node pods"),
        FRAMEWORKS("Frameworks, mock-node pods");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** A workload class of the scenario: how many per queue (of 500), created how often, what it asks and runs. */
    private record Size(String name, int perQueue, int creationIntervalMillis, int cpus, int runMillis, int priority) {
    }

    private static final List<Size> SIZES = List.of(new Size("small", 350, 100, 1, 200, 50),
            new Size("medium", 100, 500, 5, 500, 100), new Size("large", 50, 1200, 20, 1000, 200));

    /** One workload of the run: when it is created (from the start), its name and class. */
    private record Planned(long atMillis, String name, String queue, Size size) {
    }

    public record Result(Kind kind, int workloads, double wallSeconds, double admissionsPerSecond,
            Map<String, Double> meanSecondsToAdmission, double meanUsage, double writesPerWorkload,
            double heapBytesPerThousandWorkloads) {

        public String row() {
            return String.format(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f %% | %.1f | %.1f |",
                    kind.label, workloads, wallSeconds, admissionsPerSecond,
                    meanSecondsToAdmission.getOrDefault("small", Double.NaN),
                    meanSecondsToAdmission.getOrDefault("medium", Double.NaN),
                    meanSecondsToAdmission.getOrDefault("large", Double.NaN), 100 * meanUsage, writesPerWorkload,
                    heapBytesPerThousandWorkloads / (1024 * 1024));
        }
    }

    public static String header() {
        return "| queued as | workloads | wall s | admissions/s | mean s to admission: small | medium | large "
                + "| mean quota usage | API writes/workload | heap MiB/1,000 workloads |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    }

    public static List<Result> runOnFreshCluster(int perQueue, List<Kind> kinds, Progress progress) throws Exception {
        List<Result> results = new ArrayList<>();
        for (Kind kind : kinds) {
            // A fresh control plane per kind: the second run must not pay for the first one's history.
            try (FreshCluster cluster = FreshCluster.start("queue", false, progress)) {
                results.add(run(cluster.plane, cluster.client, kind, perQueue, progress));
                progress.step(results.getLast().row());
            }
        }
        return results;
    }

    private static Result run(ControlPlane plane, KubernetesClient client, Kind kind, int perQueue, Progress progress)
            throws Exception {
        List<Planned> plan = plan(perQueue);
        int total = plan.size();
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-queue");
        String node = "bench-queue";
        MockProvider mock = new MockProvider(new MockProvider.Capacity(total + 1000, "100000", "4Ti"), "127.0.0.1");
        var ca = plane.certificateAuthority();
        try (KubernetesClient nodeClient = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
                VirtualNode virtualNode = VirtualNode.start(nodeClient, VirtualNode.Config.defaults(node, mock,
                        ServingCertificate.issuedBy(ca, node, "127.0.0.1"), ca.certificate(), null),
                        new CompositeMeterRegistry())) {
            KubernetesClient operatorClient = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
            var running = new java.util.concurrent.atomic.AtomicReference<>(Operator.start(operatorClient, List.of(
                    new AppWrapperModule(), new FrameworkModule(), new QueueModule()), new Operator.Settings(
                    new Manager.Settings(null, null, null, null, Duration.ofMinutes(5)), true, null)));
            try {
                createQueues(client, namespace);
                Observer observer = new Observer(client, namespace, kind);
                plan.forEach(p -> observer.sizeOf.put(p.name(), p.size()));
                double writesBefore = apiWrites(client);
                progress.step(String.format(Locale.ROOT, "%s: creating %,d workloads in %d ClusterQueues of %d cohorts "
                        + "over %.0f s", kind.label, total, COHORTS * QUEUES_PER_COHORT, COHORTS,
                        plan.getLast().atMillis() / 1000.0));
                long started = System.nanoTime();
                AtomicBoolean sampling = new AtomicBoolean(true);
                List<Double> usage = new ArrayList<>();
                Thread sampler = Thread.ofVirtual().start(() -> {
                    while (sampling.get()) {
                        usage.add(usage(client));
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                createOnSchedule(plan, started, p -> {
                    observer.createdAt.put(p.name(), System.nanoTime());
                    client.resource(object(kind, namespace, p.name(), p.queue(), p.size(), node)).create();
                });
                FrameworkBenchmark.await(() -> observer.finished.size() >= total, "all workloads finished", progress,
                        () -> String.format(Locale.ROOT, "%,d admitted, %,d finished of %,d", observer.admittedAt.size(),
                                observer.finished.size(), total));
                double wall = (System.nanoTime() - started) / 1e9;
                sampling.set(false);
                sampler.join();
                double writes = apiWrites(client) - writesBefore;
                Map<String, Double> toAdmission = new java.util.TreeMap<>();
                for (Size size : SIZES) {
                    toAdmission.put(size.name(), observer.admittedAt.entrySet().stream()
                            .filter(e -> size.equals(observer.sizeOf.get(e.getKey())))
                            .mapToDouble(e -> (e.getValue() - observer.createdAt.get(e.getKey())) / 1e9).average()
                            .orElse(Double.NaN));
                }
                double meanUsage = usage.stream().mapToDouble(Double::doubleValue).filter(u -> u > 0).average().orElse(0);
                progress.step(String.format(Locale.ROOT, "  all %,d finished after %.1f s: %.1f admissions/s, mean "
                        + "quota usage %.0f %%, %.1f API writes per workload", total, wall, total / wall, 100 * meanUsage,
                        writes / total));
                observer.close();

                double heap = pendingHeap(client, namespace, kind, node, total, running, progress);
                return new Result(kind, total, wall, total / wall, toAdmission, meanUsage, writes / total, heap);
            } finally {
                Operator operator = running.getAndSet(null);
                if (operator != null) {
                    operator.close();
                }
                operatorClient.close();
            }
        }
    }

    /** The scenario's workloads in creation order: per queue, each class one every interval, all series at once. */
    private static List<Planned> plan(int perQueue) {
        List<Planned> plan = new ArrayList<>();
        for (int q = 0; q < COHORTS * QUEUES_PER_COHORT; q++) {
            for (Size size : SIZES) {
                int count = Math.max(1, Math.round((float) size.perQueue() * perQueue / SCENARIO_PER_QUEUE));
                for (int i = 0; i < count; i++) {
                    // Names without dashes, as Framework names must be.
                    plan.add(new Planned((long) i * size.creationIntervalMillis(), "q" + q + size.name().charAt(0) + i,
                            "lq-" + q, size));
                }
            }
        }
        plan.sort(Comparator.comparingLong(Planned::atMillis));
        return plan;
    }

    /**
     * Creates each planned workload at its time, by up to 64 writers: when the API server cannot keep up, creation runs
     * behind the plan rather than piling up requests.
     */
    private static void createOnSchedule(List<Planned> plan, long startedNanos, Consumer<Planned> create)
            throws Exception {
        Semaphore writers = new Semaphore(64);
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Planned planned : plan) {
                long wait = startedNanos + planned.atMillis() * 1_000_000 - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                writers.acquire();
                executor.submit(() -> {
                    try {
                        create.accept(planned);
                    } catch (RuntimeException e) {
                        failed.compareAndSet(null, e);
                    } finally {
                        writers.release();
                    }
                });
                if (failed.get() != null) {
                    break;
                }
            }
        }
        if (failed.get() != null) {
            throw new IllegalStateException("creating the benchmark's workloads failed: " + failed.get().getMessage(),
                    failed.get());
        }
    }

    private static HasMetadata object(Kind kind, String namespace, String name, String queue, Size size, String node) {
        return switch (kind) {
            case WORKLOADS -> workload(namespace, name, queue, size);
            case APPWRAPPERS -> appWrapper(namespace, name, queue, size, node);
            case FRAMEWORKS -> framework(namespace, name, queue, size, node);
        };
    }

    private static void createQueues(KubernetesClient client, String namespace) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ResourceFlavor
                metadata: {name: bench-flavor}
                """);
        for (Size size : SIZES) {
            yaml.append("""
                    ---
                    apiVersion: kueue.x-k8s.io/v1beta2
                    kind: WorkloadPriorityClass
                    metadata: {name: bench-%s}
                    value: %d
                    """.formatted(size.name(), size.priority()));
        }
        for (int q = 0; q < COHORTS * QUEUES_PER_COHORT; q++) {
            yaml.append("""
                    ---
                    apiVersion: kueue.x-k8s.io/v1beta2
                    kind: ClusterQueue
                    metadata: {name: cq-%d}
                    spec:
                      cohortName: cohort-%d
                      namespaceSelector: {}
                      preemption: {withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}
                      resourceGroups:
                      - coveredResources: [cpu]
                        flavors:
                        - name: bench-flavor
                          resources: [{name: cpu, nominalQuota: %d, borrowingLimit: 100}]
                    ---
                    apiVersion: kueue.x-k8s.io/v1beta2
                    kind: LocalQueue
                    metadata: {name: lq-%d, namespace: %s}
                    spec: {clusterQueue: cq-%d}
                    """.formatted(q, q / QUEUES_PER_COHORT, NOMINAL_CPUS, q, namespace, q));
        }
        for (var object : client.load(new java.io.ByteArrayInputStream(yaml.toString().getBytes(
                java.nio.charset.StandardCharsets.UTF_8))).items()) {
            client.resource(object).serverSideApply();
        }
    }

    private static AppWrapper appWrapper(String namespace, String name, String queue, Size size, String node) {
        return SERIALIZATION.unmarshal("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: %s, kueue.x-k8s.io/priority-class: bench-%s}
                spec:
                  components:
                  - template:
                      apiVersion: v1
                      kind: Pod
                      metadata:
                        name: %s
                        annotations: {mock.capstan.io/run-seconds: "%s"}
                      spec:
                        nodeName: %s
                        restartPolicy: Never
                        containers: [{name: main, image: bench, resources: {requests: {cpu: "%d"}}}]
                """.formatted(name, namespace, queue, size.name(), name, size.runMillis() / 1000.0, node, size.cpus()),
                AppWrapper.class);
    }

    private static Framework framework(String namespace, String name, String queue, Size size, String node) {
        return SERIALIZATION.unmarshal("""
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: %s, kueue.x-k8s.io/priority-class: bench-%s}
                spec:
                  executionType: Start
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                  taskRoles:
                  - name: main
                    taskNumber: 1
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: 1}
                    task:
                      retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                      pod:
                        metadata:
                          annotations: {mock.capstan.io/run-seconds: "%s"}
                        spec:
                          nodeName: %s
                          restartPolicy: Never
                          containers: [{name: main, image: bench, resources: {requests: {cpu: "%d"}}}]
                """.formatted(name, namespace, queue, size.name(), size.runMillis() / 1000.0, node, size.cpus()),
                Framework.class);
    }

    /** A Workload as Kueue's harness creates it: no owner, its run time in a label for the runner. */
    private static HasMetadata workload(String namespace, String name, String queue, Size size) {
        return SERIALIZATION.unmarshal("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: Workload
                metadata:
                  name: %s
                  namespace: %s
                  labels: {%s: "%d"}
                spec:
                  queueName: %s
                  priority: %d
                  priorityClassRef: {group: kueue.x-k8s.io, kind: WorkloadPriorityClass, name: bench-%s}
                  podSets:
                  - name: main
                    count: 1
                    template:
                      spec:
                        restartPolicy: Never
                        containers: [{name: main, image: bench, resources: {requests: {cpu: "%d"}}}]
                """.formatted(name, namespace, RUN_MILLIS_LABEL, size.runMillis(), queue, size.priority(), size.name(),
                size.cpus()), GenericKubernetesResource.class);
    }

    /** Used CPU of all ClusterQueues over their nominal quota, from their status. */
    private static double usage(KubernetesClient client) {
        double used = 0;
        for (var queue : client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).list().getItems()) {
            JsonNode status = SERIALIZATION.convertValue(queue, JsonNode.class).path("status");
            for (JsonNode flavor : status.path("flavorsUsage")) {
                for (JsonNode resource : flavor.path("resources")) {
                    if ("cpu".equals(resource.path("name").asText())) {
                        used += io.capstan.queue.model.Resources.milli(resource.path("total").asText("0")) / 1000.0;
                    }
                }
            }
        }
        return used / (COHORTS * QUEUES_PER_COHORT * NOMINAL_CPUS);
    }

    /** Every write the API server answered (POST, PUT, PATCH, DELETE), by its own metrics. */
    static double apiWrites(KubernetesClient client) {
        double total = 0;
        for (String line : client.raw("/metrics").split("\n")) {
            if (line.startsWith("apiserver_request_total{") && (line.contains("verb=\"POST\"")
                    || line.contains("verb=\"PUT\"") || line.contains("verb=\"PATCH\"") || line.contains("verb=\"DELETE\""))) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    /**
     * The operator's heap per 1,000 workloads it knows, once 2,000 more wait behind a held ClusterQueue: all it keeps
     * (its caches of the run's finished workloads and of the waiting ones), after GC, running minus stopped.
     */
    private static double pendingHeap(KubernetesClient client, String namespace, Kind kind, String node, int ran,
            java.util.concurrent.atomic.AtomicReference<Operator> running, Progress progress) throws Exception {
        int pending = 2000;
        client.resource(SERIALIZATION.unmarshal("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ClusterQueue
                metadata: {name: cq-held}
                spec:
                  namespaceSelector: {}
                  stopPolicy: Hold
                  resourceGroups:
                  - coveredResources: [cpu]
                    flavors: [{name: bench-flavor, resources: [{name: cpu, nominalQuota: 1}]}]
                """, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)).serverSideApply();
        client.resource(SERIALIZATION.unmarshal("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: lq-held, namespace: %s}
                spec: {clusterQueue: cq-held}
                """.formatted(namespace), io.fabric8.kubernetes.api.model.GenericKubernetesResource.class))
                .serverSideApply();
        progress.step(String.format(Locale.ROOT, "  heap: %,d workloads waiting behind a held ClusterQueue", pending));
        ApiServerBenchmark.measure("pending create", 64, pending, i -> client.resource(object(kind, namespace,
                "held" + i, "lq-held", SIZES.getFirst(), node)).create());
        var workloads = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace);
        // From the watch cache (resourceVersion 0): a list from etcd of this many Workloads outlasts the timeout.
        FrameworkBenchmark.await(() -> workloads.list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder()
                .withResourceVersion("0").build()).getItems().stream()
                .filter(w -> w.getMetadata().getName().contains("held")).count() >= pending, "every held workload queued",
                progress, () -> "waiting for the Workloads");
        long heapRunning = ApiServerBenchmark.usedHeapAfterGc();
        running.getAndSet(null).close();
        long heapStopped = ApiServerBenchmark.usedHeapAfterGc();
        // Per workload the operator knows: the run's finished ones stay in its caches as long as they exist.
        int known = pending + ran;
        double perThousand = (double) Math.max(0, heapRunning - heapStopped) * 1000 / known;
        progress.step(String.format(Locale.ROOT, "  operator heap: %.1f MiB per 1,000 workloads (%,d finished, %,d "
                + "pending)", perThousand / (1024 * 1024), ran, pending));
        return perThousand;
    }

    /**
     * Watches the workloads: when each was admitted (the Workload's {@code Admitted} condition, the AppWrapper
     * unsuspended, or the Framework given its admission annotation) and finished. For bare Workloads it is also the
     * runner, as in Kueue's harness: a Workload admitted is marked {@code Finished} when its run time is up.
     */
    private static final class Observer implements AutoCloseable {
        final Map<String, Long> createdAt = new ConcurrentHashMap<>();
        final Map<String, Long> admittedAt = new ConcurrentHashMap<>();
        final Map<String, Size> sizeOf = new ConcurrentHashMap<>();
        final java.util.Set<String> finished = ConcurrentHashMap.newKeySet();
        private final SharedIndexInformer<?> informer;
        private final KubernetesClient client;
        /** Admissions the runner has a finish planned for, by name and admission time. */
        private final java.util.Set<String> running = ConcurrentHashMap.newKeySet();
        private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        private final ExecutorService finishers = Executors.newVirtualThreadPerTaskExecutor();

        Observer(KubernetesClient client, String namespace, Kind kind) {
            this.client = client;
            informer = switch (kind) {
                case WORKLOADS -> client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace).inform(
                        handler(w -> admittedSince(w) != null, w -> condition(w, "Finished"), w -> {
                            String since = admittedSince(w);
                            if (since != null && !condition(w, "Finished") && running.add(w.getMetadata().getName()
                                    + "@" + since)) {
                                int runMillis = Integer.parseInt(w.getMetadata().getLabels().get(RUN_MILLIS_LABEL));
                                timers.schedule(() -> finishers.submit(() -> finish(w, since)), runMillis,
                                        TimeUnit.MILLISECONDS);
                            }
                        }));
                case APPWRAPPERS -> client.resources(AppWrapper.class).inNamespace(namespace).inform(handler(
                        aw -> !aw.getSpec().suspended() && aw.getSpec().components.getFirst().podSetInfos != null,
                        aw -> aw.getStatus() != null && "Succeeded".equals(aw.getStatus().phase), aw -> { }));
                case FRAMEWORKS -> client.resources(Framework.class).inNamespace(namespace).inform(handler(
                        fw -> fw.getMetadata().getAnnotations() != null
                                && fw.getMetadata().getAnnotations().containsKey("capstan.io/admission"),
                        fw -> fw.getStatus() != null && fw.getStatus().state == FrameworkState.Completed, fw -> { }));
            };
        }

        /** The Admitted condition's transition time while it is True, else null. */
        private static String admittedSince(GenericKubernetesResource workload) {
            for (JsonNode condition : SERIALIZATION.convertValue(workload, JsonNode.class).path("status")
                    .path("conditions")) {
                if ("Admitted".equals(condition.path("type").asText())) {
                    return "True".equals(condition.path("status").asText())
                            ? condition.path("lastTransitionTime").asText() : null;
                }
            }
            return null;
        }

        private static boolean condition(GenericKubernetesResource workload, String type) {
            for (JsonNode condition : SERIALIZATION.convertValue(workload, JsonNode.class).path("status")
                    .path("conditions")) {
                if (type.equals(condition.path("type").asText())) {
                    return "True".equals(condition.path("status").asText());
                }
            }
            return false;
        }

        /** Marks the Workload Finished, unless it was evicted (preempted) in the meantime. */
        private void finish(GenericKubernetesResource admitted, String since) {
            @SuppressWarnings("unchecked")
            var store = ((SharedIndexInformer<GenericKubernetesResource>) informer).getStore();
            GenericKubernetesResource now = store.get(admitted);
            String key = admitted.getMetadata().getName() + "@" + since;
            if (now == null || !since.equals(admittedSince(now)) || condition(now, "Evicted")) {
                // Preempted before its time was up: admitted again (even within the same second), it runs again.
                running.remove(key);
                return;
            }
            var patch = SERIALIZATION.asJson(List.of(
                    Map.of("op", "test", "path", "/metadata/uid", "value", now.getMetadata().getUid()),
                    Map.of("op", "add", "path", "/status/conditions/-", "value", Map.of("type", "Finished",
                            "status", "True", "reason", "ByTest", "message", "Run time is up (the benchmark's runner)",
                            "lastTransitionTime", java.time.Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()))));
            try {
                RawRequests.write(client, "PATCH", RawRequests.path(Kueue.WORKLOADS.getGroup(),
                        Kueue.WORKLOADS.getVersion(), Kueue.WORKLOADS.getPlural(), now.getMetadata().getNamespace(),
                        now.getMetadata().getName()) + "/status", RawRequests.JSON_PATCH, patch);
            } catch (RuntimeException e) {
                System.err.println("runner: marking " + key + " Finished failed, trying again in a second: "
                        + e.getMessage());
                timers.schedule(() -> finishers.submit(() -> finish(admitted, since)), 1, TimeUnit.SECONDS);
            }
        }

        private <T extends HasMetadata> ResourceEventHandler<T> handler(Predicate<T> admitted, Predicate<T> done,
                Consumer<T> alsoOnChange) {
            return new ResourceEventHandler<>() {
                @Override
                public void onAdd(T object) {
                    seen(object);
                }

                @Override
                public void onUpdate(T oldObject, T newObject) {
                    seen(newObject);
                }

                @Override
                public void onDelete(T object, boolean deletedFinalStateUnknown) {
                }

                private void seen(T object) {
                    if (object.getMetadata().getName().startsWith("held")) {
                        return;
                    }
                    String name = object.getMetadata().getName();
                    if (admitted.test(object)) {
                        admittedAt.putIfAbsent(name, System.nanoTime());
                    }
                    if (done.test(object)) {
                        admittedAt.putIfAbsent(name, System.nanoTime());
                        finished.add(name);
                    }
                    alsoOnChange.accept(object);
                }
            };
        }

        @Override
        public void close() {
            informer.stop();
            timers.shutdownNow();
            finishers.shutdownNow();
        }
    }
}
