package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MergePatchTest {

    private static final ObjectMapper json = new ObjectMapper();

    @ParameterizedTest(name = "{0} -> {1} is {2}")
    @CsvSource(delimiter = '|', textBlock = """
            {"a":1}                       | {"a":1}                         | {}
            {"a":1}                       | {"a":2}                         | {"a":2}
            {"a":1,"b":2}                 | {"a":1}                         | {"b":null}
            {"a":1,"b":null}              | {"a":1}                         | {}
            {"a":1}                       | {"a":1,"b":null}                | {}
            {"a":1}                       | {"a":1,"b":{"c":3}}             | {"b":{"c":3}}
            {"o":{"x":1,"y":2}}           | {"o":{"x":1,"y":3,"z":4}}       | {"o":{"y":3,"z":4}}
            {"o":{"x":1}}                 | {"o":{}}                        | {"o":{"x":null}}
            {"l":[1,2,3]}                 | {"l":[1,2]}                     | {"l":[1,2]}
            {"l":[{"a":1}]}               | {"l":[{"a":1,"b":2}]}           | {"l":[{"a":1,"b":2}]}
            {"o":{"x":1}}                 | {"o":"text"}                    | {"o":"text"}
            {"o":"text"}                  | {"o":{"x":1}}                   | {"o":{"x":1}}
            """)
    void theDiffIsTheSmallestMergePatch(String from, String to, String expected) throws Exception {
        JsonNode patch = MergePatch.diff(json.readTree(from), json.readTree(to));

        assertThat(patch).isEqualTo(json.readTree(expected));
        assertThat(MergePatch.isEmpty(patch)).isEqualTo("{}".equals(expected));
        assertThat(apply(json.readTree(from), patch)).as("applying the patch gives the target")
                .isEqualTo(withoutNulls(json.readTree(to)));
    }

    @Test
    void twoAbsentValuesNeedNoPatch() {
        assertThat(MergePatch.isEmpty(MergePatch.diff(null, null))).isTrue();
        assertThat(MergePatch.isEmpty(MergePatch.diff(json.nullNode(), null))).isTrue();
        assertThat(MergePatch.diff(json.createObjectNode(), null).isNull()).as("present to absent removes it").isTrue();
    }

    /** RFC 7386's MergePatch algorithm, as the API server applies it. */
    static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : json.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            if (member.getValue().isNull()) {
                result.remove(member.getKey());
            } else {
                result.set(member.getKey(), apply(result.get(member.getKey()), member.getValue()));
            }
        }
        return withoutNulls(result);
    }

    private static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = json.createObjectNode();
            node.fields().forEachRemaining(member -> {
                if (!member.getValue().isNull()) {
                    copy.set(member.getKey(), withoutNulls(member.getValue()));
                }
            });
            return copy;
        }
        return node;
    }
}
