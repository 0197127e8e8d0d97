package io.capstan.lambda.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** What the three-way merge guarantees whatever the objects: the hook's fields win, others' survive, it settles. */
class ThreeWayMergePropertiesTest {

    @Property(tries = 500)
    void everyFieldTheHookReturnsIsWhatItReturned(@ForAll("objects") ObjectNode observed,
            @ForAll("objects") ObjectNode lastApplied, @ForAll("objects") ObjectNode desired) {
        ObjectNode merged = ThreeWayMerge.merge(observed, lastApplied, desired);

        assertContains(merged, desired);
    }

    @Property(tries = 500)
    void fieldsOnlySomeoneElseWroteSurvive(@ForAll("objects") ObjectNode observed, @ForAll("objects") ObjectNode lastApplied,
            @ForAll("objects") ObjectNode desired) {
        ObjectNode merged = ThreeWayMerge.merge(observed, lastApplied, desired);

        observed.fieldNames().forEachRemaining(name -> {
            if (!lastApplied.has(name) && !desired.has(name)) {
                assertThat(merged.get(name)).as(name).isEqualTo(observed.get(name));
            }
        });
    }

    @Property(tries = 500)
    void applyingTheSameDesiredObjectAgainChangesNothing(@ForAll("objects") ObjectNode observed,
            @ForAll("objects") ObjectNode lastApplied, @ForAll("objects") ObjectNode desired) {
        ObjectNode once = ThreeWayMerge.merge(observed, lastApplied, desired);

        assertThat(ThreeWayMerge.merge(once, desired, desired)).isEqualTo(once);
    }

    /**
     * Every field of {@code part} is in {@code whole} with the same value: objects compared field by field, lists of
     * named items item by item.
     */
    private static void assertContains(JsonNode whole, JsonNode part) {
        Iterator<Map.Entry<String, JsonNode>> fields = part.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = whole.get(field.getKey());
            if (field.getValue().isObject() && value != null && value.isObject()) {
                assertContains(value, field.getValue());
            } else if (field.getValue().isArray() && value != null && value.isArray()) {
                // A list of named items merges as a map: the hook's items are there, others' items may be too.
                java.util.List<JsonNode> items = new java.util.ArrayList<>();
                value.forEach(items::add);
                field.getValue().forEach(item -> assertThat(items).as(field.getKey()).contains(item));
            } else {
                assertThat(value).as(field.getKey()).isEqualTo(field.getValue());
            }
        }
    }

    @Provide
    Arbitrary<ObjectNode> objects() {
        return object(2);
    }

    /**
     * Small objects over a few shared keys, each key always of one shape (as a kind's schema fixes it): {@code p} and
     * {@code s} scalars, {@code q} a list of named items, {@code r} a nested object of the same keys.
     */
    private static Arbitrary<ObjectNode> object(int depth) {
        Arbitrary<JsonNode> scalar = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 3).map(JsonNodeFactory.instance::numberNode),
                Arbitraries.of("x", "y").map(JsonNodeFactory.instance::textNode));
        Arbitrary<JsonNode> namedItems = Arbitraries.of("a", "b", "c").set().ofMaxSize(3).map(names -> {
            var list = JsonNodeFactory.instance.arrayNode();
            names.forEach(name -> list.addObject().put("name", name).put("v", name.hashCode() % 3));
            return list;
        });
        Arbitrary<JsonNode> nested = depth == 0 ? scalar.map(v -> JsonNodeFactory.instance.objectNode().set("p", v))
                : object(depth - 1).map(JsonNode.class::cast);
        return Arbitraries.of("p", "q", "r", "s").set().ofMaxSize(4).flatMap(keys -> {
            Arbitrary<ObjectNode> node = Arbitraries.just(JsonNodeFactory.instance.objectNode());
            for (String key : keys) {
                Arbitrary<JsonNode> value = switch (key) {
                    case "q" -> namedItems;
                    case "r" -> nested;
                    default -> scalar;
                };
                node = node.flatMap(n -> value.map(v -> {
                    ObjectNode copy = n.deepCopy();
                    copy.set(key, v);
                    return copy;
                }));
            }
            return node;
        });
    }
}
