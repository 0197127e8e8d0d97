package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.KubernetesBinaries;
import io.capstan.cluster.Progress;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.informer.Informers;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.lang.management.ManagementFactory;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The raw ceiling of the API server on this machine, measured with an uncapped fabric8 client: pod create, status
 * update and delete throughput with 1, 8 and 64 concurrent writers, and how long a fresh informer takes to list
 * 10,000 pods and how much heap each cached pod costs. Every other benchmark reports its throughput as a ratio to
 * these figures, measured in the same run.
 *
 * <p>Benchmark pods name a scheduler that does not exist, so neither kube-scheduler nor any node touches them and
 * only the benchmark's own writes reach the API server.
 */
public final class ApiServerBenchmark {

    public static final String UNSCHEDULED = "capstan-benchmark-unscheduled";
    public static final List<Integer> WRITERS = List.of(1, 8, 64);

    private ApiServerBenchmark() {
    }

    /** One measured phase. */
    public record Throughput(String operation, int writers, int count, double seconds) {
        public double perSecond() {
            return count / seconds;
        }
    }

    /**
     * @param listFromEtcdSeconds one LIST of every pod in pages of 500 without a resourceVersion (fabric8's informers
     *     until 2026-11-30), answers not decoded; the best of three
     * @param listFromCacheSeconds the same with {@code resourceVersion=0}, answered from the watch cache (client-go's,
     *     and now Capstan's, first list)
     */
    public record Report(List<Throughput> writes, int informerPods, double informerSyncSeconds, double heapBytesPerPod,
            double listFromEtcdSeconds, double listFromCacheSeconds) {

        /** The best throughput of an operation over the writer counts: the ceiling other benchmarks compare with. */
        public double ceiling(String operation) {
            return writes.stream().filter(w -> w.operation().equals(operation)).mapToDouble(Throughput::perSecond)
                    .max().orElseThrow();
        }

        public String toMarkdown() {
            StringBuilder out = new StringBuilder();
            out.append("| operation | writers | objects | seconds | objects/s |\n|---|---:|---:|---:|---:|\n");
            for (Throughput w : writes) {
                out.append(String.format(Locale.ROOT, "| %s | %d | %d | %.2f | %.0f |%n", w.operation(), w.writers(),
                        w.count(), w.seconds(), w.perSecond()));
            }
            out.append(String.format(Locale.ROOT, "%nInformer cold sync of %,d pods: %.2f s; heap per cached pod: %.1f KB%n",
                    informerPods, informerSyncSeconds, heapBytesPerPod / 1024));
            out.append(String.format(Locale.ROOT, "LIST of %,d pods, answers not decoded: %.2f s from etcd in pages of "
                    + "500, %.2f s from the watch cache%n", informerPods, listFromEtcdSeconds, listFromCacheSeconds));
            return out.toString();
        }
    }

    /** Starts a fresh embedded control plane in a temporary directory, measures, and removes it again. */
    public static Report runOnFreshCluster(int pods, int informerPods, Progress progress) throws Exception {
        Path state = Files.createTempDirectory("capstan-bench-");
        try (ControlPlane plane = ControlPlane.start(ControlPlane.Spec.of(state, KubernetesBinaries.locate(progress))
                .withProgress(progress));
                KubernetesClient client = client(plane)) {
            return run(client, pods, informerPods, progress);
        } finally {
            deleteTree(state);
        }
    }

    /**
     * An uncapped client for a control plane's admin kubeconfig, the raw ceiling's writer. It speaks HTTP/1.1, not
     * the HTTP/2 Capstan's components speak: over warm connections the server answered a bare writer's status
     * updates 4–15 % faster over HTTP/1.1 (three runs each of {@code ./capstan bench apiserver}), so the ceiling is
     * the higher.
     */
    public static KubernetesClient client(ControlPlane plane) {
        Config http11 = new ConfigBuilder(Config.fromKubeconfig(plane.kubeconfigYaml())).withHttp2Disable(true).build();
        return KubeClients.create(http11, 0, 0);
    }

    public static Report run(KubernetesClient client, int pods, int informerPods, Progress progress) throws Exception {
        String namespace = "capstan-bench-apiserver";
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .serverSideApply();
        awaitDefaultServiceAccount(client, namespace);
        List<Throughput> writes = new ArrayList<>();
        for (int writers : WRITERS) {
            writes.add(measureCreates(client, namespace, "w" + writers, writers, pods));
            progress.step(describe(writes.getLast()));
            writes.add(measureStatusUpdates(client, namespace, "w" + writers, writers, pods));
            progress.step(describe(writes.getLast()));
            writes.add(measureDeletes(client, namespace, "w" + writers, writers, pods));
            progress.step(describe(writes.getLast()));
        }
        progress.step("Creating " + informerPods + " pods for the informer measurement");
        measureCreates(client, namespace, "inf", 64, informerPods);
        double fromEtcd = bestOfThree(() -> listPods(client, namespace, false));
        double fromCache = bestOfThree(() -> listPods(client, namespace, true));
        progress.step(String.format(Locale.ROOT, "LIST of %,d pods: %.2f s from etcd in pages of 500, %.2f s from the "
                + "watch cache", informerPods, fromEtcd, fromCache));
        double[] informer = measureInformer(client, namespace, informerPods);
        progress.step(String.format(Locale.ROOT, "informer cold sync %.2f s, %.1f KB heap per pod", informer[0],
                informer[1] / 1024));
        measureDeletes(client, namespace, "inf", 64, informerPods);
        return new Report(writes, informerPods, informer[0], informer[1], fromEtcd, fromCache);
    }

