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
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Kueue's scheduler performance scenario (kubernetes-sigs/kueue, test/performance/scheduler, "baseline"), against a
 * fresh embedded control plane with pods on a mock node: 5 cohorts of 6 ClusterQueues (20 CPUs nominal each, borrowing
 * limit 100, reclaim within the cohort, preemption of lower priorities within a queue), and per queue 70 % small
 * workloads (1 CPU, running 200 ms), 20 % medium (5 CPUs, 500 ms) and 10 % large (20 CPUs, 1 s), all created at once,
 * as AppWrappers around one pod and again as Frameworks of one task. Reported: wall time until all finished,
 * admissions per second, mean time from creation to admission per size, mean quota usage (sampled from the
 * ClusterQueues' status), API writes per admitted workload (the API server's own count, every writer in the cluster),
 * and the operator's heap per 1,000 pending workloads.
 */
public final class QueueBenchmark {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final int COHORTS = 5;
    private static final int QUEUES_PER_COHORT = 6;
    private static final int NOMINAL_CPUS = 20;

    private QueueBenchmark() {
    }

    public enum Kind { APPWRAPPERS, FRAMEWORKS }

    /** A workload size of the scenario. */
    private record Size(String name, int cpus, double runSeconds, int percent) {
    }

    private static final List<Size> SIZES = List.of(new Size("small", 1, 0.2, 70), new Size("medium", 5, 0.5, 20),
            new Size("large", 20, 1.0, 10));

    public record Result(Kind kind, int workloads, double wallSeconds, double admissionsPerSecond,
            Map<String, Double> meanSecondsToAdmission, double meanUsage, double writesPerWorkload,
            double heapBytesPerThousandPending) {

        public String row() {
            return String.format(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f %% | %.1f | %.1f |",
                    kind == Kind.APPWRAPPERS ? "AppWrappers" : "Frameworks", workloads, wallSeconds, admissionsPerSecond,
                    meanSecondsToAdmission.getOrDefault("small", Double.NaN),
                    meanSecondsToAdmission.getOrDefault("medium", Double.NaN),
                    meanSecondsToAdmission.getOrDefault("large", Double.NaN), 100 * meanUsage, writesPerWorkload,
                    heapBytesPerThousandPending / (1024 * 1024));
        }
    }

