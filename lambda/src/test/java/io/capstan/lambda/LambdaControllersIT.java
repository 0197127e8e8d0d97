package io.capstan.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestCrds;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CompositeControllers and DecoratorControllers against the embedded control plane, with hooks served by an HTTP
 * server in the test JVM, as Metacontroller's own integration tests serve theirs: the parents are a throw-away CRD
 * with a status subresource.
 */
@EmbeddedCluster
class LambdaControllersIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ResourceDefinitionContext PARENTS = new ResourceDefinitionContext.Builder()
            .withGroup("test.capstan.io").withVersion("v1").withKind("Parent").withPlural("parents").withNamespaced(true)
            .build();
    private static Operator operator;
    private static HttpServer hookServer;
    /** What the current test's hook does with a request: the response, or null for HTTP 500. */
    private static volatile Function<JsonNode, ObjectNode> hook = request -> null;
    private static final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    static final io.fabric8.kubernetes.client.dsl.base.PatchContext MERGE = io.fabric8.kubernetes.client.dsl.base.PatchContext
            .of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);

    private TestCluster cluster;
    private KubernetesClient client;
    private String namespace;
    private final List<String> controllers = new ArrayList<>();
    private final List<String> decorators = new ArrayList<>();

    @BeforeAll
    static void startOperatorAndHookServer(TestCluster cluster) throws Exception {
        TestCrds.namespacedWithStatus(cluster.client(), "test.capstan.io", "Parent");
        hookServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hookServer.createContext("/", LambdaControllersIT::serveHook);
        hookServer.start();
        operator = Operator.start(cluster.newClient(), List.of(new LambdaModule()), new Operator.Settings(
                new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true, null));
    }

    /** Answers with what the current test's {@link #hook} makes of the request. */
    private static void serveHook(com.sun.net.httpserver.HttpExchange exchange) throws java.io.IOException {
        ObjectNode request = (ObjectNode) JSON.readTree(exchange.getRequestBody());
        // What the hook saw of the call, for the tests of authorization.
        request.put("_authorization", exchange.getRequestHeaders().getFirst("Authorization"));
        requests.add(request);
        ObjectNode response = hook.apply(request);
        byte[] body = response == null ? "the hook failed".getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(response);
        exchange.sendResponseHeaders(response == null ? 500 : 200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (hookServer != null) {
            hookServer.stop(0);
        }
    }

    @BeforeEach
    void setUp(TestCluster testCluster, TestNamespace testNamespace) {
        cluster = testCluster;
        client = testCluster.client();
        namespace = testNamespace.name();
        requests.clear();
    }

    @AfterEach
    void deleteControllers() {
        controllers.forEach(name -> client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE)
                .withName(name).delete());
        decorators.forEach(name -> client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.DECORATOR)
                .withName(name).delete());
        hook = request -> null;
    }

    /** A CompositeController for the parents labelled {@code controller: NAME}, so tests never share parents. */
    private void compositeController(String name, String childrenYaml, String extraSpec) {
        controllers.add(name);
        String yaml = """
                apiVersion: metacontroller.k8s.io/v1alpha1
                kind: CompositeController
                metadata: {name: %s}
                spec:
                  parentResource:
                    apiVersion: test.capstan.io/v1
                    resource: parents
                    labelSelector: {matchLabels: {controller: %s}}
                  childResources:
                %s
                  hooks:
                    sync:
                      webhook: {url: "http://127.0.0.1:%d/sync", timeout: 5s}
                %s
                """.formatted(name, name, childrenYaml, hookServer.getAddress().getPort(), extraSpec);
        client.resource(SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class)).create();
    }

    private GenericKubernetesResource createParent(String name, Map<String, Object> spec) {
        GenericKubernetesResource parent = new GenericKubernetesResource();
        parent.setApiVersion("test.capstan.io/v1");
        parent.setKind("Parent");
        parent.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .addToLabels("controller", controllers.getLast()).build());
        parent.setAdditionalProperty("spec", spec);
        return client.genericKubernetesResources(PARENTS).inNamespace(namespace).resource(parent).create();
    }

    /** A merge patch of the parent's spec, as {@code kubectl patch} sends: no conflict with the status writes. */
    private void setMessage(String parentName, String message) {
        client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName(parentName).patch(MERGE,
                "{\"spec\":{\"message\":\"" + message + "\"}}");
    }

    private GenericKubernetesResource parent(String name) {
        return client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName(name).get();
    }

    private static long callsFor(String parentName) {
        return requests.stream().filter(r -> parentName.equals(r.path("parent").path("metadata").path("name").asText()))
                .count();
    }

    private JsonNode tree(Object object) {
        return SERIALIZATION.convertValue(object, JsonNode.class);
    }

    private static ObjectNode configMapChild(String name, String message) {
        ObjectNode child = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
        child.putObject("metadata").put("name", name);
        child.putObject("data").put("message", message);
        return child;
    }

    /** The hook of the first tests: one ConfigMap carrying the parent's message, or none once it says "none". */
    private static ObjectNode messageHook(JsonNode request) {
        String parentName = request.path("parent").path("metadata").path("name").asText();
        String message = request.path("parent").path("spec").path("message").asText();
        ObjectNode response = JSON.createObjectNode();
        var children = response.putArray("children");
        if (!message.equals("none")) {
            children.add(configMapChild(parentName + "-config", message));
        }
        response.putObject("status").put("children", children.size())
                .put("seen", request.path("children").path("ConfigMap.v1").size());
        return response;
    }

    @Test
    void theHooksChildrenAreCreatedUpdatedInPlaceAndDeletedAndItsStatusWritten() {
        hook = LambdaControllersIT::messageHook;
        compositeController("cc-in-place", "  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}",
                "  generateSelector: true");

        GenericKubernetesResource parent = createParent("alpha", Map.of("message", "hello"));
        var configMaps = client.configMaps().inNamespace(namespace);
        ConfigMap child = await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("alpha-config").get(),
                cm -> cm != null);

        assertThat(child.getData()).containsEntry("message", "hello");
        assertThat(child.getMetadata().getLabels()).containsEntry("controller-uid", parent.getMetadata().getUid());
        assertThat(child.getMetadata().getAnnotations()).containsKey("metacontroller.k8s.io/last-applied-configuration");
        assertThat(child.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("Parent");
            assertThat(owner.getApiVersion()).isEqualTo("test.capstan.io/v1");
            assertThat(owner.getUid()).isEqualTo(parent.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
            assertThat(owner.getBlockOwnerDeletion()).isTrue();
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode status = tree(parent("alpha")).path("status");
            assertThat(status.path("observedGeneration").asLong()).isEqualTo(parent("alpha").getMetadata().getGeneration());
            assertThat(status.path("children").asInt()).isEqualTo(1);
            assertThat(status.path("seen").asInt()).as("the hook saw its child").isEqualTo(1);
        });
        // Its own status write syncs the parent once more; then nothing calls its hook again.
        java.util.concurrent.atomic.AtomicLong lastCount = new java.util.concurrent.atomic.AtomicLong(-1);
        await().alias("a converged parent's own writes do not call its hook again").during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10)).until(() -> {
                    long now = callsFor("alpha");
                    return lastCount.getAndSet(now) == now;
                });

        setMessage("alpha", "changed");
        await().atMost(Duration.ofSeconds(30)).until(() -> "changed".equals(configMaps.withName("alpha-config").get()
                .getData().get("message")));
        assertThat(configMaps.withName("alpha-config").get().getMetadata().getUid())
                .as("InPlace updates the same child").isEqualTo(child.getMetadata().getUid());

        setMessage("alpha", "none");
        await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("alpha-config").get() == null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(tree(parent("alpha")).path("status").path("children").asInt()).isZero());
    }

    @Test
    void recreateReplacesADifferingChildAndOnDeleteLeavesItAlone() {
        hook = LambdaControllersIT::messageHook;
        compositeController("cc-recreate", "  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: Recreate}}",
                "  generateSelector: true");
        createParent("beta", Map.of("message", "first"));
        var configMaps = client.configMaps().inNamespace(namespace);
        ConfigMap first = await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("beta-config").get(),
                cm -> cm != null);

        setMessage("beta", "second");

        ConfigMap second = await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("beta-config").get(),
                cm -> cm != null && "second".equals(cm.getData().get("message")));
        assertThat(second.getMetadata().getUid()).as("Recreate deleted and created it again")
                .isNotEqualTo(first.getMetadata().getUid());
    }

    @Test
    void anOnDeleteChildIsNeverRewritten() throws Exception {
        hook = LambdaControllersIT::messageHook;
        compositeController("cc-on-delete", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        createParent("gamma", Map.of("message", "first"));
        var configMaps = client.configMaps().inNamespace(namespace);
        ConfigMap first = await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("gamma-config").get(),
                cm -> cm != null);

        setMessage("gamma", "second");
        await().atMost(Duration.ofSeconds(30)).until(() -> requests.stream().anyMatch(
                r -> "second".equals(r.path("parent").path("spec").path("message").asText())));
        await().atMost(Duration.ofSeconds(30)).until(() -> tree(parent("gamma")).path("status").path("observedGeneration")
                .asLong() == parent("gamma").getMetadata().getGeneration());

        ConfigMap after = configMaps.withName("gamma-config").get();
        assertThat(after.getMetadata().getUid()).isEqualTo(first.getMetadata().getUid());
        assertThat(after.getData()).containsEntry("message", "first");
    }

    @Test
    void matchingOrphansAreAdoptedAndReleasedWhenTheyStopMatching() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            ObjectNode kept = response.putArray("children").addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
            kept.putObject("metadata").put("name", "orphan").putObject("labels").put("app", "delta");
            response.putObject("status").put("children", request.path("children").path("ConfigMap.v1").size());
            return response;
        };
        compositeController("cc-adopt", "  - {apiVersion: v1, resource: configmaps}", "");
        var configMaps = client.configMaps().inNamespace(namespace);
        configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("orphan").addToLabels("app", "delta")
                .endMetadata().build()).create();

        GenericKubernetesResource parent = createParent("delta", Map.of("selector", Map.of("matchLabels",
                Map.of("app", "delta"))));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(configMaps.withName("orphan").get()
                .getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(parent.getMetadata().getUid())));
        await().atMost(Duration.ofSeconds(30)).until(() -> tree(parent("delta")).path("status").path("children").asInt() == 1);

        configMaps.withName("orphan").patch(MERGE,
                "{\"metadata\":{\"labels\":{\"app\":\"elsewhere\"}}}");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(configMaps.withName("orphan").get()
                .getMetadata().getOwnerReferences()).isNullOrEmpty());
    }

    @Test
    void aFinalizeHookHoldsTheParentUntilItSaysFinalized() {
        hook = request -> {
            if (!request.path("finalizing").asBoolean()) {
                return messageHook(request);
            }
            // Finalizing: tear the children down, and say finalized once none is left.
            ObjectNode response = JSON.createObjectNode();
            response.putArray("children");
            response.put("finalized", request.path("children").path("ConfigMap.v1").isEmpty());
            return response;
        };
        compositeController("cc-finalize", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-finalize")
                .patch(MERGE, "{\"spec\":{\"hooks\":{\"finalize\":{\"webhook\":{\"url\":\"http://127.0.0.1:"
                        + hookServer.getAddress().getPort() + "/finalize\"}}}}}");
        createParent("theta", Map.of("message", "hello"));
        var configMaps = client.configMaps().inNamespace(namespace);
        await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("theta-config").get() != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> parent("theta").getMetadata().getFinalizers()
                .contains("metacontroller.io/compositecontroller-cc-finalize"));

        client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName("theta").delete();

        await().atMost(Duration.ofSeconds(30)).until(() -> parent("theta") == null);
        assertThat(requests).anySatisfy(r -> {
            assertThat(r.path("parent").path("metadata").path("name").asText()).isEqualTo("theta");
            assertThat(r.path("finalizing").asBoolean()).isTrue();
        });
        assertThat(configMaps.withName("theta-config").get()).as("the finalize hook's teardown deleted the child").isNull();
    }

    @Test
    void theCustomizeHooksRelatedObjectsReachTheSyncHookAndTheirChangesSyncTheParent() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            if (!request.has("children")) {
                // The customize hook: the ConfigMap named 'source' of the parent's namespace.
                response.putArray("relatedResources").addObject().put("apiVersion", "v1").put("resource", "configmaps")
                        .put("namespace", request.path("parent").path("metadata").path("namespace").asText())
                        .putArray("names").add("source");
                return response;
            }
            var children = response.putArray("children");
            String parentName = request.path("parent").path("metadata").path("name").asText();
            request.path("related").path("ConfigMap.v1").fields().forEachRemaining(related -> {
                ObjectNode copy = children.addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
                copy.putObject("metadata").put("name", parentName + "-" + related.getKey());
                copy.set("data", related.getValue().path("data"));
            });
            return response;
        };
        compositeController("cc-customize", "  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}",
                "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-customize")
                .patch(MERGE, "{\"spec\":{\"hooks\":{\"customize\":{\"webhook\":{\"url\":\"http://127.0.0.1:"
                        + hookServer.getAddress().getPort() + "/customize\"}}}}}");
        var configMaps = client.configMaps().inNamespace(namespace);
        configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("source").endMetadata()
                .addToData("color", "blue").build()).create();

        createParent("kappa", Map.of());

        await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("kappa-source").get() != null
                && "blue".equals(configMaps.withName("kappa-source").get().getData().get("color")));
        configMaps.withName("source").patch(MERGE, "{\"data\":{\"color\":\"green\"}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> "green".equals(configMaps.withName("kappa-source").get()
                .getData().get("color")));
    }

    @Test
    void aV2HookSeesNamespacedKeysAndAV1HookBareNames() {
        hook = LambdaControllersIT::messageHook;
        compositeController("cc-v2", "  - {apiVersion: v1, resource: configmaps}",
                "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-v2").edit(cc -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) cc.getAdditionalProperties().get("spec");
            @SuppressWarnings("unchecked")
            Map<String, Object> sync = (Map<String, Object>) ((Map<String, Object>) spec.get("hooks")).get("sync");
            sync.put("version", "v2");
            return cc;
        });
        createParent("epsilon", Map.of("message", "hello"));

        await().atMost(Duration.ofSeconds(30)).until(() -> requests.stream().anyMatch(r -> r.path("children")
                .path("ConfigMap.v1").has(namespace + "/epsilon-config")));
    }

    @Test
    void aFailingHookIsASyncErrorOnTheParentAndItsChildrenStay() {
        hook = LambdaControllersIT::messageHook;
        compositeController("cc-failing", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        createParent("zeta", Map.of("message", "hello"));
        var configMaps = client.configMaps().inNamespace(namespace);
        await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("zeta-config").get() != null);

        hook = request -> null;
        setMessage("zeta", "none");

        Event event = await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(namespace).list()
                .getItems().stream().filter(e -> "SyncError".equals(e.getReason())
                        && "zeta".equals(e.getInvolvedObject().getName())).findFirst().orElse(null), e -> e != null);
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getMessage()).contains("unsupported status code: 500 body: the hook failed");
        assertThat(configMaps.withName("zeta-config").get()).as("nothing is deleted on a failed hook's word").isNotNull();
        assertThat(operator.manager().metrics().scrape())
                .contains("metacontroller_sync_requests_total{code=\"200\",controller_name=\"cc-failing\","
                        + "controller_type=\"CompositeController\",method=\"POST\"")
                .contains("metacontroller_sync_requests_total{code=\"500\",controller_name=\"cc-failing\","
                        + "controller_type=\"CompositeController\",method=\"POST\"")
                .contains("metacontroller_sync_request_duration_histogram_seconds_bucket{controller_name=\"cc-failing\"")
                .contains("metacontroller_sync_in_flight_requests{controller_name=\"cc-failing\"");
    }

    @Test
    void aHookNamedByAServiceThatDoesNotResolveIsCalledAtAReadyEndpointOfTheService() throws Exception {
        // Endpoints may not hold a loopback address, so the hook listens on one of this host's others too.
        InetAddress hostAddress = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(NetworkInterfaceAddresses::of).filter(a -> a instanceof java.net.Inet4Address)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(hostAddress != null, "needs a non-loopback IPv4 address");
        HttpServer behindService = HttpServer.create(new InetSocketAddress(hostAddress, 0), 0);
        behindService.createContext("/", LambdaControllersIT::serveHook);
        behindService.start();
        try {
            hook = LambdaControllersIT::messageHook;
            client.services().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                    .withNewMetadata().withName("hooks").endMetadata().withNewSpec().addNewPort().withName("web")
                    .withPort(80).withNewTargetPort(behindService.getAddress().getPort()).endPort().endSpec().build())
                    .create();
            controllers.add("cc-service");
            client.resource(SERIALIZATION.unmarshal("""
                    apiVersion: metacontroller.k8s.io/v1alpha1
                    kind: CompositeController
                    metadata: {name: cc-service}
                    spec:
                      generateSelector: true
                      parentResource:
                        apiVersion: test.capstan.io/v1
                        resource: parents
                        labelSelector: {matchLabels: {controller: cc-service}}
                      childResources: [{apiVersion: v1, resource: configmaps}]
                      hooks:
                        sync:
                          webhook: {service: {name: hooks, namespace: %s}, path: /sync}
                    """.formatted(namespace), GenericKubernetesResource.class)).create();
            createParent("served", Map.of("message", "hello"));

            // No endpoint yet: the parent says why the hook could not be called.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.v1().events()
                    .inNamespace(namespace).list().getItems()).anySatisfy(e -> {
                        assertThat(e.getReason()).isEqualTo("SyncError");
                        assertThat(e.getInvolvedObject().getName()).isEqualTo("served");
                        assertThat(e.getMessage()).contains("hooks." + namespace + " does not resolve here, and Service "
                                + namespace + "/hooks has no ready endpoint for port 80");
                    }));
            assertThat(client.configMaps().inNamespace(namespace).withName("served-config").get()).isNull();

            client.endpoints().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.EndpointsBuilder()
                    .withNewMetadata().withName("hooks").endMetadata().addNewSubset()
                    .addNewAddress().withIp(hostAddress.getHostAddress()).endAddress()
                    .addNewPort().withName("web").withPort(behindService.getAddress().getPort()).endPort().endSubset()
                    .build()).create();

            await().atMost(Duration.ofSeconds(30)).until(
                    () -> client.configMaps().inNamespace(namespace).withName("served-config").get() != null);
            String endpoint = hostAddress.getHostAddress() + ":" + behindService.getAddress().getPort();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.v1().events()
                    .inNamespace("default").list().getItems()).anySatisfy(e -> {
                        assertThat(e.getReason()).isEqualTo("HookEndpoint");
                        assertThat(e.getInvolvedObject().getName()).isEqualTo("cc-service");
                        assertThat(e.getMessage()).isEqualTo("Calling the sync hook http://hooks." + namespace
                                + ":80/sync (called at " + endpoint + ", a ready endpoint of Service " + namespace
                                + "/hooks): its name does not resolve from here");
                    }));
        } finally {
            behindService.stop(0);
        }
    }

    /** The addresses of a network interface, as a stream. */
    private static final class NetworkInterfaceAddresses {
        static java.util.stream.Stream<InetAddress> of(java.net.NetworkInterface network) {
            return java.util.Collections.list(network.getInetAddresses()).stream();
        }
    }

    @Test
    void badSpecsAndBadChildrenAreToldInEvents() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            ObjectNode secret = response.putArray("children").addObject().put("apiVersion", "v1").put("kind", "Secret");
            secret.putObject("metadata").put("name", "undeclared");
            return response;
        };
        compositeController("cc-unknown", "  - {apiVersion: v1, resource: configmapz}", "  generateSelector: true");
        compositeController("cc-undeclared", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.v1().events().inAnyNamespace().list()
                .getItems()).anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("CreateError");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("cc-unknown");
                    assertThat(e.getMessage()).contains("discovery: can't find resource configmapz in apiVersion v1");
                }));

        createParent("eta", Map.of());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.v1().events().inNamespace(namespace)
                .list().getItems()).anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("SyncError");
                    assertThat(e.getMessage()).contains("of a kind the CompositeController does not declare");
                }));
        assertThat(client.secrets().inNamespace(namespace).withName("undeclared").get()).isNull();
    }

    private void decoratorController(String name, String resourcesYaml, String attachmentsYaml) {
        decorators.add(name);
        String yaml = """
                apiVersion: metacontroller.k8s.io/v1alpha1
                kind: DecoratorController
                metadata: {name: %s}
                spec:
                  resources:
                %s
                  attachments:
                %s
                  hooks:
                    sync:
                      webhook: {url: "http://127.0.0.1:%d/decorate"}
                """.formatted(name, resourcesYaml.stripIndent().indent(2).stripTrailing(),
                attachmentsYaml.stripIndent().indent(2).stripTrailing(), hookServer.getAddress().getPort());
        client.resource(SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class)).create();
    }

    @Test
    void aDecoratorLabelsTheObjectsItSelectsAndAttachesObjectsToThem() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            response.putObject("labels").put("decorated", "yes").putNull("remove-me");
            String name = request.path("object").path("metadata").path("name").asText();
            ObjectNode secret = response.putArray("attachments").addObject().put("apiVersion", "v1").put("kind", "Secret");
            secret.putObject("metadata").put("name", name + "-attached");
            secret.putObject("stringData").put("from", name);
            return response;
        };
        decoratorController("dc-label", """
                  - apiVersion: v1
                    resource: configmaps
                    labelSelector: {matchLabels: {decorate: dc-label}}
                    annotationSelector: {matchExpressions: [{key: attach, operator: Exists}]}""",
                "  - {apiVersion: v1, resource: secrets}");
        var configMaps = client.configMaps().inNamespace(namespace);
        ConfigMap selected = configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("selected")
                .addToLabels("decorate", "dc-label").addToLabels("remove-me", "x").addToAnnotations("attach", "")
                .endMetadata().build()).create();
        configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("no-annotation")
                .addToLabels("decorate", "dc-label").endMetadata().build()).create();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(configMaps.withName("selected").get()
                .getMetadata().getLabels()).containsEntry("decorated", "yes").doesNotContainKey("remove-me"));
        var attached = await().atMost(Duration.ofSeconds(30)).until(() -> client.secrets().inNamespace(namespace)
                .withName("selected-attached").get(), s -> s != null);
        assertThat(attached.getMetadata().getAnnotations())
                .containsEntry("metacontroller.k8s.io/decorator-controller", "dc-label");
        assertThat(attached.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getUid()).isEqualTo(selected.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
        assertThat(configMaps.withName("no-annotation").get().getMetadata().getLabels())
                .as("an object the annotation selector leaves out is not decorated").doesNotContainKey("decorated");
        assertThat(client.secrets().inNamespace(namespace).withName("no-annotation-attached").get()).isNull();
    }

    @Test
    void aDecoratorReplacesTheStatusOfAKindWithAStatusSubresource() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            response.putObject("status").put("decoratedBy", "dc-status");
            response.putArray("attachments");
            return response;
        };
        decoratorController("dc-status", """
                  - apiVersion: test.capstan.io/v1
                    resource: parents
                    labelSelector: {matchLabels: {controller: dc-status}}""", "- {apiVersion: v1, resource: secrets}");
        controllers.add("dc-status");
        createParent("iota", Map.of("message", "hello"));
        controllers.removeLast();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(tree(parent("iota")).path("status").path("decoratedBy").asText()).isEqualTo("dc-status"));
        assertThat(tree(parent("iota")).path("status").has("observedGeneration"))
                .as("a decorator writes the hook's status as it is").isFalse();
    }

    @Test
    void basicAuthorizationComesFromASecret() {
        hook = LambdaControllersIT::messageHook;
        client.secrets().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("hook-user").endMetadata().addToStringData("username", "admin\n")
                .addToStringData("password", "s3cret").build()).create();
        compositeController("cc-basic", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-basic")
                .patch(MERGE, "{\"spec\":{\"hooks\":{\"sync\":{\"webhook\":{\"basicAuth\":{\"secretRef\":"
                        + "{\"name\":\"hook-user\",\"namespace\":\"" + namespace + "\"}}}}}}}");

        createParent("lambda", Map.of("message", "hi"));

        await().atMost(Duration.ofSeconds(30)).until(() -> client.configMaps().inNamespace(namespace)
                .withName("lambda-config").get() != null);
        assertThat(requests).filteredOn(r -> "lambda".equals(r.path("parent").path("metadata").path("name").asText()))
                .last().satisfies(r -> assertThat(r.path("_authorization").asText())
                        .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("admin:s3cret".getBytes(
                                StandardCharsets.UTF_8))));
    }

    @Test
    void anHttpsHookIsTrustedByItsCaBundleAndGetsAClientCertificateAndATokenFromAnEndpointConfig() throws Exception {
        var ca = io.capstan.runtime.tls.CertificateAuthority.create("hook-ca");
        var serving = ca.issueServer("hook", List.of(), List.of("127.0.0.1"));
        var clientCertificate = ca.issueClient("capstan", List.of());
        com.sun.net.httpserver.HttpsServer secure = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        secure.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(serving.clientContext(ca.certificate())) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters parameters) {
                var ssl = getSSLContext().getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                parameters.setSSLParameters(ssl);
            }
        });
        secure.createContext("/", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            boolean authorized = "Bearer t0ken".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = authorized ? JSON.writeValueAsBytes(messageHook(request))
                    : "unauthorized".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(authorized ? 200 : 401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        secure.start();
        try {
            var secrets = client.secrets().inNamespace(namespace);
            secrets.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("hook-token")
                    .endMetadata().addToStringData("token", " t0ken\n").build()).create();
            secrets.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("hook-client")
                    .endMetadata().addToStringData("tls.crt", clientCertificate.certificatePem())
                    .addToStringData("tls.key", clientCertificate.keyPem()).build()).create();
            int port = secure.getAddress().getPort();
            controllers.add("cc-tls");
            client.resource(SERIALIZATION.unmarshal("""
                    apiVersion: metacontroller.k8s.io/v1alpha1
                    kind: CompositeController
                    metadata: {name: cc-tls}
                    spec:
                      generateSelector: true
                      parentResource:
                        apiVersion: test.capstan.io/v1
                        resource: parents
                        labelSelector: {matchLabels: {controller: cc-tls}}
                      childResources: [{apiVersion: v1, resource: configmaps}]
                      hooks:
                        sync: {webhook: {url: "https://127.0.0.1:%d/sync"}}
                      endpointConfigs:
                      - host: "127.0.0.1:%d"
                        caBundle: {inline: %s}
                        clientTLS: {secretRef: {name: hook-client, namespace: %s}}
                        authorization: {secretRef: {name: hook-token, namespace: %s, key: token}}
                    """.formatted(port, port, JSON.writeValueAsString(io.capstan.runtime.tls.KeyPairCertificate.pem(
                    ca.certificate())), namespace, namespace), GenericKubernetesResource.class)).create();

            createParent("mu", Map.of("message", "secure"));

            await().atMost(Duration.ofSeconds(30)).until(() -> client.configMaps().inNamespace(namespace)
                    .withName("mu-config").get() != null);
        } finally {
            secure.stop(0);
        }
    }

    @Test
    void withEtagsOnAnUnchangedAnswerIsNotSentAgainAndTheKeptOneStillHolds() {
        java.util.concurrent.atomic.AtomicInteger notModified = new java.util.concurrent.atomic.AtomicInteger();
        hookServer.createContext("/etag", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            String etag = "\"" + request.path("parent").path("spec").path("message").asText() + "\"";
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                notModified.incrementAndGet();
                exchange.sendResponseHeaders(304, -1);
                exchange.close();
                return;
            }
            byte[] body = JSON.writeValueAsBytes(messageHook(request));
            exchange.getResponseHeaders().add("ETag", etag);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        try {
            compositeController("cc-etag", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
            client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-etag")
                    .patch(MERGE, "{\"spec\":{\"hooks\":{\"sync\":{\"webhook\":{\"url\":\"http://127.0.0.1:"
                            + hookServer.getAddress().getPort() + "/etag\",\"etag\":{\"enabled\":true}}}}}}");
            createParent("nu", Map.of("message", "cached"));
            var configMaps = client.configMaps().inNamespace(namespace);
            await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("nu-config").get() != null);

            client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName("nu")
                    .patch(MERGE, "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");

            await().atMost(Duration.ofSeconds(30)).until(() -> notModified.get() > 0);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() ->
                    configMaps.withName("nu-config").get() != null);
            assertThat(configMaps.withName("nu-config").get().getData()).containsEntry("message", "cached");
        } finally {
            hookServer.removeContext("/etag");
        }
    }

    @Test
    void aRollingUpdateMovesOneChildAtATimeThroughControllerRevisions() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            var children = response.putArray("children");
            String parentName = request.path("parent").path("metadata").path("name").asText();
            String version = request.path("parent").path("spec").path("version").asText();
            for (int i = 0; i < 3; i++) {
                ObjectNode child = children.addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
                child.putObject("metadata").put("name", parentName + "-" + i);
                child.putObject("data").put("version", version);
            }
            response.putObject("status").put("version", version);
            return response;
        };
        compositeController("cc-rolling", "  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: RollingRecreate}}",
                "  generateSelector: true");
        createParent("xi", Map.of("version", "one"));
        var configMaps = client.configMaps().inNamespace(namespace);
        var revisions = client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "ControllerRevision")
                .inNamespace(namespace);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < 3; i++) {
                assertThat(configMaps.withName("xi-" + i).get()).isNotNull();
            }
            assertThat(tree(parent("xi")).path("status").path("conditions").path(0).path("reason").asText())
                    .isEqualTo("OnLatestRevision");
        });
        assertThat(revisions.list().getItems()).singleElement().satisfies(revision ->
                assertThat(tree(revision).path("children").path(0).path("names")).hasSize(3));

        client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName("xi")
                .patch(MERGE, "{\"spec\":{\"version\":\"two\"}}");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < 3; i++) {
                ConfigMap child = configMaps.withName("xi-" + i).get();
                assertThat(child).as("xi-" + i + " (recreated one at a time)").isNotNull();
                assertThat(child.getData()).containsEntry("version", "two");
            }
            JsonNode updated = tree(parent("xi")).path("status").path("conditions").path(0);
            assertThat(updated.path("type").asText()).isEqualTo("Updated");
            assertThat(updated.path("status").asText()).isEqualTo("True");
            assertThat(revisions.list().getItems()).as("the old revision is pruned once it holds no child").hasSize(1);
        });
        assertThat(requests).as("the older revision's children were asked of a parent with its old spec")
                .anySatisfy(r -> {
                    assertThat(r.path("parent").path("metadata").path("name").asText()).isEqualTo("xi");
                    assertThat(r.path("parent").path("metadata").path("generation").asLong()).isEqualTo(2);
                    assertThat(r.path("parent").path("spec").path("version").asText()).isEqualTo("one");
                });
    }

    @Test
    void aParentDeletedWithOrphaningAndCreatedAgainAdoptsItsControllerRevisionAndChildren() {
        hook = request -> {
            ObjectNode response = JSON.createObjectNode();
            String parentName = request.path("parent").path("metadata").path("name").asText();
            ObjectNode child = configMapChild(parentName + "-config", request.path("parent").path("spec")
                    .path("template").path("metadata").path("labels").path("app").asText());
            child.with("metadata").putObject("labels").put("app", "omicron");
            response.putArray("children").add(child);
            return response;
        };
        compositeController("cc-revision-adoption",
                "  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: RollingRecreate}}", "");
        Map<String, Object> spec = Map.of("selector", Map.of("matchLabels", Map.of("app", "omicron")),
                "template", Map.of("metadata", Map.of("labels", Map.of("app", "omicron"))));
        String firstUid = createParent("omicron", spec).getMetadata().getUid();
        var revisions = client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "ControllerRevision")
                .inNamespace(namespace);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(revisions.list().getItems())
                .singleElement().satisfies(r -> assertThat(r.getMetadata().getOwnerReferences()).singleElement()
                        .satisfies(o -> assertThat(o.getUid()).isEqualTo(firstUid))));
        String revisionName = revisions.list().getItems().getFirst().getMetadata().getName();

        client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName("omicron")
                .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.ORPHAN).delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(parent("omicron")).isNull());
        String secondUid = createParent("omicron", spec).getMetadata().getUid();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(revisions.list().getItems()).as("the orphaned revision is the new parent's, none is added")
                    .singleElement().satisfies(r -> {
                        assertThat(r.getMetadata().getName()).isEqualTo(revisionName);
                        assertThat(r.getMetadata().getOwnerReferences()).singleElement()
                                .satisfies(o -> assertThat(o.getUid()).isEqualTo(secondUid));
                    });
            assertThat(client.configMaps().inNamespace(namespace).withName("omicron-config").get().getMetadata()
                    .getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo(secondUid));
            assertThat(tree(parent("omicron")).path("status").path("conditions").path(0).path("reason").asText())
                    .isEqualTo("OnLatestRevision");
        });
    }

    @Test
    void deletingAControllerTakesItsFinalizerOffTheParentsItHeld() {
        hook = request -> {
            ObjectNode response = messageHook(request);
            response.put("finalized", false);
            return response;
        };
        compositeController("cc-release", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-release")
                .patch(MERGE, "{\"spec\":{\"hooks\":{\"finalize\":{\"webhook\":{\"url\":\"http://127.0.0.1:"
                        + hookServer.getAddress().getPort() + "/finalize\"}}}}}");
        createParent("omicron", Map.of("message", "held"));
        String finalizer = "metacontroller.io/compositecontroller-cc-release";
        await().atMost(Duration.ofSeconds(30)).until(() -> parent("omicron").getMetadata().getFinalizers().contains(finalizer));

        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-release")
                .delete();

        await().atMost(Duration.ofSeconds(30)).until(() -> !parent("omicron").getMetadata().getFinalizers()
                .contains(finalizer));
        client.genericKubernetesResources(PARENTS).inNamespace(namespace).withName("omicron").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> parent("omicron") == null);
    }

    @Test
    void aHookRecordsEventsOnItsParentAndABadOneIsToldAsSuch() {
        hook = request -> {
            ObjectNode response = messageHook(request);
            var asked = response.putArray("events");
            asked.addObject().put("type", "Normal").put("reason", "Greeted").put("message", "said hello");
            asked.addObject().put("type", "Loud").put("reason", "Shouted").put("message", "HELLO");
            return response;
        };
        compositeController("cc-events", "  - {apiVersion: v1, resource: configmaps}", "  generateSelector: true");
        client.genericKubernetesResources(io.capstan.lambda.hosted.HostedControllers.COMPOSITE).withName("cc-events")
                .patch(MERGE, "{\"spec\":{\"hooks\":{\"sync\":{\"version\":\"v2\"}}}}");

        createParent("pi", Map.of("message", "hello"));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.v1().events().inNamespace(namespace)
                .list().getItems()).filteredOn(e -> "pi".equals(e.getInvolvedObject().getName()))
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("Greeted");
                    assertThat(e.getType()).isEqualTo("Normal");
                    assertThat(e.getMessage()).isEqualTo("said hello");
                })
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("InvalidHookEvent");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains("type Loud");
                }));
        assertThat(client.configMaps().inNamespace(namespace).withName("pi-config").get())
                .as("a strict (v2) decoder accepts the events field").isNotNull();
    }

    @Test
    void resyncAfterSecondsAndResyncPeriodSecondsCallTheHookAgainWithoutAChange() {
        hook = request -> {
            ObjectNode response = messageHook(request);
            if ("rho".equals(request.path("parent").path("metadata").path("name").asText())) {
                response.put("resyncAfterSeconds", 0.1);
            }
            return response;
        };
        compositeController("cc-resync", "  - {apiVersion: v1, resource: configmaps}",
                "  generateSelector: true\n  resyncPeriodSeconds: 1");

        createParent("rho", Map.of("message", "again"));
        createParent("sigma", Map.of("message", "periodic"));

        await().atMost(Duration.ofSeconds(30)).until(() -> callsFor("rho") >= 5);
        await().atMost(Duration.ofSeconds(30)).until(() -> callsFor("sigma") >= 3);
    }
}
