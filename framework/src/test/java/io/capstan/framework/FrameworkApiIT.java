package io.capstan.framework;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkCrd;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.TaskState;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The API surface (FrameworkController's types.go and crd.go): the CRD, what the schema rejects, what the admission webhook rejects, and
 * the additions (printer columns, short name) that keep old manifests valid.
 */
@EmbeddedCluster
class FrameworkApiIT {

    private FrameworkFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace).start();
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static String valid(String name) {
        return """
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                metadata: {name: %s}
                spec:
                  executionType: Create
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                  taskRoles:
                  - name: worker
                    taskNumber: 2
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                      podGracefulDeletionTimeoutSec: null
                      pod:
                        spec:
                          restartPolicy: Never
                          containers: [{name: c, image: c}]
                """.formatted(name);
    }

    @Test
    void theCrdIsRegisteredEstablishedAndNotRewrittenWhenUnchanged() throws Exception {
        var crds = fixture.client.apiextensions().v1().customResourceDefinitions();
        CustomResourceDefinition before = crds.withName(FrameworkCrd.NAME).get();
        assertThat(before.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Established");
            assertThat(c.getStatus()).isEqualTo("True");
        });

        FrameworkCrd.ensure(fixture.client, Duration.ofMillis(100), Duration.ofSeconds(10));

        assertThat(crds.withName(FrameworkCrd.NAME).get().getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
    }

    @Test
    void aPeerManifestIsAcceptedAsIsWithANullGracefulDeletionTimeout() throws Exception {
        io.capstan.testkit.Kubectl.Run apply = fixture.kubectl(valid("peer"), "apply", "-f", "-");

        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("framework.frameworkcontroller.microsoft.com/peer created");
        Framework created = fixture.awaitState("peer", FrameworkState.AttemptCreationPending);
        assertThat(created.getSpec().getTaskRoles().getFirst().getTask().getPodGracefulDeletionTimeoutSec()).isNull();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> schemaViolations() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("a dash in the name", "name: peer", "name: a-b", "metadata.name"),
                org.junit.jupiter.params.provider.Arguments.of("an upper-case role name", "- name: worker", "- name: Worker",
                        "spec.taskRoles.name"),
                org.junit.jupiter.params.provider.Arguments.of("more than 10000 tasks", "taskNumber: 2", "taskNumber: 10001",
                        "spec.taskRoles.taskNumber"),
                org.junit.jupiter.params.provider.Arguments.of("a negative task count", "taskNumber: 2", "taskNumber: -1",
                        "spec.taskRoles.taskNumber"),
                org.junit.jupiter.params.provider.Arguments.of("maxRetryCount below -2", "maxRetryCount: 0}\n  taskRoles",
                        "maxRetryCount: -3}\n  taskRoles", "spec.retryPolicy.maxRetryCount"),
                org.junit.jupiter.params.provider.Arguments.of("minFailedTaskCount below -1", "minFailedTaskCount: 1",
                        "minFailedTaskCount: -2", "minFailedTaskCount"),
                org.junit.jupiter.params.provider.Arguments.of("an unknown executionType", "executionType: Create",
                        "executionType: Pause", "spec.executionType"),
                org.junit.jupiter.params.provider.Arguments.of("a pod template that is not an object",
                        "pod:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: c}]",
                        "pod: 7", "spec.taskRoles.task.pod"));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("schemaViolations")
    void theSchemaRejects(String what, String from, String to, String field) throws Exception {
        String manifest = valid("peer").replace(from, to);
        assertThat(manifest).as("the test's replacement applies").isNotEqualTo(valid("peer"));

        io.capstan.testkit.Kubectl.Run apply = fixture.kubectl(manifest, "create", "-f", "-");

        assertThat(apply.exitCode()).isNotZero();
        assertThat(apply.err()).contains("is invalid").contains(field);
    }

    @Test
    void theWebhookRejectsWhatTheSchemaCannotAllAtOnce() throws Exception {
        String manifest = valid("twice").replace("minFailedTaskCount: 1, minSucceededTaskCount: -1",
                "minFailedTaskCount: 3, minSucceededTaskCount: -1") + """
                  - name: worker
                    taskNumber: 1
                    task: {pod: {spec: {containers: []}}}
                """;

        io.capstan.testkit.Kubectl.Run apply = fixture.kubectl(manifest, "create", "-f", "-");

        assertThat(apply.exitCode()).isNotZero();
        assertThat(apply.err()).contains("denied the request").contains("Framework twice has 3 problems")
                .contains("spec.taskRoles[0].frameworkAttemptCompletionPolicy.minFailedTaskCount 3 can never be reached")
                .contains("spec.taskRoles[1].name \"worker\" is already used by spec.taskRoles[0]")
                .contains("spec.taskRoles[1].task.pod.spec.containers must list at least one container");
        assertThat(fixture.get("twice")).isNull();
    }

    @Test
    void capstanRendersTheServersRefusalsOnceAsKubectlDoes() throws Exception {
        String badName = valid("peer").replace("- name: worker", "- name: Worker");
        Throwable schema = catchThrowable(() -> fixture.client.resources(Framework.class).inNamespace(fixture.namespace)
                .resource(fixture.parse(badName)).create());
        io.capstan.testkit.Kubectl.Run kubectl = fixture.kubectl(badName, "create", "-f", "-");

        assertThat(ApiErrors.describe(schema)).startsWith("The Framework \"peer\" is invalid: spec.taskRoles")
                .doesNotContain("Received status").doesNotContain("Failure executing");
        assertThat(kubectl.err()).contains(ApiErrors.describe(schema));

        String repeatedRole = valid("twice") + """
                  - name: worker
                    taskNumber: 1
                    task: {pod: {spec: {containers: [{name: c, image: c}]}}}
                """;
        Throwable webhook = catchThrowable(() -> fixture.client.resources(Framework.class).inNamespace(fixture.namespace)
                .resource(fixture.parse(repeatedRole)).create());

        io.capstan.testkit.Kubectl.Run kubectlDenied = fixture.kubectl(repeatedRole, "create", "-f", "-");

        assertThat(ApiErrors.describe(webhook)).startsWith("Error from server: admission webhook")
                .containsOnlyOnce("denied the request").doesNotContain("Received status");
        // kubectl puts 'error when creating "STDIN": ' between the two.
        assertThat(kubectlDenied.err()).startsWith("Error from server")
                .contains(ApiErrors.describe(webhook).substring("Error from server: ".length()));
    }

    @Test
    void theWebhookRejectsRestartingAStoppedFramework() {
        fixture.create(valid("stopped").replace("executionType: Create", "executionType: Stop"));
        fixture.awaitState("stopped", FrameworkState.Completed);

        assertThatThrownBy(() -> fixture.executionType("stopped", "Start"))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.executionType cannot change from Stop to Start");
    }

    @Test
    void printerColumnsAndTheShortName() throws Exception {
        fixture.create(valid("columns"));
        fixture.awaitState("columns", FrameworkState.AttemptCreationPending);

        io.capstan.testkit.Kubectl.Run get = fixture.kubectl(null, "get", "fw");

        assertThat(get.exitCode()).as(get.err()).isZero();
        assertThat(get.out().lines().findFirst().orElseThrow()).containsPattern("NAME +STATE +ATTEMPT +RETRIES +AGE");
        assertThat(get.out()).containsPattern("columns +AttemptCreationPending +0 +0 ");
    }

    @Test
    void podTemplateFieldsUnknownToCapstanSurviveEveryStatusWrite() {
        fixture.create(valid("future").replace("executionType: Create", "executionType: Start")
                .replace("restartPolicy: Never", "restartPolicy: Never\n          futureField: {keep: me}"));
        fixture.await("future", "running", f -> f.getStatus().attemptStatus.role("worker").taskStatuses.stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));

        assertThat(fixture.get("future").getSpec().getTaskRoles().getFirst().getTask().getPod()
                .at("/spec/futureField/keep").asText()).isEqualTo("me");
    }
}
