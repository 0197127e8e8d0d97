package io.capstan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.Progress;
import io.capstan.lambda.LambdaModule;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.operator.Crds;
import io.capstan.runtime.operator.Operator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A CompositeController under load, against a fresh embedded control plane whose raw create ceiling for the child
 * kind is measured in the same run:
 * <ol>
 *   <li>converge: N parents are created at once, each wanting C children; parents converged per second (until the
 *       last parent's status shows what its hook answered and all its children exist) and children written per second
 *       as a ratio to the ceiling;</li>
 *   <li>change: each parent's spec changes once, paced at a rate the controller sustains; p50/p99 from the change to
 *       the benchmark seeing every child of that parent reflect it, and the hook calls per parent change;</li>
 *   <li>heap: what the operator holds per 1,000 parents (heap after GC with it running, minus after it stops).</li>
 * </ol>
 * The hook answers with the children and a status carrying the parent's value; it runs in this JVM (an echo: the
 * controller's own cost) or as a Python 3 process (what a real hook adds). Pod children run on a mock virtual node.
 */
public final class LambdaBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ResourceDefinitionContext PARENTS = new ResourceDefinitionContext.Builder()
            .withGroup("bench.capstan.io").withVersion("v1").withKind("BenchParent").withPlural("benchparents")
            .withNamespaced(true).build();
    private static final String VALUE_ANNOTATION = "bench.capstan.io/value";

    private LambdaBenchmark() {
    }

    /** What the children are and where their hook runs. */
    public enum Variant {
        CONFIGMAPS_JVM_HOOK("ConfigMaps", "in-JVM hook"),
        CONFIGMAPS_PYTHON_HOOK("ConfigMaps", "Python hook"),
        PODS_JVM_HOOK("Pods (mock node)", "in-JVM hook");

        final String children;
        final String hook;

        Variant(String children, String hook) {
            this.children = children;
            this.hook = hook;
        }

        boolean pods() {
            return this == PODS_JVM_HOOK;
        }

        public static Variant parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "configmaps" -> CONFIGMAPS_JVM_HOOK;
                case "configmaps-python" -> CONFIGMAPS_PYTHON_HOOK;
                case "pods" -> PODS_JVM_HOOK;
                default -> throw new IllegalArgumentException("a variant is configmaps, configmaps-python or pods, not "
                        + text);
            };
        }
    }

    public record Result(Variant variant, int parents, int children, double ceiling, double parentsPerSecond,
            double childrenPerSecond, double pacedRate, double p50Millis, double p99Millis, double callsPerChange,
            double heapBytesPerThousand) {

        public String row() {
            return String.format(Locale.ROOT, "| %s, %s | %,d × %d | %.0f | %.1f | %.0f | %.0f %% | %.0f/s | %.1f | %.1f "
                            + "| %.2f | %.1f |",
                    variant.children, variant.hook, parents, children, ceiling, parentsPerSecond, childrenPerSecond,
                    100 * childrenPerSecond / ceiling, pacedRate, p50Millis, p99Millis, callsPerChange,
                    heapBytesPerThousand / (1024 * 1024));
        }
    }

    public static String header() {
        return "| children, hook | parents × children | API ceiling creates/s | parents converged/s | children written/s "
                + "| ratio | paced changes | p50 change→children ms | p99 ms | hook calls/change | heap MiB/1,000 |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    }

    public static List<Result> runOnFreshCluster(int parents, int children, List<Variant> variants, Progress progress)
            throws Exception {
        try (FreshCluster cluster = FreshCluster.start("lambda", false, progress)) {
            KubernetesClient client = cluster.client;
            Crds.ensure(client, parentCrd(), Duration.ofMillis(200), Duration.ofSeconds(60));
            Map<Boolean, Double> ceilings = new java.util.HashMap<>();
            List<Result> results = new ArrayList<>();
            for (Variant variant : variants) {
                double ceiling = ceilings.containsKey(variant.pods()) ? ceilings.get(variant.pods())
                        : createCeiling(client, variant.pods(), progress);
                ceilings.put(variant.pods(), ceiling);
                results.add(run(cluster.plane, client, variant, parents, children, ceiling, progress));
                progress.step(results.getLast().row());
            }
            return results;
        }
    }

    private static CustomResourceDefinition parentCrd() {
        return new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal("""
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: benchparents.bench.capstan.io}
                spec:
                  group: bench.capstan.io
                  scope: Namespaced
                  names: {kind: BenchParent, plural: benchparents, singular: benchparent, listKind: BenchParentList}
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    subresources: {status: {}}
                    schema:
                      openAPIV3Schema:
                        type: object
                        properties:
                          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
                          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
                """, CustomResourceDefinition.class);
    }

    /** The API server's raw create throughput for the child kind with 64 writers, after a warm-up round. */
    private static double createCeiling(KubernetesClient client, boolean pods, Progress progress) throws Exception {
        if (pods) {
            return FrameworkBenchmark.createCeiling(client, progress);
        }
        progress.step("Warming up, then measuring the API server's ConfigMap-create ceiling (4,000 ConfigMaps, 64 writers)");
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-cm-ceiling");
        String path = RawRequests.path(ConfigMap.class, namespace, null);
        for (String prefix : List.of("w", "c")) {
            int count = prefix.equals("w") ? 2000 : 4000;
            var throughput = ApiServerBenchmark.measure("configmap create", 64, count, i -> RawRequests.write(client,
                    "POST", path, RawRequests.JSON, client.getKubernetesSerialization().asJson(new ConfigMapBuilder()
                            .withNewMetadata().withName(prefix + "-" + i).endMetadata().addToData("value", "x").build())));
            if (prefix.equals("c")) {
                // Left to the namespace controller: a collection delete of 6,000 outlasts the client's timeout.
                client.namespaces().withName(namespace).delete();
                progress.step(String.format(Locale.ROOT, "API server ceiling: %.0f ConfigMap creates/s",
                        throughput.perSecond()));
                return throughput.perSecond();
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private static Result run(ControlPlane plane, KubernetesClient client, Variant variant, int parents, int children,
            double ceiling, Progress progress) throws Exception {
        String slug = variant.name().toLowerCase(Locale.ROOT).replace('_', '-');
        String namespace = NodeBenchmark.namespace(client, "capstan-bench-lambda-" + slug);
        String node = "bench-lambda-" + slug;
        MockProvider mock = variant.pods() ? new MockProvider(new MockProvider.Capacity(parents * children + 1000, "1000",
                "4Ti"), "127.0.0.1") : null;
        var ca = plane.certificateAuthority();
        AtomicLong hookCalls = new AtomicLong();
        try (Hook hook = variant == Variant.CONFIGMAPS_PYTHON_HOOK ? Hook.python(children, variant.pods() ? node : null,
                hookCalls, progress) : Hook.inJvm(children, variant.pods() ? node : null, hookCalls);
                Observer observer = new Observer(client, namespace, variant.pods());
                KubernetesClient nodeClient = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
                VirtualNode virtualNode = mock == null ? null : VirtualNode.start(nodeClient, VirtualNode.Config.defaults(
                        node, mock, ServingCertificate.issuedBy(ca, node, "127.0.0.1"), ca.certificate(), null),
                        new CompositeMeterRegistry())) {
            KubernetesClient operatorClient = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
            // Held only here, so that once closed nothing of it stays reachable for the heap measurement.
            java.util.concurrent.atomic.AtomicReference<Operator> running = new java.util.concurrent.atomic.AtomicReference<>(
                    Operator.start(operatorClient, List.of(new LambdaModule()), new Operator.Settings(
                            new Manager.Settings(null, null, null, null, Duration.ofMinutes(5)), true, null)));
            String controller = "bench-" + slug;
            try {
                client.resource(new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal("""
                        apiVersion: metacontroller.k8s.io/v1alpha1
                        kind: CompositeController
                        metadata: {name: %s}
                        spec:
                          generateSelector: true
                          parentResource: {apiVersion: bench.capstan.io/v1, resource: benchparents}
                          childResources:
                          - apiVersion: v1
                            resource: %s
                            updateStrategy: {method: InPlace}
                          hooks:
                            sync:
                              webhook: {url: "http://127.0.0.1:%d/sync"}
                        """.formatted(controller, variant.pods() ? "pods" : "configmaps", hook.port()),
                        GenericKubernetesResource.class)).create();

                // 1. converge
                progress.step(String.format("%s, %s: creating %,d parents of %d children", variant.children, variant.hook,
                        parents, children));
                long started = System.nanoTime();
                var parentResources = client.genericKubernetesResources(PARENTS).inNamespace(namespace);
                ApiServerBenchmark.measure("parent create", 64, parents, i -> parentResources.resource(parent(namespace,
                        "p" + i, "v1")).create());
                FrameworkBenchmark.await(() -> observer.converged(parents, children, "v1"), "all parents converged",
                        progress, () -> observer.describe(parents, children, "v1"));
                double convergeSeconds = (observer.lastReached("v1") - started) / 1e9;
                double parentsPerSecond = parents / convergeSeconds;
                List<Long> created = new ArrayList<>(observer.childCreated.values());
                Collections.sort(created);
                double childrenPerSecond = (created.size() - 1) / Math.max(1e-3,
                        (created.getLast() - created.getFirst()) / 1e9);
                progress.step(String.format(Locale.ROOT, "  converged after %.1f s: %.1f parents/s, %.0f children "
                        + "written/s (%.0f %% of the ceiling), %d hook calls", convergeSeconds, parentsPerSecond,
                        childrenPerSecond, 100 * childrenPerSecond / ceiling, hookCalls.get()));
                awaitQuiet(hookCalls);

                // 2. change, paced
                int paced = Math.min(parents, 1000);
                double rate = Math.max(1, Math.min(100, parentsPerSecond / 2));
                progress.step(String.format(Locale.ROOT, "Changing %,d parents at %.0f/s", paced, rate));
                long callsBefore = hookCalls.get();
                Map<String, Long> changedAt = new ConcurrentHashMap<>();
                long interval = (long) (1e9 / rate);
                long pacing = System.nanoTime();
                try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < paced; i++) {
                        long wait = pacing + i * interval - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        String name = "p" + i;
                        executor.submit(() -> {
                            changedAt.put(name, System.nanoTime());
                            parentResources.withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                                    "{\"spec\":{\"value\":\"v2\"}}");
                        });
                    }
                }
                FrameworkBenchmark.await(() -> observer.childrenReached(paced, children, "v2"),
                        "every changed parent's children updated", progress, () -> observer.describe(paced, children, "v2"));
                awaitQuiet(hookCalls);
                double callsPerChange = (double) (hookCalls.get() - callsBefore) / paced;
                List<Double> latencies = new ArrayList<>();
                for (int i = 0; i < paced; i++) {
                    Long reflected = observer.childrenReflected("p" + i, children, "v2");
                    Long changed = changedAt.get("p" + i);
                    if (reflected != null && changed != null) {
                        latencies.add(Math.max(0, reflected - changed) / 1e6);
                    }
                }
                Collections.sort(latencies);
                double p50 = NodeBenchmark.percentile(latencies, 0.50);
                double p99 = NodeBenchmark.percentile(latencies, 0.99);
                progress.step(String.format(Locale.ROOT, "  change → every child updated: p50 %.1f ms, p99 %.1f ms; "
                        + "%.2f hook calls per change", p50, p99, callsPerChange));

                // 3. heap: what the operator holds, i.e. what is freed when it stops
                long heapRunning = ApiServerBenchmark.usedHeapAfterGc();
                running.getAndSet(null).close();
                long heapStopped = ApiServerBenchmark.usedHeapAfterGc();
                double heapPerThousand = (double) Math.max(0, heapRunning - heapStopped) * 1000 / parents;
                progress.step(String.format(Locale.ROOT, "  operator heap: %.1f MiB per 1,000 parents",
                        heapPerThousand / (1024 * 1024)));
                return new Result(variant, parents, children, ceiling, parentsPerSecond, childrenPerSecond, rate, p50, p99,
                        callsPerChange, heapPerThousand);
            } finally {
                Operator operator = running.getAndSet(null);
                if (operator != null) {
                    operator.close();
                }
                operatorClient.close();
                client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName(controller)
                        .delete();
            }
        } finally {
            NodeBenchmark.deleteNamespace(client, namespace, progress);
            client.genericKubernetesResources(PARENTS).inNamespace(namespace).delete();
        }
    }

    private static GenericKubernetesResource parent(String namespace, String name, String value) {
        GenericKubernetesResource parent = new GenericKubernetesResource();
        parent.setApiVersion("bench.capstan.io/v1");
        parent.setKind("BenchParent");
        parent.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        parent.setAdditionalProperty("spec", Map.of("value", value));
        return parent;
    }

    /** Waits until the hook has not been called for two seconds: the controller has nothing left to do. */
    private static void awaitQuiet(AtomicLong hookCalls) throws InterruptedException {
        long last = hookCalls.get();
        long quietSince = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() - quietSince < 2_000_000_000L && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
            long now = hookCalls.get();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /** The answer every hook gives: C children carrying the parent's value, and the value as its status. */
    static ObjectNode answer(JsonNode request, int children, String node) {
        JsonNode parent = request.path("parent");
        String name = parent.path("metadata").path("name").asText();
        String value = parent.path("spec").path("value").asText();
        ObjectNode response = JSON.createObjectNode();
        ArrayNode wanted = response.putArray("children");
        for (int i = 0; i < children; i++) {
            ObjectNode child = wanted.addObject().put("apiVersion", "v1");
            ObjectNode metadata = child.putObject("metadata").put("name", name + "-" + i);
            if (node == null) {
                child.put("kind", "ConfigMap");
                child.putObject("data").put("value", value);
            } else {
                child.put("kind", "Pod");
                metadata.putObject("annotations").put(VALUE_ANNOTATION, value);
                ObjectNode spec = child.putObject("spec").put("nodeName", node).put("restartPolicy", "Never")
                        .put("automountServiceAccountToken", false).put("enableServiceLinks", false);
                spec.putArray("containers").addObject().put("name", "main").put("image", "capstan/benchmark")
                        .putArray("command").add("sleep").add("infinity");
            }
        }
        response.putObject("status").put("value", value).put("children", request.path("children")
                .path(node == null ? "ConfigMap.v1" : "Pod.v1").size());
        return response;
    }

    /** A hook server: in this JVM, or a Python process answering the same. */
    private interface Hook extends AutoCloseable {
        int port();

        @Override
        void close();

        static Hook inJvm(int children, String node, AtomicLong calls) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/sync", exchange -> {
                calls.incrementAndGet();
                byte[] body = JSON.writeValueAsBytes(answer(JSON.readTree(exchange.getRequestBody()), children, node));
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return new Hook() {
                public int port() {
                    return server.getAddress().getPort();
                }

                public void close() {
                    server.stop(0);
                }
            };
        }

        /** {@code python3} running the benchmark's hook (the same answer), its calls counted from its output. */
        static Hook python(int children, String node, AtomicLong calls, Progress progress) throws Exception {
            Path script = Files.createTempFile("capstan-bench-hook-", ".py");
            try (InputStream source = LambdaBenchmark.class.getResourceAsStream("lambda-bench-hook.py")) {
                Files.write(script, source.readAllBytes());
            }
            int port;
            try (var probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            Process process = new ProcessBuilder("python3", script.toString(), String.valueOf(port),
                    String.valueOf(children)).redirectErrorStream(true).start();
            Thread.ofVirtual().start(() -> {
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (line.equals("call")) {
                            calls.incrementAndGet();
                        } else {
                            progress.step("  hook: " + line);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    break;
                } catch (IOException notYet) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("the Python hook did not start listening on port " + port
                                + " (is python3 installed?)");
                    }
                    TimeUnit.MILLISECONDS.sleep(50);
                }
            }
            return new Hook() {
                public int port() {
                    return port;
                }

                public void close() {
                    process.destroy();
                    try {
                        Files.deleteIfExists(script);
                    } catch (IOException ignored) {
                        // a temporary file
                    }
                }
            };
        }
    }

    /** When each child first carried each value, and when each parent's status first did. */
    private static final class Observer implements AutoCloseable {
        final Map<String, Long> childCreated = new ConcurrentHashMap<>();
        /** "child/value" → first seen. */
        final Map<String, Long> childValue = new ConcurrentHashMap<>();
        /** "parent/value" → first seen in its status. */
        final Map<String, Long> parentValue = new ConcurrentHashMap<>();
        private final SharedIndexInformer<? extends HasMetadata> childInformer;
        private final SharedIndexInformer<GenericKubernetesResource> parentInformer;

        Observer(KubernetesClient client, String namespace, boolean pods) {
            Function<HasMetadata, String> value = pods
                    ? object -> object.getMetadata().getAnnotations() == null ? null
                            : object.getMetadata().getAnnotations().get(VALUE_ANNOTATION)
                    : object -> ((ConfigMap) object).getData() == null ? null : ((ConfigMap) object).getData().get("value");
            java.util.function.Consumer<HasMetadata> seeChild = object -> {
                long now = System.nanoTime();
                childCreated.putIfAbsent(object.getMetadata().getName(), now);
                String seen = value.apply(object);
                if (seen != null) {
                    childValue.putIfAbsent(object.getMetadata().getName() + "/" + seen, now);
                }
            };
            childInformer = pods
                    ? client.pods().inNamespace(namespace).withLimit(500L).inform(new Seen<Pod>(seeChild::accept))
                    : client.configMaps().inNamespace(namespace).withLimit(500L).inform(new Seen<ConfigMap>(seeChild::accept));
            parentInformer = client.genericKubernetesResources(PARENTS).inNamespace(namespace).withLimit(500L)
                    .inform(new Seen<>(parent -> {
                        if (parent.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                                && status.get("value") != null) {
                            parentValue.putIfAbsent(parent.getMetadata().getName() + "/" + status.get("value"),
                                    System.nanoTime());
                        }
                    }));
        }

        Long childrenReflected(String parent, int children, String value) {
            long latest = 0;
            for (int i = 0; i < children; i++) {
                Long seen = childValue.get(parent + "-" + i + "/" + value);
                if (seen == null) {
                    return null;
                }
                latest = Math.max(latest, seen);
            }
            return latest;
        }

        boolean childrenReached(int parents, int children, String value) {
            for (int p = 0; p < parents; p++) {
                if (childrenReflected("p" + p, children, value) == null) {
                    return false;
                }
            }
            return true;
        }

        boolean converged(int parents, int children, String value) {
            for (int p = 0; p < parents; p++) {
                if (!parentValue.containsKey("p" + p + "/" + value)) {
                    return false;
                }
            }
            return childrenReached(parents, children, value);
        }

        /** When the last parent's status and the last child showed the value. */
        long lastReached(String value) {
            return Math.max(parentValue.entrySet().stream().filter(e -> e.getKey().endsWith("/" + value))
                    .mapToLong(Map.Entry::getValue).max().orElse(0), childValue.entrySet().stream()
                    .filter(e -> e.getKey().endsWith("/" + value)).mapToLong(Map.Entry::getValue).max().orElse(0));
        }

        String describe(int parents, int children, String value) {
            long statuses = parentValue.keySet().stream().filter(k -> k.endsWith("/" + value)).count();
            long childrenSeen = childValue.keySet().stream().filter(k -> k.endsWith("/" + value)).count();
            return String.format("%,d of %,d parent statuses and %,d of %,d children show %s", statuses, parents,
                    childrenSeen, (long) parents * children, value);
        }

        @Override
        public void close() {
            childInformer.close();
            parentInformer.close();
        }
    }
}
