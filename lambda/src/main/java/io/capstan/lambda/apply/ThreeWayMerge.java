package io.capstan.lambda.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metacontroller's "dynamic apply" merge of a child (its pkg/dynamic/apply/apply.go): what the cluster has
 * ({@code observed}), what was applied last ({@code lastApplied}, from the child's annotation) and what the hook wants
 * now ({@code desired}) become the object to write. Fields the hook stopped returning are removed; fields only someone
 * else wrote survive; lists of objects that share a conventional key are merged item by item, other lists replaced.
 */
public final class ThreeWayMerge {

    /** The keys that make a list of objects a map, in the order they are tried (Metacontroller's). */
    static final List<String> LIST_MAP_KEYS = List.of("containerPort", "port", "mountPath", "name", "uid", "ip", "path");

    private ThreeWayMerge() {
    }

    /** Thrown when the observed object's shape cannot take the desired one (e.g. a list where an object was). */
    public static final class MergeException extends RuntimeException {
        MergeException(String message) {
            super(message);
        }
    }

    /**
     * The merged object; none of the arguments is changed.
     *
     * @param lastApplied null when the child carries no last-applied annotation
     */
    public static ObjectNode merge(ObjectNode observed, ObjectNode lastApplied, ObjectNode desired) {
        return (ObjectNode) mergeValue(observed.deepCopy(), lastApplied, desired, "");
    }

    private static JsonNode mergeValue(JsonNode dest, JsonNode last, JsonNode desired, String path) {
        if (dest instanceof ObjectNode destObject) {
            expect(last, JsonNode::isObject, "lastApplied", path, "an object");
            expect(desired, JsonNode::isObject, "desired", path, "an object");
            return mergeObject(destObject, isNil(last) ? null : (ObjectNode) last,
                    isNil(desired) ? JsonNodeFactory.instance.objectNode() : (ObjectNode) desired, path);
        }
        if (dest instanceof ArrayNode destList) {
            expect(last, JsonNode::isArray, "lastApplied", path, "a list");
            expect(desired, JsonNode::isArray, "desired", path, "a list");
            ArrayNode lastList = isNil(last) ? null : (ArrayNode) last;
            ArrayNode desiredList = isNil(desired) ? JsonNodeFactory.instance.arrayNode() : (ArrayNode) desired;
            String key = listMapKey(destList, lastList, desiredList);
            if (key == null) {
                return isNil(desired) ? desired : desiredList.deepCopy();
            }
            return mergeListMap(destList, lastList, desiredList, key, path);
        }
        return desired == null ? null : desired.deepCopy();
    }

    private static boolean isNil(JsonNode node) {
        return node == null || node.isNull();
    }

    private static void expect(JsonNode node, java.util.function.Predicate<JsonNode> shape, String side, String path,
            String what) {
        if (!isNil(node) && !shape.test(node)) {
            throw new MergeException(side + path + ": expecting " + what + ", got " + node.getNodeType());
        }
    }

    private static ObjectNode mergeObject(ObjectNode dest, ObjectNode last, ObjectNode desired, String path) {
        if (last != null) {
            Iterator<String> names = last.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!desired.has(name)) {
                    dest.remove(name);
                }
            }
        }
        Iterator<Map.Entry<String, JsonNode>> fields = desired.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            JsonNode merged = mergeValue(dest.get(name), last == null ? null : last.get(name), field.getValue(),
                    path + "." + name);
            dest.set(name, merged == null ? JsonNodeFactory.instance.nullNode() : merged);
        }
        return dest;
    }

    /**
     * The key shared by every item of the three lists, when each item is an object: such a list is merged as a map.
     * Empty lists have none (they are replaced).
     */
    static String listMapKey(ArrayNode dest, ArrayNode last, ArrayNode desired) {
        List<JsonNode> items = new ArrayList<>();
        dest.forEach(items::add);
        if (last != null) {
            last.forEach(items::add);
        }
        desired.forEach(items::add);
        if (items.isEmpty() || !items.stream().allMatch(JsonNode::isObject)) {
            return null;
        }
        for (String key : LIST_MAP_KEYS) {
            if (items.stream().allMatch(item -> item.has(key))) {
                return key;
            }
        }
        return null;
    }

    private static ArrayNode mergeListMap(ArrayNode dest, ArrayNode last, ArrayNode desired, String key, String path) {
        Map<String, JsonNode> destItems = byKey(dest, key);
        Map<String, JsonNode> lastItems = last == null ? Map.of() : byKey(last, key);
        Map<String, JsonNode> desiredItems = byKey(desired, key);
        ArrayNode merged = JsonNodeFactory.instance.arrayNode();
        for (Map.Entry<String, JsonNode> item : destItems.entrySet()) {
            String id = item.getKey();
            if (lastItems.containsKey(id) && !desiredItems.containsKey(id)) {
                continue;
            }
            JsonNode wanted = desiredItems.get(id);
            merged.add(wanted == null ? item.getValue()
                    : mergeValue(item.getValue().deepCopy(), lastItems.get(id), wanted, path + "[" + key + "=" + id + "]"));
        }
        for (Map.Entry<String, JsonNode> item : desiredItems.entrySet()) {
            if (!destItems.containsKey(item.getKey())) {
                merged.add(item.getValue().deepCopy());
            }
        }
        return merged;
    }

    private static Map<String, JsonNode> byKey(ArrayNode list, String key) {
        Map<String, JsonNode> items = new LinkedHashMap<>();
        for (JsonNode item : list) {
            JsonNode id = item.get(key);
            items.put(id.isValueNode() ? id.asText() : id.toString(), item);
        }
        return items;
    }
}