    private static String describe(Throughput w) {
        return String.format(Locale.ROOT, "%-14s %2d writers: %,6d in %6.2f s = %,7.0f/s", w.operation(), w.writers(),
                w.count(), w.seconds(), w.perSecond());
    }

    public static Pod benchPod(String namespace, String name) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name)
                .addToLabels("capstan.io/benchmark", "apiserver").endMetadata()
                .withNewSpec().withSchedulerName(UNSCHEDULED).withAutomountServiceAccountToken(false)
                .addNewContainer().withName("main").withImage("capstan/benchmark").withCommand("true").endContainer()
                .endSpec().build();
    }

    // The ceiling is the server's, not the client's: requests go through the client's HTTP stack but the answers are
    // not decoded into objects (decoding cost the client, on the same cores, a large share of the server's speed).

    public static Throughput measureCreates(KubernetesClient client, String namespace, String prefix, int writers, int count)
            throws Exception {
        String path = RawRequests.path(Pod.class, namespace, null);
        return measure("pod create", writers, count, i -> RawRequests.write(client, "POST", path, RawRequests.JSON,
                client.getKubernetesSerialization().asJson(benchPod(namespace, prefix + "-" + i))));
    }

    public static Throughput measureStatusUpdates(KubernetesClient client, String namespace, String prefix, int writers,
            int count) throws Exception {
        return measure("status update", writers, count, i -> RawRequests.write(client, "PATCH",
                RawRequests.path(Pod.class, namespace, prefix + "-" + i) + "/status", RawRequests.MERGE_PATCH,
                "{\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.0.1\",\"conditions\":[{\"type\":\"Ready\","
                        + "\"status\":\"True\"}]}}"));
    }

    public static Throughput measureDeletes(KubernetesClient client, String namespace, String prefix, int writers, int count)
            throws Exception {
        return measure("pod delete", writers, count, i -> RawRequests.write(client, "DELETE",
                RawRequests.path(Pod.class, namespace, prefix + "-" + i), RawRequests.JSON,
                "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0}"));
    }

    /** Runs {@code count} operations spread over {@code writers} virtual threads and times the whole. */
    static Throughput measure(String operation, int writers, int count, IntConsumer operationOnItem) throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            long started = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(executor.submit(() -> {
                    for (int i = writer; i < count; i += writers) {
                        operationOnItem.accept(i);
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
            return new Throughput(operation, writers, count, (System.nanoTime() - started) / 1e9);
        }
    }

    private interface Timed {
        double seconds() throws Exception;
    }

    private static double bestOfThree(Timed measurement) throws Exception {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            best = Math.min(best, measurement.seconds());
        }
        return best;
    }

    private static final Pattern CONTINUE = Pattern.compile("\"continue\":\"([^\"]+)\"");

    /** Seconds to list every pod of a namespace, raw: from etcd page by page, or from the watch cache at once. */
    private static double listPods(KubernetesClient client, String namespace, boolean fromWatchCache) {
        String collection = RawRequests.path(Pod.class, namespace, null) + "?limit=500";
        long started = System.nanoTime();
        String token = null;
        do {
            String path = collection + (fromWatchCache ? "&resourceVersion=0" : "")
                    + (token == null ? "" : "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
            var response = RawRequests.exchange(client, "GET", path, null, null);
            if (response.code() != 200) {
                throw new IllegalStateException("GET " + path + " failed with HTTP " + response.code());
            }
            String body = response.body();
            Matcher next = CONTINUE.matcher(body.substring(0, Math.min(body.length(), 1000)));
            token = next.find() ? next.group(1) : null;
        } while (token != null);
        return (System.nanoTime() - started) / 1e9;
    }

    /** Seconds for a fresh informer to list all pods, and live heap bytes per cached pod. */
    private static double[] measureInformer(KubernetesClient client, String namespace, int expected) throws Exception {
        long before = usedHeapAfterGc();
        try (Informers informers = new Informers(client, namespace)) {
            var informer = informers.informer(Pod.class);
            long started = System.nanoTime();
            informers.startAndSync(Duration.ofMinutes(5));
            double seconds = (System.nanoTime() - started) / 1e9;
            int cached = informer.getStore().list().size();
            if (cached < expected) {
                throw new IllegalStateException("informer cached " + cached + " pods, expected " + expected);
            }
            long after = usedHeapAfterGc();
            return new double[] {seconds, (double) (after - before) / cached};
        }
    }

    public static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    public static void awaitDefaultServiceAccount(KubernetesClient client, String namespace) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (client.serviceAccounts().inNamespace(namespace).withName("default").get() == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no default service account in " + namespace + " after 60s");
            }
            Thread.sleep(100);
        }
    }

    static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
