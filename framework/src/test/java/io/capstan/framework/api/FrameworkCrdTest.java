package io.capstan.framework.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CRD is written by hand (it must equal the peer's schema, which a generator would not reproduce), so this test
 * keeps it and the Java model from drifting apart, and keeps the copy in deploy/crds identical.
 */
class FrameworkCrdTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CustomResourceDefinition crd = FrameworkCrd.definition();
    private final CustomResourceDefinitionVersion v1 = crd.getSpec().getVersions().getFirst();

    private JSONSchemaProps schemaAt(String path) {
        JSONSchemaProps node = v1.getSchema().getOpenAPIV3Schema();
        for (String step : path.split("\\.")) {
            node = step.equals("[]") ? node.getItems().getSchema() : node.getProperties().get(step);
            assertThat(node).as("schema node " + path + " at " + step).isNotNull();
        }
        return node;
    }

    private static Set<String> javaProperties(Class<?> type) {
        BeanDescription description = JSON.getSerializationConfig().introspect(JSON.constructType(type));
        return description.findProperties().stream().filter(BeanPropertyDefinition::couldSerialize)
                .map(BeanPropertyDefinition::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvSource({
        "spec,                                                  io.capstan.framework.api.FrameworkSpec",
        "spec.retryPolicy,                                      io.capstan.framework.api.RetryPolicySpec",
        "spec.taskRoles.[],                                     io.capstan.framework.api.TaskRoleSpec",
        "spec.taskRoles.[].frameworkAttemptCompletionPolicy,    io.capstan.framework.api.CompletionPolicySpec",
        "spec.taskRoles.[].task,                                io.capstan.framework.api.TaskSpec",
        "spec.taskRoles.[].task.retryPolicy,                    io.capstan.framework.api.RetryPolicySpec",
    })
    void schemaAndJavaModelHaveTheSameFields(String path, Class<?> type) {
        assertThat(new TreeSet<>(schemaAt(path).getProperties().keySet())).isEqualTo(javaProperties(type));
    }

    @Test
    void identityMatchesThePeer() {
        assertThat(crd.getMetadata().getName()).isEqualTo("frameworks.frameworkcontroller.microsoft.com");
        assertThat(crd.getSpec().getGroup()).isEqualTo(Framework.GROUP);
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo("frameworks");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo("Framework");
        assertThat(crd.getSpec().getVersions()).singleElement().satisfies(version -> {
            assertThat(version.getName()).isEqualTo("v1");
            assertThat(version.getServed()).isTrue();
            assertThat(version.getStorage()).isTrue();
        });
    }

    @Test
    void limitsMatchThePeer() {
        assertThat(schemaAt("metadata.name").getPattern()).isEqualTo("^[a-z0-9]{1,63}$");
        assertThat(schemaAt("spec.taskRoles.[].name").getPattern()).isEqualTo("^[a-z0-9]{1,63}$");
        assertThat(schemaAt("spec.taskRoles.[].taskNumber").getMinimum()).isEqualTo(0.0);
        assertThat(schemaAt("spec.taskRoles.[].taskNumber").getMaximum()).isEqualTo(10000.0);
        assertThat(schemaAt("spec.retryPolicy.maxRetryCount").getMinimum()).isEqualTo(-2.0);
        assertThat(schemaAt("spec.taskRoles.[].task.retryPolicy.maxRetryCount").getMinimum()).isEqualTo(-2.0);
        assertThat(schemaAt("spec.taskRoles.[].frameworkAttemptCompletionPolicy.minFailedTaskCount").getMinimum())
                .isEqualTo(-1.0);
        assertThat(schemaAt("spec.taskRoles.[].frameworkAttemptCompletionPolicy.minSucceededTaskCount").getMinimum())
                .isEqualTo(-1.0);
        assertThat(schemaAt("spec.taskRoles.[].task.podGracefulDeletionTimeoutSec").getNullable()).isTrue();
        assertThat(schemaAt("spec.taskRoles.[].task.pod").getXKubernetesPreserveUnknownFields()).isTrue();
        assertThat(schemaAt("spec.executionType").getEnum()).extracting(node -> node.asText())
                .containsExactly("Create", "Start", "Stop");
        assertThat(schemaAt("status").getNullable()).isTrue();
        assertThat(schemaAt("status").getXKubernetesPreserveUnknownFields()).isTrue();
    }

    @Test
    void theDeployCopyIsIdentical() throws Exception {
        Path deployed = Path.of("..", "deploy", "crds", FrameworkCrd.NAME + ".yaml");
        try (var resource = FrameworkCrd.class.getResourceAsStream(FrameworkCrd.NAME + ".yaml")) {
            assertThat(Files.readString(deployed)).isEqualTo(new String(resource.readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(new KubernetesSerialization().unmarshal(Files.readString(deployed), CustomResourceDefinition.class))
                .isEqualTo(crd);
    }
}
