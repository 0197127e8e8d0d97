package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaModule;
import io.capstan.runtime.operator.Crds;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.JsonHookServer;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestCrds;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code capstan hook-test}: one parent synced by the real CompositeController runtime with every write a dry run -
 * the hook's request and answer and the writes are printed, and nothing is kept.
 */
@EmbeddedCluster
class HookTestCommandIT {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDryRunSyncPrintsTheHooksExchangeAndTheWritesAndKeepsNone(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        KubernetesClient client = cluster.client();
        TestCrds.namespacedWithStatus(client, "hooktest.capstan.io", "Draft");
        for (CustomResourceDefinition crd : new LambdaModule().crds()) {
            Crds.ensure(client, crd, Duration.ofMillis(100), Duration.ofSeconds(30));
        }
        JsonHookServer hook = JsonHookServer.start(Map.of("/sync", request -> {
            var parent = request.path("parent");
            ObjectNode answer = JSON.createObjectNode();
            ObjectNode child = answer.putArray("children").addObject().put("apiVersion", "v1").put("kind", "ConfigMap");
            child.putObject("metadata").put("name", parent.path("metadata").path("name").asText() + "-page");
            child.putObject("data").put("text", parent.path("spec").path("text").asText());
            answer.putObject("status").put("pages", 1);
            return answer;
        }, "/decorate", request -> {
            ObjectNode answer = JSON.createObjectNode();
            answer.putObject("labels").put("decorated", "yes");
            return answer;
        }));
        try {
            client.resource(SERIALIZATION.unmarshal("""
                    apiVersion: metacontroller.k8s.io/v1alpha1
                    kind: CompositeController
                    metadata: {name: draft-controller}
                    spec:
                      generateSelector: true
                      parentResource: {apiVersion: hooktest.capstan.io/v1, resource: drafts}
                      childResources: [{apiVersion: v1, resource: configmaps}]
                      hooks:
                        sync: {webhook: {url: "%s"}}
                    """.formatted(hook.url("/sync")), GenericKubernetesResource.class)).create();
            GenericKubernetesResource draft = new GenericKubernetesResource();
            draft.setApiVersion("hooktest.capstan.io/v1");
            draft.setKind("Draft");
            draft.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("essay")
                    .withNamespace(namespace.name()).build());
            draft.setAdditionalProperty("spec", java.util.Map.of("text", "first words"));
            client.resource(draft).create();

            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            PrintStream stdout = System.out;
            int exit;
            try {
                System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
                exit = new CommandLine(new HookTestCommand()).execute("draft-controller", "essay", "-n", namespace.name(),
                        "--kubeconfig", cluster.controlPlane().kubeconfig().toString());
            } finally {
                System.setOut(stdout);
            }
            String output = printed.toString(StandardCharsets.UTF_8);

            assertThat(exit).as(output).isZero();
            assertThat(output).contains("# sync hook " + hook.url("/sync") + " - request:")
                    .contains("\"name\" : \"essay\"").contains("\"text\" : \"first words\"")
                    .contains("2 write(s) the sync would make")
                    .contains("POST /api/v1/namespaces/" + namespace.name() + "/configmaps?dryRun=All")
                    .contains("\"name\" : \"essay-page\"")
                    .contains("PUT /apis/hooktest.capstan.io/v1/namespaces/" + namespace.name()
                            + "/drafts/essay/status?dryRun=All");
            assertThat(client.configMaps().inNamespace(namespace.name()).withName("essay-page").get())
                    .as("a dry run keeps nothing").isNull();
            assertThat(client.genericKubernetesResources("hooktest.capstan.io/v1", "Draft").inNamespace(namespace.name())
                    .withName("essay").get().getAdditionalProperties()).doesNotContainKey("status");

            assertThat(new CommandLine(new HookTestCommand()).execute("no-such-controller", "essay", "--kubeconfig",
                    cluster.controlPlane().kubeconfig().toString())).isEqualTo(2);

            // A DecoratorController's object, named KIND/NAME: the label it would add is a dry-run write too.
            decorate(client, hook.url("/decorate"));
            client.configMaps().inNamespace(namespace.name()).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                    .withNewMetadata().withName("note").addToLabels("decorate", "dry").endMetadata().build()).create();
            printed.reset();
            try {
                System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
                exit = new CommandLine(new HookTestCommand()).execute("draft-decorator", "configmap/note", "-n",
                        namespace.name(), "--kubeconfig", cluster.controlPlane().kubeconfig().toString());
            } finally {
                System.setOut(stdout);
            }
            String decorated = printed.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(decorated).isZero();
            assertThat(decorated).contains("# sync hook " + hook.url("/decorate"))
                    .contains("/api/v1/namespaces/" + namespace.name() + "/configmaps/note?dryRun=All")
                    .contains("\"decorated\" : \"yes\"");
            assertThat(client.configMaps().inNamespace(namespace.name()).withName("note").get().getMetadata().getLabels())
                    .doesNotContainKey("decorated");
        } finally {
            hook.close();
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "CompositeController")
                    .withName("draft-controller").delete();
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "DecoratorController")
                    .withName("draft-decorator").delete();
        }
    }

    private static void decorate(KubernetesClient client, String url) {
        client.resource(SERIALIZATION.unmarshal("""
                apiVersion: metacontroller.k8s.io/v1alpha1
                kind: DecoratorController
                metadata: {name: draft-decorator}
                spec:
                  resources:
                  - {apiVersion: v1, resource: configmaps, labelSelector: {matchLabels: {decorate: dry}}}
                  hooks:
                    sync: {webhook: {url: "%s"}}
                """.formatted(url), GenericKubernetesResource.class)).create();
    }
}
