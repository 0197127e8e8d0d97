package io.capstan.framework.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a task's pod from its template, exactly as FrameworkController does: placeholders replaced in every string,
 * name {@code {framework}-{role}-{index}}, a controller ownerReference to the attempt's ConfigMap appended, the
 * FC_* annotations and labels, the FC_* environment variables prepended to every container (so user values can use
 * {@code $(FC_...)}), and {@code FallbackToLogsOnError} where no termination-message policy is set.
 */
public final class TaskPods {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskPods() {
    }

    /** The values a task's pod is stamped with. */
    public record Identity(Framework framework, String role, TaskRoleStatus roleStatus, TaskStatus task,
            int frameworkAttemptId, String configMapUid) {

        String podName() {
            return Names.podName(framework.getMetadata().getName(), role, task.index);
        }

        Map<String, String> annotations() {
            String name = framework.getMetadata().getName();
            Map<String, String> values = new LinkedHashMap<>();
            values.put(Names.FRAMEWORK_NAMESPACE, framework.getMetadata().getNamespace());
            values.put(Names.FRAMEWORK_NAME, name);
            values.put(Names.TASKROLE_NAME, role);
            values.put(Names.TASK_INDEX, Integer.toString(task.index));
            values.put(Names.CONFIGMAP_NAME, Names.configMapName(name));
            values.put(Names.POD_NAME, podName());
            values.put(Names.FRAMEWORK_UID, framework.getMetadata().getUid());
            values.put(Names.FRAMEWORK_ATTEMPT_ID, Integer.toString(frameworkAttemptId));
            values.put(Names.FRAMEWORK_ATTEMPT_INSTANCE_UID, Names.attemptInstanceUid(frameworkAttemptId, configMapUid));
            values.put(Names.CONFIGMAP_UID, configMapUid);
            values.put(Names.TASKROLE_UID, roleStatus.instanceUID);
            values.put(Names.TASK_UID, task.instanceUID);
            values.put(Names.TASK_ATTEMPT_ID, Integer.toString(task.attemptStatus.id));
            return values;
        }
    }

    /** Replaces {{FC_...}} placeholders in the template's JSON and parses it as a pod template. */
    static PodTemplateSpec template(JsonNode template, Identity identity) {
        String text = template == null ? "{}" : template.toString();
        Map<String, String> values = identity.annotations();
        for (String placeholder : Names.PLACEHOLDERS) {
            String value = values.get(placeholder);
            text = text.replace("{{" + placeholder + "}}", JSON.valueToTree(value).toString().replaceAll("^\"|\"$", ""));
        }
        try {
            return JSON.readValue(text, PodTemplateSpec.class);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the pod template is not a valid PodTemplateSpec: " + e.getMessage(), e);
        }
    }

    public static Pod build(JsonNode template, Identity identity, ConfigMap configMap) {
        PodTemplateSpec spec = template(template, identity);
        Pod pod = new Pod();
        pod.setApiVersion("v1");
        pod.setKind("Pod");
        pod.setMetadata(spec.getMetadata() == null ? new io.fabric8.kubernetes.api.model.ObjectMeta() : spec.getMetadata());
        pod.setSpec(spec.getSpec() == null ? new io.fabric8.kubernetes.api.model.PodSpec() : spec.getSpec());
        var metadata = pod.getMetadata();
        metadata.setName(identity.podName());
        metadata.setGenerateName(null);
        metadata.setNamespace(identity.framework().getMetadata().getNamespace());
        List<OwnerReference> owners = new ArrayList<>(metadata.getOwnerReferences() == null ? List.of()
                : metadata.getOwnerReferences());
        owners.add(new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap")
                .withName(configMap.getMetadata().getName()).withUid(configMap.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build());
        metadata.setOwnerReferences(owners);
        Map<String, String> values = identity.annotations();
        Map<String, String> annotations = new LinkedHashMap<>(metadata.getAnnotations() == null ? Map.of() : metadata.getAnnotations());
        annotations.putAll(values);
        metadata.setAnnotations(annotations);
        Map<String, String> labels = new LinkedHashMap<>(metadata.getLabels() == null ? Map.of() : metadata.getLabels());
        labels.put(Names.FRAMEWORK_NAME, values.get(Names.FRAMEWORK_NAME));
        labels.put(Names.TASKROLE_NAME, values.get(Names.TASKROLE_NAME));
        labels.put(Names.TASK_INDEX, values.get(Names.TASK_INDEX));
        metadata.setLabels(labels);

        List<EnvVar> injected = new ArrayList<>();
        for (String name : Names.POD_ANNOTATIONS) {
            injected.add(new EnvVar(name, values.get(name), null));
        }
        injected.add(new EnvVarBuilder().withName(Names.POD_UID).withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.uid").endFieldRef().endValueFrom().build());
        injected.add(new EnvVar(Names.TASK_ATTEMPT_INSTANCE_UID, values.get(Names.TASK_ATTEMPT_ID) + "_$(" + Names.POD_UID + ")",
                null));
        List<Container> all = new ArrayList<>();
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        if (pod.getSpec().getContainers() != null) {
            all.addAll(pod.getSpec().getContainers());
        }
        for (Container container : all) {
            List<EnvVar> env = new ArrayList<>(injected);
            if (container.getEnv() != null) {
                env.addAll(container.getEnv());
            }
            container.setEnv(env);
            if (container.getTerminationMessagePolicy() == null || container.getTerminationMessagePolicy().isEmpty()) {
                container.setTerminationMessagePolicy("FallbackToLogsOnError");
            }
        }
        return pod;
    }

    /** The attempt's ConfigMap: no data, owned by the Framework, deleted in the foreground. */
    public static ConfigMap configMap(Framework framework, int attemptId) {
        String name = framework.getMetadata().getName();
        ConfigMap configMap = new ConfigMap();
        configMap.setApiVersion("v1");
        configMap.setKind("ConfigMap");
        var metadata = new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(Names.configMapName(name)).withNamespace(framework.getMetadata().getNamespace())
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(Framework.API_VERSION).withKind("Framework")
                        .withName(name).withUid(framework.getMetadata().getUid()).withController(true)
                        .withBlockOwnerDeletion(true).build())
                .withFinalizers("foregroundDeletion")
                .addToAnnotations(Names.FRAMEWORK_NAMESPACE, framework.getMetadata().getNamespace())
                .addToAnnotations(Names.FRAMEWORK_NAME, name)
                .addToAnnotations(Names.CONFIGMAP_NAME, Names.configMapName(name))
                .addToAnnotations(Names.FRAMEWORK_UID, framework.getMetadata().getUid())
                .addToAnnotations(Names.FRAMEWORK_ATTEMPT_ID, Integer.toString(attemptId))
                .addToLabels(Names.FRAMEWORK_NAME, name)
                .build();
        configMap.setMetadata(metadata);
        return configMap;
    }

    /** For validation: does the template parse as a pod template at all? Returns the problem, or null. */
    public static String templateProblem(JsonNode template) {
        if (template == null || template.isNull()) {
            return null;
        }
        if (!(template instanceof ObjectNode)) {
            return "task.pod must be an object (a PodTemplateSpec)";
        }
        try {
            JSON.treeToValue(template, PodTemplateSpec.class);
            return null;
        } catch (java.io.IOException e) {
            return "task.pod is not a valid PodTemplateSpec: " + e.getMessage();
        }
    }
}
