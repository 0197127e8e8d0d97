package io.capstan.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.AppWrapperModule;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kueue's waitForPodsReady, configured by Kueue's own configuration file: an admitted AppWrapper whose pod never
 * becomes ready is evicted after the timeout, requeued after a backoff, and deactivated once it ran out of requeues.
 */
@EmbeddedCluster
class WaitForPodsReadyIT {

    private static final String NODE = "wait-mock";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static Operator operator;
    private static VirtualNode node;
    private static KubernetesClient nodeClient;

    @BeforeAll
    static void start(TestCluster cluster, @TempDir Path directory) throws Exception {
        var ca = cluster.controlPlane().certificateAuthority();
        MockProvider mock = new MockProvider(MockProvider.Capacity.DEFAULT, "127.0.0.1");
        nodeClient = cluster.newClient();
        node = VirtualNode.start(nodeClient, VirtualNode.Config.defaults(NODE, mock, ServingCertificate.issuedBy(ca, NODE,
                "127.0.0.1"), ca.certificate(), VirtualNodeTaint.forProvider(mock.name(), Map.of())),
                new SimpleMeterRegistry());
        Path kueueConfig = Files.writeString(directory.resolve("kueue-config.yaml"), """
                apiVersion: config.kueue.x-k8s.io/v1beta1
                kind: Configuration
                manageJobsWithoutQueueName: false
                waitForPodsReady:
                  enable: true
                  timeout: 2s
                  requeuingStrategy: {timestamp: Eviction, backoffBaseSeconds: 1, backoffLimitCount: 1}
                """);
        operator = Operator.start(cluster.newClient(), List.of(new AppWrapperModule(),
                new QueueModule().configuredFrom(kueueConfig)), new Operator.Settings(
                new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true, null));
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (node != null) {
            node.close();
        }
        if (nodeClient != null) {
            nodeClient.close();
        }
    }

    /** This operator serves no webhooks: what gets past them is the scheduler's to refuse, and to say why. */
    @Test
    void aClusterQueueThatBreaksKueuesRulesAdmitsNothingAndSaysWhy(TestCluster cluster, TestNamespace testNamespace) {
        KubernetesClient client = cluster.client();
        String namespace = testNamespace.name();
        for (var object : client.load(new java.io.ByteArrayInputStream("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ClusterQueue
                metadata: {name: invalid-cq}
                spec:
                  namespaceSelector: {}
                  resourceGroups:
                  - coveredResources: [cpu]
                    flavors: [{name: wait-flavor, resources: [{name: cpu, nominalQuota: 4, borrowingLimit: 2}]}]
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: invalid, namespace: %s}
                spec: {clusterQueue: invalid-cq}
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: Workload
                metadata: {name: stranded, namespace: %s}
                spec:
                  queueName: invalid
                  podSets:
                  - name: main
                    count: 1
                    template:
                      spec:
                        containers: [{name: main, image: capstan/test, resources: {requests: {cpu: "1"}}}]
                """.formatted(namespace, namespace).getBytes(java.nio.charset.StandardCharsets.UTF_8))).items()) {
            client.resource(object).create();
        }
        String why = "ClusterQueue invalid-cq is not valid: spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit: "
                + "only a ClusterQueue in a cohort can borrow";
        try {
            await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode queue = SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.CLUSTER_QUEUES)
                        .withName("invalid-cq").get(), JsonNode.class);
                assertThat(queue.path("status").path("conditions").toString()).contains("\"InvalidSpec\"", why);
                JsonNode workload = SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.WORKLOADS)
                        .inNamespace(namespace).withName("stranded").get(), JsonNode.class);
                assertThat(workload.path("status").path("conditions").toString()).contains("Inadmissible", why);
            });
        } finally {
            client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName("invalid-cq").delete();
        }
    }

    @Test
    void podsThatNeverBecomeReadyAreEvictedRequeuedWithBackoffAndFinallyDeactivated(TestCluster cluster,
            TestNamespace testNamespace) {
        KubernetesClient client = cluster.client();
        String namespace = testNamespace.name();
        String yaml = """
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ResourceFlavor
                metadata: {name: wait-flavor}
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: ClusterQueue
                metadata: {name: wait-cq}
                spec:
                  namespaceSelector: {}
                  resourceGroups:
                  - coveredResources: [cpu]
                    flavors: [{name: wait-flavor, resources: [{name: cpu, nominalQuota: 4}]}]
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: team, namespace: %s}
                spec: {clusterQueue: wait-cq}
                ---
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata:
                  name: stuck
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: team}
                spec:
                  components:
                  - template:
                      apiVersion: v1
                      kind: Pod
                      metadata:
                        name: stuck
                        annotations: {mock.capstan.io/start-failure: ImagePullBackOff}
                      spec:
                        nodeName: %s
                        containers: [{name: main, image: capstan/missing, resources: {requests: {cpu: "1"}}}]
                """.formatted(namespace, namespace, NODE);
        for (var object : client.load(new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .items()) {
            client.resource(object).create();
        }

        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode workload = SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.WORKLOADS)
                    .inNamespace(namespace).list().getItems().getFirst(), JsonNode.class);
            assertThat(workload.path("spec").path("active").asBoolean(true)).as("deactivated").isFalse();
            assertThat(workload.path("status").path("requeueState").path("count").asInt()).isEqualTo(2);
        });
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode workload = SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.WORKLOADS)
                    .inNamespace(namespace).list().getItems().getFirst(), JsonNode.class);
            assertThat(workload.path("status").path("conditions").toString()).contains("\"Inactive\"");
            AppWrapper appWrapper = client.resources(AppWrapper.class).inNamespace(namespace).withName("stuck").get();
            assertThat(appWrapper.getSpec().suspended()).isTrue();
            assertThat(appWrapper.getStatus().phase).isEqualTo("Suspended");
            assertThat(client.pods().inNamespace(namespace).withName("stuck").get()).isNull();
        });
        assertThat(client.v1().events().inNamespace(namespace).list().getItems()).filteredOn(e -> "stuck".equals(
                e.getInvolvedObject().getName()) && "Evicted".equals(e.getReason())).isNotEmpty()
                .allSatisfy(e -> assertThat(e.getMessage()).contains("Exceeded the PodsReady timeout"));
    }
}
