package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.node.api.Provider;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Virtual Kubelet's importable end-to-end suite (test/e2e), ported: the same nine tests, run against each of
 * Capstan's providers by a subclass. Pods are bound with spec.nodeName, use service links off and fake images.
 */
abstract class EndToEndSuite {

    NodeFixture fixture;
    String nodeName;
    Provider provider;

    abstract Provider newProvider(NodeFixture fixture) throws Exception;

    @BeforeEach
    void startNode(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new NodeFixture(cluster, namespace);
        provider = newProvider(fixture);
        nodeName = fixture.nodeName(provider.name());
        fixture.start(provider, nodeName);
    }

    @AfterEach
    void stopNode() {
        fixture.close();
    }

    private Pod testPod(String name, int containers) {
        List<Container> list = new ArrayList<>();
        IntStream.range(0, containers).forEach(i -> list.add(new ContainerBuilder().withName("c" + i)
                .withImage(List.of("foo", "bar", "baz").get(i % 3)).withCommand("sleep", "3600").build()));
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(fixture.namespace.name()).endMetadata()
                .withNewSpec().withNodeName(nodeName).withEnableServiceLinks(false).withContainers(list)
                .withTerminationGracePeriodSeconds(5L).endSpec().build();
    }

    private Pod createAndAwaitReady(Pod pod) {
        fixture.create(pod);
        AtomicReference<Pod> ready = new AtomicReference<>();
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            Pod current = fixture.get(pod.getMetadata().getName());
            assertThat(current.getStatus().getPhase()).isEqualTo("Running");
            assertThat(current.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Ready");
                assertThat(c.getStatus()).isEqualTo("True");
            });
            assertThat(current.getStatus().getPodIP()).isNotBlank();
            ready.set(current);
        });
        return ready.get();
    }

    private String proxy(String path) {
        return fixture.client.raw("/api/v1/nodes/" + nodeName + "/proxy" + path);
    }

    private List<Pod> runningPods() {
        return fixture.client.getKubernetesSerialization().unmarshal(proxy("/runningpods/"), PodList.class).getItems();
    }

    private boolean providerHas(String podName) {
        return runningPods().stream().anyMatch(p -> p.getMetadata().getName().equals(podName));
    }

    private List<Event> eventsFor(String podName) {
        return fixture.client.v1().events().inNamespace(fixture.namespace.name())
                .withField("involvedObject.name", podName).list().getItems();
    }

    @Test
    void getPods() {
        createAndAwaitReady(testPod("getpods", 1));

        PodList pods = fixture.client.getKubernetesSerialization().unmarshal(proxy("/pods"), PodList.class);

        assertThat(pods.getItems()).extracting(p -> p.getMetadata().getName()).contains("getpods");
        assertThat(pods.getItems()).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(nodeName));
    }

    @Test
    void getStatsSummary() throws Exception {
        Pod pod = createAndAwaitReady(testPod("stats", 3));

        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(proxy("/stats/summary"));

        assertThat(summary.path("node").path("nodeName").asText()).isEqualTo(nodeName);
        var podStats = new ArrayList<com.fasterxml.jackson.databind.JsonNode>();
        summary.path("pods").forEach(p -> {
            if (p.path("podRef").path("uid").asText().equals(pod.getMetadata().getUid())) {
                podStats.add(p);
            }
        });
        assertThat(podStats).singleElement().satisfies(p -> {
            assertThat(p.path("podRef").path("namespace").asText()).isEqualTo(fixture.namespace.name());
            assertThat(p.path("podRef").path("name").asText()).isEqualTo("stats");
            assertThat(p.path("containers")).hasSize(3);
        });
    }

    @Test
    void getMetricsResource() {
        createAndAwaitReady(testPod("metrics", 3));

        String metrics = proxy("/metrics/resource");

        assertThat(metrics).contains("# TYPE pod_cpu_usage_seconds_total counter");
        assertThat(metrics.lines().filter(l -> l.startsWith("pod_cpu_usage_seconds_total{") && l.contains("pod=\"metrics\"")))
                .hasSize(1);
        assertThat(metrics.lines().filter(l -> l.startsWith("container_cpu_usage_seconds_total{")
                && l.contains("pod=\"metrics\""))).hasSize(3);
        assertThat(metrics.lines().filter(l -> !l.startsWith("#"))).allMatch(l -> l.matches("[a-z_]+(\\{[^}]*\\})? \\S+( \\d+)?"));
    }

    @Test
    void podLifecycleGracefulDelete() {
        createAndAwaitReady(testPod("graceful", 1));
        await().atMost(NodeFixture.waitLimit()).until(() -> providerHas("graceful"));

        // A watch sees the Terminating pod however quickly the node then finishes the deletion.
        AtomicReference<Pod> terminating = new AtomicReference<>();
        try (var watch = fixture.client.pods().inNamespace(fixture.namespace.name()).withName("graceful")
                .watch(new io.fabric8.kubernetes.client.Watcher<Pod>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                        if (pod.getMetadata().getDeletionTimestamp() != null) {
                            terminating.compareAndSet(null, pod);
                        }
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {
                    }
                })) {
            fixture.client.pods().inNamespace(fixture.namespace.name()).withName("graceful").delete();
            await().atMost(NodeFixture.waitLimit()).until(() -> terminating.get() != null);
        }
        await().atMost(NodeFixture.waitLimit()).until(() -> !providerHas("graceful"));
        assertThat(terminating.get().getMetadata().getDeletionGracePeriodSeconds()).isPositive();
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("graceful") == null);
    }

    @Test
    void podLifecycleForceDelete() {
        createAndAwaitReady(testPod("forced", 1));
        await().atMost(NodeFixture.waitLimit()).until(() -> providerHas("forced"));

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("forced").withGracePeriod(0).delete();

        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("forced") == null);
        await().atMost(NodeFixture.waitLimit()).until(() -> !providerHas("forced"));
    }

    @Test
    void createPodWithOptionalInexistentSecrets() {
        Pod pod = testPod("optional-secret", 1);
        pod.getSpec().getContainers().getFirst().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("X").withNewValueFrom().withNewSecretKeyRef().withName("absent").withKey("k").withOptional(true)
                .endSecretKeyRef().endValueFrom().build()));

        createAndAwaitReady(pod);

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(eventsFor("optional-secret"))
                .extracting(Event::getReason).contains("OptionalSecretNotFound"));
        assertThat(providerHas("optional-secret")).isTrue();
    }

    @Test
    void createPodWithMandatoryInexistentSecrets() {
        Pod pod = testPod("mandatory-secret", 1);
        pod.getSpec().getContainers().getFirst().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("X").withNewValueFrom().withNewSecretKeyRef().withName("absent").withKey("k")
                .endSecretKeyRef().endValueFrom().build()));

        fixture.create(pod);

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(eventsFor("mandatory-secret"))
                .extracting(Event::getReason).contains("MandatorySecretNotFound"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> !providerHas("mandatory-secret"));
    }

    @Test
    void createPodWithOptionalInexistentConfigMap() {
        Pod pod = testPod("optional-configmap", 1);
        pod.getSpec().getContainers().getFirst().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("X").withNewValueFrom().withNewConfigMapKeyRef().withName("absent").withKey("k").withOptional(true)
                .endConfigMapKeyRef().endValueFrom().build()));

        createAndAwaitReady(pod);

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(eventsFor("optional-configmap"))
                .extracting(Event::getReason).contains("OptionalConfigMapNotFound"));
        assertThat(providerHas("optional-configmap")).isTrue();
    }

    @Test
    void createPodWithMandatoryInexistentConfigMap() {
        Pod pod = testPod("mandatory-configmap", 1);
        pod.getSpec().getContainers().getFirst().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("X").withNewValueFrom().withNewConfigMapKeyRef().withName("absent").withKey("k")
                .endConfigMapKeyRef().endValueFrom().build()));

        fixture.create(pod);

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(eventsFor("mandatory-configmap"))
                .extracting(Event::getReason).contains("MandatoryConfigMapNotFound"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> !providerHas("mandatory-configmap"));
    }
}
