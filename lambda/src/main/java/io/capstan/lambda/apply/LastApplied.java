package io.capstan.lambda.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a desired child becomes a write, as Metacontroller's dynamic apply does it: a new child carries the desired
 * object in the annotation {@value #ANNOTATION}; an existing one is the {@link ThreeWayMerge} of what the cluster has,
 * that annotation and the desired object, with the server's own metadata and the child's status left as they are.
 */
public final class LastApplied {

    public static final String ANNOTATION = "metacontroller.k8s.io/last-applied-configuration";
    /** Metadata the server owns: a merge never changes it. */
    static final List<String> READ_ONLY_METADATA = List.of("selfLink", "uid", "resourceVersion", "generation",
            "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields");

    private static final ObjectMapper JSON = new ObjectMapper();

    private LastApplied() {
    }

    /** The desired child as it is created: with the annotation that records it. */
    public static ObjectNode forCreate(ObjectNode desired) {
        ObjectNode clean = withoutAnnotation(desired);
        ObjectNode created = clean.deepCopy();
        annotations(created).put(ANNOTATION, compact(clean));
        return created;
    }

    /**
     * What to write over {@code observed} so that it becomes {@code desired}, or null when nothing would change.
     *
     * @throws ThreeWayMerge.MergeException when the shapes do not merge
     */
    public static ObjectNode forUpdate(ObjectNode observed, ObjectNode desired) {
        ObjectNode clean = withoutAnnotation(desired);
        ObjectNode merged = ThreeWayMerge.merge(observed, lastApplied(observed), clean);
        ObjectNode observedMetadata = (ObjectNode) observed.path("metadata");
        ObjectNode mergedMetadata = merged.with("metadata");
        for (String field : READ_ONLY_METADATA) {
            JsonNode value = observedMetadata.get(field);
            if (value == null) {
                mergedMetadata.remove(field);
            } else {
                mergedMetadata.set(field, value.deepCopy());
            }
        }
        if (observed.has("status")) {
            merged.set("status", observed.get("status").deepCopy());
        } else {
            merged.remove("status");
        }
        annotations(merged).put(ANNOTATION, compact(clean));
        return merged.equals(SAME_VALUE, observed) ? null : merged;
    }

    /**
     * Equality of JSON values where numbers compare by value: a hook's {@code 1} and the server's echo of it may be
     * parsed as different number types, and must not look like a change (that would recreate a child on every sync).
     */
    public static final java.util.Comparator<JsonNode> SAME_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /**
     * Where two objects first differ, as a path ({@code .spec.containers[0].image}), or null when they are equal: what
     * a log line names when a child is rewritten or recreated. The last-applied annotation is left out: it changes
     * with whatever else does.
     */
    public static String firstDifference(ObjectNode before, ObjectNode after) {
        return firstDifference(withoutAnnotation(before), withoutAnnotation(after), "");
    }

    private static String firstDifference(JsonNode before, JsonNode after, String path) {
        if (before == null ? after == null : after != null && before.equals(SAME_VALUE, after)) {
            return null;
        }
        if (before instanceof ObjectNode beforeObject && after instanceof ObjectNode afterObject) {
            java.util.Set<String> names = new java.util.TreeSet<>();
            beforeObject.fieldNames().forEachRemaining(names::add);
            afterObject.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                String found = firstDifference(beforeObject.get(name), afterObject.get(name), path + "." + name);
                if (found != null) {
                    return found;
                }
            }
        }
        if (before != null && after != null && before.isArray() && after.isArray() && before.size() == after.size()) {
            for (int i = 0; i < before.size(); i++) {
                String found = firstDifference(before.get(i), after.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return path.isEmpty() ? "." : path;
    }

    /** The object recorded in the child's annotation, or null. */
    static ObjectNode lastApplied(ObjectNode observed) {
        JsonNode text = observed.path("metadata").path("annotations").get(ANNOTATION);
        if (text == null || !text.isTextual() || text.asText().isEmpty()) {
            return null;
        }
        try {
            JsonNode parsed = JSON.readTree(text.asText());
            return parsed instanceof ObjectNode object ? object : null;
        } catch (JsonProcessingException e) {
            // An annotation someone else broke: as if there were none, so nothing is removed on its word.
            return null;
        }
    }

    private static ObjectNode withoutAnnotation(ObjectNode desired) {
        JsonNode annotations = desired.path("metadata").path("annotations");
        if (!annotations.has(ANNOTATION)) {
            return desired;
        }
        ObjectNode copy = desired.deepCopy();
        ((ObjectNode) copy.path("metadata").path("annotations")).remove(ANNOTATION);
        return copy;
    }

    private static ObjectNode annotations(ObjectNode object) {
        ObjectNode metadata = object.with("metadata");
        JsonNode annotations = metadata.get("annotations");
        if (annotations instanceof ObjectNode existing) {
            return existing;
        }
        return metadata.putObject("annotations");
    }

    /** Compact JSON with the keys of every object sorted, as Go writes a map. */
    public static String compact(JsonNode node) {
        return sorted(node).toString();
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            names.forEach(name -> copy.set(name, sorted(node.get(name))));
            return copy;
        }
        if (node.isArray()) {
            var copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(item -> copy.add(sorted(item)));
            return copy;
        }
        return node;
    }
}
