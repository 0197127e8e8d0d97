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
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code applyStrategy: server-side-apply} (Metacontroller's {@code --apply-strategy}): children are written by
 * server-side apply as the field manager {@code metacontroller}, and what other managers write stays.
 */
@EmbeddedCluster
class ServerSideApplyIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    void childrenAreAppliedAsMetacontrollerAndOtherManagersFieldsSurvive(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        KubernetesClient client = cluster.client();
        JsonHookServer hook = JsonHookServer.start(Map.of("/", request -> {
            var object = request.path("object");
            ObjectNode response = JSON.createObjectNode();
            ObjectNode copy = response.putArray("attachments").addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
            copy.putObject("metadata").put("name", object.path("metadata").path("name").asText() + "-copy");
            copy.putObject("data").put("value", object.path("data").path("value").asText());
            return response;
        }));
        LambdaConfig ssa = new LambdaConfig(null, 2, LambdaConfig.SERVER_SIDE_APPLY, null);
        try (Operator operator = Operator.start(cluster.newClient(), List.of(new LambdaModule(ssa)),
                new Operator.Settings(new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true, null))) {
            client.resource(SERIALIZATION.unmarshal("""
                    apiVersion: metacontroller.k8s.io/v1alpha1
                    kind: DecoratorController
                    metadata: {name: dc-ssa}
                    spec:
                      resources:
                      - {apiVersion: v1, resource: configmaps, labelSelector: {matchLabels: {copy: ssa}}}
                      attachments:
                      - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}
                      hooks:
                        sync: {webhook: {url: "%s"}}
                    """.formatted(hook.url("/sync")), GenericKubernetesResource.class)).create();
            var configMaps = client.configMaps().inNamespace(namespace.name());
            configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("source").addToLabels("copy", "ssa")
                    .endMetadata().addToData("value", "v1").build()).create();

            await().atMost(Duration.ofSeconds(30)).until(() -> configMaps.withName("source-copy").get() != null);
            ConfigMap copy = configMaps.withName("source-copy").get();
            // Read by kubectl: Capstan's own client leaves managedFields out of what it decodes.
            var managers = cluster.kubectl().run(null, "-n", namespace.name(), "get", "configmap", "source-copy", "-o",
                    "jsonpath={range .metadata.managedFields[*]}{.manager}={.operation} {end}");
            assertThat(managers.exitCode()).as(managers.err()).isZero();
            assertThat(managers.out()).contains("metacontroller=Apply");
            assertThat(copy.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(owner -> assertThat(owner.getName()).isEqualTo("source"));

            // Another manager's field, then a change the hook makes: applied in place, the other field kept.
            configMaps.withName("source-copy").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"extra\":\"mine\"}}");
            configMaps.withName("source").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"value\":\"v2\"}}");
            await().atMost(Duration.ofSeconds(30)).until(() -> "v2".equals(configMaps.withName("source-copy").get()
                    .getData().get("value")));
            ConfigMap updated = configMaps.withName("source-copy").get();
            assertThat(updated.getData()).containsEntry("extra", "mine");
            assertThat(updated.getMetadata().getUid()).isEqualTo(copy.getMetadata().getUid());

            // A field this manager owns, changed by someone else, is taken back on the next sync.
            configMaps.withName("source-copy").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"value\":\"tampered\"}}");
            configMaps.withName("source").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"touch\":\"1\"}}}");
            await().atMost(Duration.ofSeconds(30)).until(() -> "v2".equals(configMaps.withName("source-copy").get()
                    .getData().get("value")));
        } finally {
            hook.close();
            client.genericKubernetesResources(HostedControllers.DECORATOR).withName("dc-ssa").delete();
        }
    }
}
