package io.capstan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * kube-scheduler runs and binds pods to a Ready node. The node here is a bare Node object marked Ready; the
 * virtual-node tests show the same with a real node agent.
 */
@EmbeddedCluster
class SchedulerIT {

    @Test
    void schedulerBindsAPodToAReadyNode(TestCluster cluster, TestNamespace namespace) {
        KubernetesClient client = cluster.client();
        String nodeName = "scheduler-it";
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(nodeName)
                .addToLabels("capstan.io/test", "scheduler").endMetadata().build()).create();
        try {
            String now = Instant.now().toString();
            client.nodes().withName(nodeName).editStatus(node -> {
                node.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                        .withCapacity(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("10")))
                        .withAllocatable(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("10")))
                        .withConditions(new NodeCondition(now, now, "ready for the test", "KubeletReady", "True", "Ready"))
                        .build());
                return node;
            });

            Pod pod = client.pods().inNamespace(namespace.name()).resource(new PodBuilder().withNewMetadata()
                    .withName("bound").endMetadata().withNewSpec()
                    .addNewToleration().withOperator("Exists").endToleration()
                    .withNodeSelector(Map.of("capstan.io/test", "scheduler"))
                    .addNewContainer().withName("main").withImage("busybox").withCommand("true").endContainer()
                    .endSpec().build()).create();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    client.pods().inNamespace(namespace.name()).withName(pod.getMetadata().getName()).get()
                            .getSpec().getNodeName()).isEqualTo(nodeName));
        } finally {
            client.nodes().withName(nodeName).delete();
        }
    }
}