    public static String header() {
        return "| queued as | workloads | wall s | admissions/s | mean s to admission: small | medium | large "
                + "| mean quota usage | API writes/workload | heap MiB/1,000 pending |\n"
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
        int total = perQueue * COHORTS * QUEUES_PER_COHORT;
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
                List<String> names = new ArrayList<>();
                List<Object> objects = new ArrayList<>();
                for (int q = 0; q < COHORTS * QUEUES_PER_COHORT; q++) {
                    for (int i = 0; i < perQueue; i++) {
                        Size size = sizeOf(i, perQueue);
                        // Names without dashes, as Framework names must be.
                        String name = "q" + q + size.name().charAt(0) + i;
                        names.add(name);
                        objects.add(kind == Kind.APPWRAPPERS ? appWrapper(namespace, name, "lq-" + q, size, node)
                                : framework(namespace, name, "lq-" + q, size, node));
                        observer.sizeOf.put(name, size.name());
                    }
                }
                double writesBefore = apiWrites(client);
                progress.step(String.format(Locale.ROOT, "%s: creating %,d workloads in %d ClusterQueues of %d cohorts",
                        kind == Kind.APPWRAPPERS ? "AppWrappers" : "Frameworks", total, COHORTS * QUEUES_PER_COHORT,
                        COHORTS));
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
                ApiServerBenchmark.measure("workload create", 64, total, i -> {
                    observer.createdAt.put(names.get(i), System.nanoTime());
                    client.resource((HasMetadata) objects.get(i)).create();
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
                            .filter(e -> size.name().equals(observer.sizeOf.get(e.getKey())))
                            .mapToDouble(e -> (e.getValue() - observer.createdAt.get(e.getKey())) / 1e9).average()
                            .orElse(Double.NaN));
                }
                double meanUsage = usage.stream().mapToDouble(Double::doubleValue).filter(u -> u > 0).average().orElse(0);
                progress.step(String.format(Locale.ROOT, "  all %,d finished after %.1f s: %.1f admissions/s, mean "
                        + "quota usage %.0f %%, %.1f API writes per workload", total, wall, total / wall, 100 * meanUsage,
                        writes / total));
                observer.close();

                double heap = pendingHeap(client, namespace, kind, node, running, progress);
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

    /** Size of the i-th workload of a queue: small, medium and large interleaved 70/20/10. */
    private static Size sizeOf(int i, int perQueue) {
        int slot = i % 10;
        return slot < 7 ? SIZES.get(0) : slot < 9 ? SIZES.get(1) : SIZES.get(2);
    }

    private static void createQueues(KubernetesClient client, String namespace) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ResourceFlavor
                metadata: {name: bench-flavor}
                """);
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
                  labels: {kueue.x-k8s.io/queue-name: %s}
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
                """.formatted(name, namespace, queue, name, size.runSeconds(), node, size.cpus()), AppWrapper.class);
    }

    private static Framework framework(String namespace, String name, String queue, Size size, String node) {
        return SERIALIZATION.unmarshal("""
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: %s}
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
                """.formatted(name, namespace, queue, size.runSeconds(), node, size.cpus()),
                Framework.class);
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

    /** The operator's heap per 1,000 workloads that wait (behind a stopped ClusterQueue). */
    private static double pendingHeap(KubernetesClient client, String namespace, Kind kind, String node,
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
        ApiServerBenchmark.measure("pending create", 64, pending, i -> client.resource(kind == Kind.APPWRAPPERS
                ? appWrapper(namespace, "held" + i, "lq-held", SIZES.getFirst(), node)
                : framework(namespace, "held" + i, "lq-held", SIZES.getFirst(), node)).create());
        var workloads = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace);
        FrameworkBenchmark.await(() -> workloads.list().getItems().stream()
                .filter(w -> w.getMetadata().getName().contains("held")).count() >= pending, "every held workload queued",
                progress, () -> "waiting for the Workloads");
        long heapRunning = ApiServerBenchmark.usedHeapAfterGc();
        running.getAndSet(null).close();
        long heapStopped = ApiServerBenchmark.usedHeapAfterGc();
        double perThousand = (double) Math.max(0, heapRunning - heapStopped) * 1000 / pending;
        progress.step(String.format(Locale.ROOT, "  operator heap: %.1f MiB per 1,000 pending workloads",
                perThousand / (1024 * 1024)));
        return perThousand;
    }

    /** Watches the workloads: when each was admitted (unsuspended, or its Framework annotated) and finished. */
    private static final class Observer implements AutoCloseable {
        final Map<String, Long> createdAt = new ConcurrentHashMap<>();
        final Map<String, Long> admittedAt = new ConcurrentHashMap<>();
        final Map<String, String> sizeOf = new ConcurrentHashMap<>();
        final java.util.Set<String> finished = ConcurrentHashMap.newKeySet();
        private final SharedIndexInformer<?> informer;

        Observer(KubernetesClient client, String namespace, Kind kind) {
            if (kind == Kind.APPWRAPPERS) {
                informer = client.resources(AppWrapper.class).inNamespace(namespace).inform(handler(
                        aw -> !aw.getSpec().suspended() && aw.getSpec().components.getFirst().podSetInfos != null,
                        aw -> aw.getStatus() != null && "Succeeded".equals(aw.getStatus().phase),
                        aw -> aw.getMetadata().getName()));
            } else {
                informer = client.resources(Framework.class).inNamespace(namespace).inform(handler(
                        fw -> fw.getMetadata().getAnnotations() != null
                                && fw.getMetadata().getAnnotations().containsKey("capstan.io/admission"),
                        fw -> fw.getStatus() != null && fw.getStatus().state == FrameworkState.Completed,
                        fw -> fw.getMetadata().getName()));
            }
        }

        private <T extends HasMetadata> ResourceEventHandler<T> handler(Predicate<T> admitted, Predicate<T> done,
                java.util.function.Function<T, String> nameOf) {
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
                    String name = nameOf.apply(object);
                    if (admitted.test(object)) {
                        admittedAt.putIfAbsent(name, System.nanoTime());
                    }
                    if (done.test(object)) {
                        admittedAt.putIfAbsent(name, System.nanoTime());
                        finished.add(name);
                    }
                }
            };
        }

        @Override
        public void close() {
            informer.stop();
        }
    }
}
