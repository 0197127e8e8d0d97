package io.capstan.framework;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkCrd;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.capstan.runtime.webhook.WebhookAuthority;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A Framework controller scoped to the test's namespace, a mock virtual node its pods run on, and helpers to create
 * Frameworks from YAML, follow their status history and wait for states.
 */
public final class FrameworkFixture implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static volatile boolean crdEnsured;

    public final TestCluster cluster;
    public final String namespace;
    public final KubernetesClient client;
    public final MockProvider mock = new MockProvider(MockProvider.Capacity.DEFAULT, "127.0.0.1");
    public final String node;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Watch> watches = new ArrayList<>();
    private FrameworkConfig config;
    private static final String WEBHOOK_LABEL = "capstan.io/framework-webhook-test";
    private Operator operator;
    private VirtualNode virtualNode;

    public FrameworkFixture(TestCluster cluster, TestNamespace namespace) throws Exception {
        this.cluster = cluster;
        this.namespace = namespace.name();
        this.client = cluster.client();
        this.node = namespace.name().length() > 58 ? namespace.name().substring(0, 58) : namespace.name();
        ensureCrd(client);
    }

    private static void ensureCrd(KubernetesClient client) throws InterruptedException {
        if (!crdEnsured) {
            synchronized (FrameworkFixture.class) {
                if (!crdEnsured) {
                    FrameworkCrd.ensure(client, Duration.ofMillis(200), Duration.ofSeconds(60));
                    crdEnsured = true;
                }
            }
        }
    }

    /** Test-friendly configuration: the built-in one with short conflict delays and retention. */
    public static FrameworkConfig testConfig() {
        FrameworkConfig config = FrameworkConfig.defaults();
        config.workerNumber = 8;
        config.frameworkMinRetryDelaySecForTransientConflictFailed = 2L;
        config.frameworkMaxRetryDelaySecForTransientConflictFailed = 4L;
        return config;
    }

    /** Starts the mock node and the controller with {@link #testConfig()}. */
    public FrameworkFixture start() throws Exception {
        return start(testConfig());
    }

    public FrameworkFixture start(FrameworkConfig config) throws Exception {
        startNode();
        startController(config);
        return this;
    }

    public void startNode() throws Exception {
        var ca = cluster.controlPlane().certificateAuthority();
        KubernetesClient nodeClient = cluster.newClient();
        closeables.add(nodeClient);
        virtualNode = VirtualNode.start(nodeClient, VirtualNode.Config.defaults(node, mock,
                ServingCertificate.issuedBy(ca, node, "127.0.0.1"), ca.certificate(),
                VirtualNodeTaint.forProvider(mock.name(), Map.of())), new SimpleMeterRegistry());
    }

    /**
     * The operator with the Framework module, as {@code capstan operator} runs it, scoped to the test's namespace. Its
     * validating webhook serves this namespace only (other tests' namespaces must not depend on this test's server)
     * and fails closed, so a broken webhook fails the test instead of being ignored.
     */
    public void startController(FrameworkConfig config) throws Exception {
        this.config = config;
        client.namespaces().withName(namespace).edit(ns -> {
            ns.getMetadata().getLabels().put(WEBHOOK_LABEL, namespace);
            return ns;
        });
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        operator = Operator.start(cluster.newClient(), List.of(new FrameworkModule(config)), new Operator.Settings(
                new Manager.Settings(namespace, null, null, null, Duration.ofMinutes(1)), false,
                new Operator.Webhooks(loopback, new AdmissionWebhooks.UrlEndpoint("127.0.0.1", 0),
                        WebhookAuthority.ephemeral(), "Fail", Map.of(WEBHOOK_LABEL, namespace),
                        "capstan-" + namespace, true)));
    }

    /** Stops the controller (as a crash would: no cleanup of anything it created). */
    public void stopController() {
        if (operator != null) {
            operator.close();
            operator = null;
        }
    }

    public void restartController() throws Exception {
        stopController();
        startController(config);
    }

    public Manager manager() {
        return operator.manager();
    }

    // ----- Frameworks ---------------------------------------------------------------------------------------------------

    /**
     * Parses a Framework from YAML; every pod template without a nodeName is pinned to the mock node (set
     * {@code nodeName: ""} in a template to leave its pods unscheduled).
     */
    public Framework parse(String yaml) {
        JsonNode tree = SERIALIZATION.unmarshal(yaml, JsonNode.class);
        ObjectNode root = (ObjectNode) tree;
        root.put("apiVersion", Framework.API_VERSION);
        root.put("kind", "Framework");
        ((ObjectNode) root.with("metadata")).put("namespace", namespace);
        for (JsonNode role : root.path("spec").path("taskRoles")) {
            ObjectNode podSpec = (ObjectNode) role.with("task").with("pod").with("spec");
            JsonNode nodeName = podSpec.get("nodeName");
            if (nodeName == null) {
                podSpec.put("nodeName", node);
            } else if (nodeName.asText().isEmpty()) {
                podSpec.remove("nodeName");
            }
            if (!podSpec.has("containers")) {
                podSpec.set("containers", JSON.valueToTree(List.of(Map.of("name", "main", "image", "capstan/test"))));
            }
        }
        return JSON.convertValue(root, Framework.class);
    }

    public Framework create(String yaml) {
        return client.resources(Framework.class).inNamespace(namespace).resource(parse(yaml)).create();
    }

    public Framework get(String name) {
        return client.resources(Framework.class).inNamespace(namespace).withName(name).get();
    }

    public Framework mergePatch(String name, String json) {
        return client.resources(Framework.class).inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    public Framework jsonPatch(String name, String json) {
        return client.resources(Framework.class).inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON), json);
    }

    public void executionType(String name, String type) {
        mergePatch(name, "{\"spec\":{\"executionType\":\"" + type + "\"}}");
    }

    public static Duration waitLimit() {
        return Duration.ofSeconds(60);
    }

    /** Waits until the Framework's status satisfies the condition and returns that Framework. */
    public Framework await(String name, String what, Predicate<Framework> condition) {
        Framework[] seen = new Framework[1];
        try {
            org.awaitility.Awaitility.await().alias(name + ": " + what).atMost(waitLimit()).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        Framework framework = get(name);
                        seen[0] = framework;
                        return framework != null && framework.getStatus() != null && condition.test(framework);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnosis(name), e);
        }
        return seen[0];
    }

    /** What a timed-out wait saw: the Framework's status, its pods and ConfigMap, and its Events. */
    private String diagnosis(String name) {
        StringBuilder out = new StringBuilder();
        try {
            Framework framework = get(name);
            out.append("Framework status: ").append(framework == null ? "(gone)"
                    : io.fabric8.kubernetes.client.utils.Serialization.asJson(framework.getStatus())).append('\n');
            for (Pod pod : pods(name)) {
                out.append("pod ").append(pod.getMetadata().getName()).append(" uid ").append(pod.getMetadata().getUid())
                        .append(" deletionTimestamp ").append(pod.getMetadata().getDeletionTimestamp())
                        .append(" status ").append(io.fabric8.kubernetes.client.utils.Serialization.asJson(pod.getStatus()))
                        .append('\n');
            }
            var configMap = client.configMaps().inNamespace(namespace).withName(name + "-attempt").get();
            out.append("ConfigMap: ").append(configMap == null ? "(none)" : configMap.getMetadata().getUid() + " finalizers "
                    + configMap.getMetadata().getFinalizers() + " deletionTimestamp "
                    + configMap.getMetadata().getDeletionTimestamp()).append('\n');
            events(name).forEach(event -> out.append("event ").append(event.getReason()).append(": ")
                    .append(event.getMessage()).append('\n'));
        } catch (RuntimeException e) {
            out.append("(diagnosis failed: ").append(e.getMessage()).append(')');
        }
        return out.toString();
    }

    public Framework awaitState(String name, FrameworkState state) {
        return await(name, "state " + state, f -> f.getStatus().state == state);
    }

    public void awaitGone(String name) {
        org.awaitility.Awaitility.await().alias(name + " deleted").atMost(waitLimit()).until(() -> get(name) == null);
    }

    /** Asserts that the condition holds throughout the period (for "stays in state X"); a lapse fails it. */
    public void assertStays(String name, Duration period, Consumer<Framework> assertion) throws InterruptedException {
        org.awaitility.Awaitility.await().alias(name + " stays").during(period).atMost(period.plusSeconds(1))
                .pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertion.accept(get(name)));
    }

    public static TaskStatus task(Framework framework, String role, int index) {
        TaskRoleStatus roleStatus = framework.getStatus().attemptStatus.role(role);
        assertThat(roleStatus).as("role " + role + " in status").isNotNull();
        return roleStatus.taskStatuses.get(index);
    }

    // ----- history ------------------------------------------------------------------------------------------------------

    /** Every version of the Framework's status, in order, from a watch started now. */
    public List<FrameworkStatus> history(String name) {
        List<FrameworkStatus> statuses = new CopyOnWriteArrayList<>();
        Watch watch = client.resources(Framework.class).inNamespace(namespace).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Framework framework) {
                if (framework.getStatus() != null) {
                    statuses.add(framework.getStatus());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        watches.add(watch);
        return statuses;
    }

    /** The distinct successive values of some status field across a history. */
    public static <T> List<T> transitions(List<FrameworkStatus> history, java.util.function.Function<FrameworkStatus, T> field) {
        List<T> values = new ArrayList<>();
        for (FrameworkStatus status : history) {
            T value = field.apply(status);
            if (values.isEmpty() || !java.util.Objects.equals(values.getLast(), value)) {
                values.add(value);
            }
        }
        return values;
    }

    // ----- dependents ---------------------------------------------------------------------------------------------------

    public List<Pod> pods(String framework) {
        return client.pods().inNamespace(namespace).withLabel(Names.FRAMEWORK_NAME, framework).list().getItems();
    }

    public Pod pod(String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }

    public Optional<ConfigMap> configMap(String framework) {
        return Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(Names.configMapName(framework)).get());
    }

    public void awaitNoPods(String framework) {
        org.awaitility.Awaitility.await().alias("no pods of " + framework).atMost(waitLimit()).untilAsserted(() -> assertThat(pods(framework)).isEmpty());
    }

    public Pod awaitPodPhase(String podName, String phase) {
        Pod[] seen = new Pod[1];
        org.awaitility.Awaitility.await().alias(podName + " " + phase).atMost(waitLimit()).until(() -> {
            Pod pod = pod(podName);
            seen[0] = pod;
            return pod != null && pod.getStatus() != null && phase.equals(pod.getStatus().getPhase());
        });
        return seen[0];
    }

    /** Lets a hanging graceful deletion finish, once the node has started it, as a slow container would. */
    public void finishDeletion(String podName) {
        org.awaitility.Awaitility.await().alias("deletion of " + podName + " started on the node").atMost(waitLimit())
                .ignoreExceptions().untilAsserted(() -> mock.finishDeletion(namespace, podName));
    }

    public List<Event> events(String involvedName) {
        return client.v1().events().inNamespace(namespace).withField("involvedObject.name", involvedName).list().getItems();
    }

    public List<String> eventReasons(String involvedName) {
        return events(involvedName).stream().map(Event::getReason).toList();
    }

    /** Runs kubectl against the test cluster in the test's namespace, with {@code input} on its standard input. */
    public io.capstan.testkit.Kubectl.Run kubectl(String input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("-n", namespace));
        command.addAll(List.of(args));
        return cluster.kubectl().run(input, command.toArray(String[]::new));
    }

    @Override
    public void close() {
        watches.forEach(Watch::close);
        stopController();
        if (virtualNode != null) {
            virtualNode.close();
            try {
                client.nodes().withName(node).delete();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
        for (AutoCloseable closeable : closeables.reversed()) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
