package io.capstan.lambda.hosted;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A CompositeController sync or finalize hook's answer. Loose decoding ignores unknown and repeated fields; strict
 * decoding (the default for {@code v2} hooks) fails on them, as Metacontroller's does.
 *
 * @param status the parent's new status, or null for {@code {}}
 * @param children the desired children; empty (or null in the answer) means none, so every observed child goes
 * @param resyncAfterSeconds a one-shot re-sync after this long, when positive
 * @param events Events to record on the parent (Capstan's addition; see {@link HookEvent})
 */
public record SyncResponse(ObjectNode status, List<ObjectNode> children, double resyncAfterSeconds, boolean finalized,
        List<HookEvent> events) {

    private static final ObjectMapper LOOSE = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectMapper STRICT = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);

    /** The wire shape. */
    private record Wire(ObjectNode status, List<ObjectNode> children, Double resyncAfterSeconds, Boolean finalized,
            List<HookEvent> events) {
    }

    /**
     * @throws IllegalArgumentException when the body is not such an answer, saying why
     */
    public static SyncResponse parse(String body, boolean strict) {
        Wire wire;
        try {
            wire = (strict ? STRICT : LOOSE).readValue(body, Wire.class);
        } catch (IOException e) {
            String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException json
                    ? json.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("the hook's answer cannot be decoded" + (strict ? " (strict)" : "") + ": "
                    + message, e);
        }
        if (wire == null) {
            throw new IllegalArgumentException("the hook's answer is empty");
        }
        List<ObjectNode> children = new ArrayList<>();
        if (wire.children() != null) {
            // A null item (e.g. "children": [null]) is skipped, as Metacontroller's decoding does.
            wire.children().stream().filter(java.util.Objects::nonNull).forEach(children::add);
        }
        return new SyncResponse(wire.status(), children,
                wire.resyncAfterSeconds() == null ? 0 : wire.resyncAfterSeconds(), Boolean.TRUE.equals(wire.finalized()),
                wire.events() == null ? List.of() : wire.events());
    }
}
