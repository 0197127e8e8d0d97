package io.capstan.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.hosted.HostedControllers;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.JsonHookServer;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code targetLabelSelector}: an operator runs only the lambda controllers whose labels match, so several operators
 * can share a cluster's controllers, as Metacontroller's {@code --target-label-selector} does.
 */
@EmbeddedCluster
class TargetLabelSelectorIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    void onlyTheControllersOfItsShardRun(TestCluster cluster, TestNamespace namespace) throws Exception {
        KubernetesClient client = cluster.client();
        JsonHookServer hook = JsonHookServer.start(Map.of("/", request -> {
            ObjectNode response = JSON.createObjectNode();
            ObjectNode copy = response.putArray("attachments").addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
            copy.putObject("metadata").put("name", request.path("object").path("metadata").path("name").asText() + "-copy");
            return response;
        }));
        try (Operator operator = Operator.start(cluster.newClient(), List.of(new LambdaModule(new LambdaConfig("shard=a", 2, null, null))),
                new Operator.Settings(new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true, null))) {
            for (String shard : List.of("a", "b")) {
                client.resource(SERIALIZATION.unmarshal("""
                        apiVersion: metacontroller.k8s.io/v1alpha1
                        kind: DecoratorController
                        metadata: {name: dc-shard-%s, labels: {shard: %s}}
                        spec:
                          resources:
                          - {apiVersion: v1, resource: configmaps, labelSelector: {matchLabels: {decorate: %s}}}
                          attachments:
                          - {apiVersion: v1, resource: configmaps}
                          hooks:
                            sync: {webhook: {url: "%s"}}
                        """.formatted(shard, shard, shard, hook.url("/sync")), GenericKubernetesResource.class))
                        .create();
                client.configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                        .withName("for-" + shard).addToLabels("decorate", shard).endMetadata().build()).create();
            }
            var configMaps = client.configMaps().inNamespace(namespace.name());

            await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("for-a-copy").get() != null);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> configMaps.withName("for-b-copy").get() == null);
            assertThat(client.v1().events().inAnyNamespace().list().getItems())
                    .noneMatch(e -> "dc-shard-b".equals(e.getInvolvedObject().getName()) && "Started".equals(e.getReason()));
        } finally {
            hook.close();
            for (String shard : List.of("a", "b")) {
                client.genericKubernetesResources(HostedControllers.DECORATOR).withName("dc-shard-" + shard).delete();
            }
        }
    }
}
