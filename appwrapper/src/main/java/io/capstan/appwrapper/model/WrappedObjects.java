package io.capstan.appwrapper.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSetInfo;
import java.util.List;
import java.util.Map;

/**
 * A component's template made into the object to create: in the AppWrapper's namespace, labelled with its name (the
 * object and every pod template, so its pods can be found), each podSet's template given what the admitting queue
 * assigned (labels, annotations, node selector, tolerations, scheduling gates), and controlled by the AppWrapper.
 */
public final class WrappedObjects {

    private static final ObjectMapper JSON = new ObjectMapper();

    private WrappedObjects() {
    }

    /** The object cannot be made as asked; retrying will not help. */
    public static final class ConflictException extends Exception {
        public ConflictException(String message) {
            super(message);
        }
    }

    /**
     * @param podSets the component's effective podSets, index-aligned with its {@code podSetInfos}
     * @param schedulerName set on pod templates that name none, or null
     * @param autopilot adds the node affinities that keep pods off nodes Autopilot marks unhealthy
     */
    public static ObjectNode build(AppWrapper appWrapper, Component component, List<PodSet> podSets, String schedulerName,
            Autopilot autopilot) throws ConflictException, PodSets.InvalidPodSetException {
        ObjectNode object = component.template.deepCopy();
        ObjectNode metadata = object.with("metadata");
        String namespace = appWrapper.getMetadata().getNamespace();
        String given = metadata.path("namespace").asText("");
        if (!given.isEmpty() && !given.equals(namespace)) {
            throw new ConflictException("the component's namespace " + given + " is not the AppWrapper's, " + namespace);
        }
        metadata.put("namespace", namespace);
        String name = appWrapper.getMetadata().getName();
        ObjectNode labels = metadata.with("labels");
        if (!labels.has(AppWrapper.LABEL)) {
            labels.put(AppWrapper.LABEL, name);
        }
        List<PodSetInfo> infos = component.podSetInfos == null ? List.of() : component.podSetInfos;
        for (int i = 0; i < podSets.size(); i++) {
            PodSetInfo info = i < infos.size() ? infos.get(i) : new PodSetInfo();
            ObjectNode template = PodSets.podTemplate(object, podSets.get(i).path);
            String where = "podSet " + podSets.get(i).path;
            ObjectNode templateMetadata = template.with("metadata");
            merge(templateMetadata.with("annotations"), info.annotations, where + " annotation");
            merge(templateMetadata.with("labels"), info.labels, where + " label");
            merge(templateMetadata.with("labels"), Map.of(AppWrapper.LABEL, name), where + " label");
            ObjectNode spec = (ObjectNode) template.get("spec");
            if (info.nodeSelector != null && !info.nodeSelector.isEmpty()) {
                merge(spec.with("nodeSelector"), info.nodeSelector, where + " nodeSelector");
            }
            if (info.tolerations != null) {
                ArrayNode tolerations = spec.withArray("tolerations");
                info.tolerations.forEach(t -> tolerations.add(JSON.valueToTree(t)));
            }
            if (info.schedulingGates != null && !info.schedulingGates.isEmpty()) {
                ArrayNode gates = spec.withArray("schedulingGates");
                for (Map<String, String> gate : info.schedulingGates) {
                    boolean present = false;
                    for (JsonNode existing : gates) {
                        present |= existing.path("name").asText().equals(gate.get("name"));
                    }
                    if (!present) {
                        gates.add(JSON.valueToTree(gate));
                    }
                }
            }
            if (schedulerName != null && !spec.hasNonNull("schedulerName")) {
                spec.put("schedulerName", schedulerName);
            }
            autopilot.injectAntiAffinities(spec);
        }
        ArrayNode owners = metadata.withArray("ownerReferences");
        owners.addObject().put("apiVersion", AppWrapper.API_VERSION).put("kind", AppWrapper.KIND).put("name", name)
                .put("uid", appWrapper.getMetadata().getUid()).put("controller", true).put("blockOwnerDeletion", true);
        return object;
    }

    /** Adds {@code entries}; the same key with another value is a conflict, not an overwrite. */
    private static void merge(ObjectNode into, Map<String, String> entries, String what) throws ConflictException {
        if (entries == null) {
            return;
        }
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            JsonNode existing = into.get(entry.getKey());
            if (existing != null && !existing.asText().equals(entry.getValue())) {
                throw new ConflictException("the " + what + " " + entry.getKey() + " is " + existing.asText()
                        + " in the template, but the queue assigned " + entry.getValue());
            }
            into.put(entry.getKey(), entry.getValue());
        }
    }
}
