package io.capstan.framework.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FrameworkController's LogObjectSnapshot: history exported through the log as
 * {@code <message><trigger>: ObjectSnapshot: <single-line JSON>}, for systems that extract it with the regular
 * expression {@code : ObjectSnapshot: (.+)} and deduplicate by resourceVersion.
 */
final class Snapshots {

    private static final Logger log = LoggerFactory.getLogger("io.capstan.framework.snapshot");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FrameworkConfig.LogObjectSnapshot enabled;
    private final KubernetesSerialization serialization;

    Snapshots(FrameworkConfig.LogObjectSnapshot enabled, KubernetesSerialization serialization) {
        this.enabled = enabled;
        this.serialization = serialization;
    }

    void onFrameworkRetry(Framework framework) {
        if (enabled.framework.onFrameworkRetry) {
            write("Framework " + key(framework) + " will be retried", ": OnFrameworkRetry", serialization.asJson(framework));
        }
    }

    void onFrameworkDeletion(Framework framework) {
        if (enabled.framework.onFrameworkDeletion) {
            write("Framework " + key(framework) + " is deleted", ": OnFrameworkDeletion", serialization.asJson(framework));
        }
    }

    void onPodDeletion(HasMetadata pod) {
        if (enabled.pod.onPodDeletion) {
            write("Pod " + key(pod) + " is deleted", ": OnPodDeletion", serialization.asJson(pod));
        }
    }

    void onTaskRetry(Framework framework, TaskRoleStatus role, TaskStatus task) {
        if (enabled.task.onTaskRetry) {
            write("Task " + Names.podName(framework.getMetadata().getName(), role.name, task.index) + " will be retried",
                    ": OnTaskRetry", task(framework, role, task, false));
        }
    }

    void onTaskDeletion(Framework framework, TaskRoleStatus role, TaskStatus task) {
        if (enabled.task.onTaskDeletion) {
            write("Task " + Names.podName(framework.getMetadata().getName(), role.name, task.index) + " is deleted",
                    ": OnTaskDeletion", task(framework, role, task, true));
        }
    }

    private static void write(String message, String trigger, String json) {
        log.info("{}{}: ObjectSnapshot: {}", message, trigger, json.replace("\n", ""));
    }

    /** The pseudo Task object FrameworkController logs (kind Task, identity of the task instance). */
    private String task(Framework framework, TaskRoleStatus role, TaskStatus task, boolean deleted) {
        String name = framework.getMetadata().getName();
        String podName = Names.podName(name, role.name, task.index);
        ObjectNode object = JSON.createObjectNode();
        object.put("apiVersion", Framework.API_VERSION);
        object.put("kind", "Task");
        ObjectNode metadata = object.putObject("metadata");
        metadata.put("name", podName);
        metadata.put("namespace", framework.getMetadata().getNamespace());
        metadata.put("uid", task.instanceUID);
        metadata.put("resourceVersion", framework.getMetadata().getResourceVersion());
        if (framework.getMetadata().getGeneration() != null) {
            metadata.put("generation", framework.getMetadata().getGeneration());
        }
        metadata.put("creationTimestamp", task.startTime);
        if (deleted) {
            metadata.put("deletionTimestamp", io.capstan.framework.model.Timestamps.format(Instant.now()));
            metadata.put("deletionGracePeriodSeconds", 0);
        }
        ObjectNode annotations = metadata.putObject("annotations");
        var attempt = framework.getStatus().attemptStatus;
        annotations.put(Names.FRAMEWORK_NAMESPACE, framework.getMetadata().getNamespace());
        annotations.put(Names.FRAMEWORK_NAME, name);
        annotations.put(Names.TASKROLE_NAME, role.name);
        annotations.put(Names.TASK_INDEX, Integer.toString(task.index));
        annotations.put(Names.CONFIGMAP_NAME, Names.configMapName(name));
        annotations.put(Names.FRAMEWORK_UID, framework.getMetadata().getUid());
        annotations.put(Names.FRAMEWORK_ATTEMPT_ID, Integer.toString(attempt.id));
        annotations.put(Names.FRAMEWORK_ATTEMPT_INSTANCE_UID, attempt.instanceUID);
        annotations.put(Names.CONFIGMAP_UID, attempt.configMapUID);
        annotations.put(Names.TASKROLE_UID, role.instanceUID);
        ObjectNode labels = metadata.putObject("labels");
        labels.put(Names.FRAMEWORK_NAME, name);
        labels.put(Names.TASKROLE_NAME, role.name);
        labels.put(Names.TASK_INDEX, Integer.toString(task.index));
        TaskRoleSpec spec = framework.getSpec().role(role.name);
        object.set("spec", spec == null ? JSON.nullNode() : JSON.valueToTree(spec.getTask()));
        object.set("status", JSON.valueToTree(task));
        return object.toString();
    }

    private static String key(HasMetadata object) {
        return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }
}
