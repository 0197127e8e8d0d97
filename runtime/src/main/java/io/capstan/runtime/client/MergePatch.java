package io.capstan.runtime.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Computes JSON merge patches (RFC 7386): the smallest document that turns one JSON value into another. A status
 * write as a merge patch carries only what changed, so the API server decodes, validates and stores a fraction of
 * what a whole-object PUT costs it; with {@code metadata.resourceVersion} in the patch it is just as optimistic.
 */
public final class MergePatch {

    private MergePatch() {
    }

    /**
     * The patch that turns {@code from} into {@code to}: for objects, changed members recursively, removed members as
     * null; anything else (arrays, scalars, a change of type) whole. Null input means an absent value.
     *
     * @return the patch; an empty object when both are equal objects or both absent
     */
    public static JsonNode diff(JsonNode from, JsonNode to) {
        if (to == null || to.isNull()) {
            return from == null || from.isNull() ? JsonNodeFactory.instance.objectNode() : JsonNodeFactory.instance.nullNode();
        }
        if (from == null || !from.isObject() || !to.isObject()) {
            return to.deepCopy();
        }
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = to.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            JsonNode old = from.get(member.getKey());
            if (member.getValue().isNull()) {
                // A null member in the target means absent: remove it if it was there.
                if (old != null && !old.isNull()) {
                    patch.putNull(member.getKey());
                }
            } else if (old == null || !old.equals(member.getValue())) {
                patch.set(member.getKey(), diff(old, member.getValue()));
            }
        }
        for (Iterator<String> it = from.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!to.has(name) && !from.get(name).isNull()) {
                patch.putNull(name);
            }
        }
        return patch;
    }

    /** True when the patch changes nothing. */
    public static boolean isEmpty(JsonNode patch) {
        return patch.isObject() && patch.isEmpty();
    }
}
