package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The attempt ConfigMap and the pod built from the template, with its placeholders, as FrameworkController's
 * pkg/apis/frameworkcontroller/v1/funcs.go builds them.
 */
class TaskPodsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Framework framework = new Framework();
    private final ConfigMap configMap;
    private final TaskRoleStatus role = new TaskRoleStatus();
    private final TaskStatus task = new TaskStatus();

    TaskPodsTest() {
        framework.setMetadata(new ObjectMetaBuilder().withName("fw").withNamespace("ns").withUid("fw-uid").build());
        configMap = TaskPods.configMap(framework, 3);
        configMap.getMetadata().setUid("cm-uid");
        role.name = "worker";
        role.instanceUID = "role-uid";
        task.index = 2;
        task.instanceUID = "task-uid";
        task.attemptStatus.id = 5;
    }

    private Pod build(String template) throws Exception {
        return TaskPods.build(JSON.readTree(template), new TaskPods.Identity(framework, "worker", role, task, 3, "cm-uid"),
                configMap);
    }

    @Test
    void theConfigMapIsOwnedByTheFrameworkAndDeletedInTheForeground() {
        assertThat(configMap.getMetadata().getName()).isEqualTo("fw-attempt");
        assertThat(configMap.getMetadata().getNamespace()).isEqualTo("ns");
        assertThat(configMap.getMetadata().getFinalizers()).containsExactly("foregroundDeletion");
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getApiVersion()).isEqualTo("frameworkcontroller.microsoft.com/v1");
            assertThat(owner.getKind()).isEqualTo("Framework");
            assertThat(owner.getUid()).isEqualTo("fw-uid");
            assertThat(owner.getController()).isTrue();
            assertThat(owner.getBlockOwnerDeletion()).isTrue();
        });
        assertThat(configMap.getMetadata().getLabels()).containsExactly(java.util.Map.entry("FC_FRAMEWORK_NAME", "fw"));
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry("FC_FRAMEWORK_ATTEMPT_ID", "3")
                .containsEntry("FC_FRAMEWORK_UID", "fw-uid").containsEntry("FC_CONFIGMAP_NAME", "fw-attempt");
        assertThat(configMap.getData()).isNullOrEmpty();
    }

    @Test
    void podsAreNamedLabelledAnnotatedAndOwnedByTheConfigMap() throws Exception {
        Pod pod = build("""
                {"metadata": {"name": "ignored", "labels": {"app": "x"}, "annotations": {"mine": "kept"}},
                 "spec": {"containers": [{"name": "main", "image": "busybox"}]}}""");

        assertThat(pod.getMetadata().getName()).isEqualTo("fw-worker-2");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("ns");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "x").containsEntry("FC_FRAMEWORK_NAME", "fw")
                .containsEntry("FC_TASKROLE_NAME", "worker").containsEntry("FC_TASK_INDEX", "2").hasSize(4);
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("mine", "kept").hasSize(14);
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("FC_FRAMEWORK_NAMESPACE", "ns")
                .containsEntry("FC_FRAMEWORK_NAME", "fw").containsEntry("FC_TASKROLE_NAME", "worker")
                .containsEntry("FC_TASK_INDEX", "2").containsEntry("FC_CONFIGMAP_NAME", "fw-attempt")
                .containsEntry("FC_POD_NAME", "fw-worker-2").containsEntry("FC_FRAMEWORK_UID", "fw-uid")
                .containsEntry("FC_FRAMEWORK_ATTEMPT_ID", "3").containsEntry("FC_FRAMEWORK_ATTEMPT_INSTANCE_UID", "3_cm-uid")
                .containsEntry("FC_CONFIGMAP_UID", "cm-uid").containsEntry("FC_TASKROLE_UID", "role-uid")
                .containsEntry("FC_TASK_UID", "task-uid").containsEntry("FC_TASK_ATTEMPT_ID", "5");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("ConfigMap");
            assertThat(owner.getName()).isEqualTo("fw-attempt");
            assertThat(owner.getUid()).isEqualTo("cm-uid");
            assertThat(owner.getController()).isTrue();
        });
    }

    @Test
    void theFifteenVariablesArePrependedToEveryContainerInTheReferenceOrder() throws Exception {
        Pod pod = build("""
                {"spec": {"initContainers": [{"name": "init", "env": [{"name": "A", "value": "$(FC_TASK_INDEX)"}]}],
                          "containers": [{"name": "main"}, {"name": "side", "terminationMessagePolicy": "File"}]}}""");

        List<Container> all = new java.util.ArrayList<>(pod.getSpec().getInitContainers());
        all.addAll(pod.getSpec().getContainers());
        for (Container container : all) {
            List<String> names = container.getEnv().stream().map(EnvVar::getName).toList();
            assertThat(names.subList(0, 15)).containsExactly("FC_FRAMEWORK_NAMESPACE", "FC_FRAMEWORK_NAME",
                    "FC_TASKROLE_NAME", "FC_TASK_INDEX", "FC_CONFIGMAP_NAME", "FC_POD_NAME", "FC_FRAMEWORK_UID",
                    "FC_FRAMEWORK_ATTEMPT_ID", "FC_FRAMEWORK_ATTEMPT_INSTANCE_UID", "FC_CONFIGMAP_UID", "FC_TASKROLE_UID",
                    "FC_TASK_UID", "FC_TASK_ATTEMPT_ID", "FC_POD_UID", "FC_TASK_ATTEMPT_INSTANCE_UID");
            EnvVar podUid = container.getEnv().get(13);
            assertThat(podUid.getValue()).isNull();
            assertThat(podUid.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.uid");
            assertThat(container.getEnv().get(14).getValue()).isEqualTo("5_$(FC_POD_UID)");
        }
        // The user's own variables follow, so they can refer to ours.
        assertThat(pod.getSpec().getInitContainers().getFirst().getEnv().get(15).getName()).isEqualTo("A");
        assertThat(pod.getSpec().getInitContainers().getFirst().getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
        assertThat(pod.getSpec().getContainers().get(0).getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
        assertThat(pod.getSpec().getContainers().get(1).getTerminationMessagePolicy()).isEqualTo("File");
    }

    @Test
    void placeholdersAreReplacedInEveryString() throws Exception {
        Pod pod = build("""
                {"metadata": {"annotations": {"who": "{{FC_POD_NAME}} of {{FC_FRAMEWORK_NAMESPACE}}/{{FC_FRAMEWORK_NAME}}"}},
                 "spec": {"hostname": "{{FC_TASKROLE_NAME}}-{{FC_TASK_INDEX}}", "subdomain": "{{FC_CONFIGMAP_NAME}}",
                          "containers": [{"name": "c", "args": ["--index={{FC_TASK_INDEX}}"]}]}}""");

        assertThat(pod.getMetadata().getAnnotations()).containsEntry("who", "fw-worker-2 of ns/fw");
        assertThat(pod.getSpec().getHostname()).isEqualTo("worker-2");
        assertThat(pod.getSpec().getSubdomain()).isEqualTo("fw-attempt");
        assertThat(pod.getSpec().getContainers().getFirst().getArgs()).containsExactly("--index=2");
    }

    @Test
    void fieldsUnknownToTheJavaModelSurvive() throws Exception {
        Pod pod = build("""
                {"spec": {"futureField": {"x": 1}, "containers": [{"name": "c", "futureContainerField": true}]}}""");

        JsonNode json = JSON.valueToTree(pod);
        assertThat(json.at("/spec/futureField/x").asInt()).isEqualTo(1);
        assertThat(json.at("/spec/containers/0/futureContainerField").asBoolean()).isTrue();
    }

    @Test
    void aTemplateThatIsNotAPodTemplateIsRejected() {
        assertThatThrownBy(() -> build("{\"spec\": {\"containers\": \"not a list\"}}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid PodTemplateSpec");
        assertThat(TaskPods.templateProblem(JSON.valueToTree(List.of(1)))).contains("must be an object");
    }

    @Test
    void namesFollowTheReferenceFormats() {
        assertThat(Names.podName("fw", "worker", 2)).isEqualTo("fw-worker-2");
        assertThat(Names.configMapName("fw")).isEqualTo("fw-attempt");
        assertThat(Names.attemptInstanceUid(0, "u")).isEqualTo("0_u");
    }
}
