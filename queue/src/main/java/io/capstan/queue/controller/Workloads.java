package io.capstan.queue.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.queue.QueueReason;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.events.EventRecorder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the queue does alike for every kind it queues (AppWrappers, Frameworks): the Workload an object gets, named as
 * Kueue names it, with its podSets, queue and priority; whether it is admitted; and an Event on the object each time
 * the reason it waits changes, so {@code kubectl describe} on the AppWrapper or Framework says why it waits.
 */
final class Workloads {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final EventRecorder events;
    private final SharedIndexInformer<GenericKubernetesResource> priorityClasses;
    private final SharedIndexInformer<GenericKubernetesResource> flavors;
    private final Map<ObjectKey, String> toldWaiting = new ConcurrentHashMap<>();

    Workloads(KubernetesClient client, EventRecorder events, SharedIndexInformer<GenericKubernetesResource> priorityClasses,
            SharedIndexInformer<GenericKubernetesResource> flavors) {
        this.client = client;
        this.events = events;
        this.priorityClasses = priorityClasses;
        this.flavors = flavors;
    }

    /**
     * What a podSet's admission places on its pods: the label {@code kueue.x-k8s.io/podset}, and the assigned flavors'
     * node labels as a node selector and their tolerations (each flavor once).
     */
    ObjectNode placement(String podSetName, JsonNode assignment) {
        ObjectNode placement = JSON.createObjectNode();
        placement.putObject("labels").put(Kueue.PODSET_LABEL, podSetName);
        ObjectNode nodeSelector = JSON.createObjectNode();
        ArrayNode tolerations = JSON.createArrayNode();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode flavorName : assignment == null ? JSON.createObjectNode() : assignment.path("flavors")) {
            GenericKubernetesResource flavor = seen.add(flavorName.asText())
                    ? flavors.getIndexer().getByKey(flavorName.asText()) : null;
            if (flavor != null) {
                JsonNode spec = client.getKubernetesSerialization().convertValue(flavor, JsonNode.class).path("spec");
                spec.path("nodeLabels").fields().forEachRemaining(e -> nodeSelector.put(e.getKey(), e.getValue().asText()));
                spec.path("tolerations").forEach(t -> tolerations.add(t.deepCopy()));
            }
        }
        if (!nodeSelector.isEmpty()) {
            placement.set("nodeSelector", nodeSelector);
        }
        if (!tolerations.isEmpty()) {
            placement.set("tolerations", tolerations);
        }
        return placement;
    }

    /** Kueue's name for an object's Workload: {@code KIND-NAME-HASH}, the hash telling instances apart. */
    static String name(HasMetadata owner, String group) {
        String name = owner.getMetadata().getName();
        String prefix = owner.getKind().toLowerCase() + "-" + (name.length() > 230 ? name.substring(0, 230) : name);
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update((owner.getKind() + "/" + group + "/" + name + "/" + owner.getMetadata().getUid())
                    .getBytes(StandardCharsets.UTF_8));
            return prefix + "-" + HexFormat.of().formatHex(sha1.digest()).substring(0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-1 in this JVM", e);
        }
    }

    /** Creates the owner's Workload with these podSets ({@code [{name, count, template}]}); one already there is kept. */
    void create(HasMetadata owner, String name, String queueName, ArrayNode podSets) {
        ObjectNode workload = JSON.createObjectNode();
        workload.put("apiVersion", Kueue.API_VERSION).put("kind", "Workload");
        ObjectNode metadata = workload.putObject("metadata");
        metadata.put("name", name).put("namespace", owner.getMetadata().getNamespace());
        metadata.putArray("ownerReferences").addObject().put("apiVersion", owner.getApiVersion())
                .put("kind", owner.getKind()).put("name", owner.getMetadata().getName())
                .put("uid", owner.getMetadata().getUid()).put("controller", true).put("blockOwnerDeletion", true);
        ObjectNode spec = workload.putObject("spec");
        spec.put("queueName", queueName);
        spec.set("podSets", podSets);
        String maximumExecutionTime = owner.getMetadata().getLabels().get(Kueue.MAX_EXEC_TIME_LABEL);
        if (maximumExecutionTime != null && maximumExecutionTime.matches("[1-9][0-9]{0,8}")) {
            spec.put("maximumExecutionTimeSeconds", Integer.parseInt(maximumExecutionTime));
        }
        String priorityClass = owner.getMetadata().getLabels().get(Kueue.PRIORITY_CLASS_LABEL);
        if (priorityClass != null) {
            GenericKubernetesResource found = priorityClasses.getIndexer().getByKey(priorityClass);
            int value = found == null ? 0 : client.getKubernetesSerialization().convertValue(found, JsonNode.class)
                    .path("value").asInt(0);
            spec.put("priority", value);
            spec.putObject("priorityClassRef").put("group", Kueue.GROUP).put("kind", "WorkloadPriorityClass")
                    .put("name", priorityClass);
            // v1beta1's names for the same reference.
            spec.put("priorityClassSource", "kueue.x-k8s.io/workloadpriorityclass").put("priorityClassName", priorityClass);
        }
        try {
            client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(owner.getMetadata().getNamespace())
                    .resource(JSON.convertValue(workload, GenericKubernetesResource.class)).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    static JsonNode status(KubernetesClient client, GenericKubernetesResource workload) {
        return client.getKubernetesSerialization().convertValue(workload, JsonNode.class).path("status");
    }

    /** Admitted, and neither finished nor evicted. */
    static boolean admitted(JsonNode workloadStatus) {
        return Scheduler.isTrue(workloadStatus, Kueue.ADMITTED) && !Scheduler.isTrue(workloadStatus, Kueue.FINISHED)
                && !Scheduler.isTrue(workloadStatus, Kueue.EVICTED);
    }

    /** A {@code Pending} Event on the owner when the reason its Workload waits is new. */
    void tellWhyItWaits(HasMetadata owner, JsonNode workloadStatus) {
        ObjectKey key = ObjectKey.of(owner);
        for (JsonNode condition : workloadStatus.path("conditions")) {
            if (Kueue.QUOTA_RESERVED.equals(condition.path("type").asText())
                    && "False".equals(condition.path("status").asText())) {
                String message = condition.path("message").asText();
                if (!message.equals(toldWaiting.put(key, message))) {
                    events.record(owner, QueueReason.Pending, "Queued: %s", message);
                }
                return;
            }
        }
    }

    void forget(ObjectKey key) {
        toldWaiting.remove(key);
    }

    static String message(JsonNode status, String type) {
        for (JsonNode condition : status.path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition.path("message").asText();
            }
        }
        return "";
    }
}
