package io.capstan.lambda.hosted;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DecoratorController sync or finalize hook's answer: labels and annotations to set ({@code null} removes one), a
 * status that replaces the object's ({@code null} leaves it), the attachments it wants, a re-sync delay and whether
 * finalizing is done. Loose or strict decoding as for a CompositeController.
 */
record DecoratorResponse(Map<String, String> labels, Map<String, String> annotations, ObjectNode status,
        List<ObjectNode> attachments, double resyncAfterSeconds, boolean finalized, List<HookEvent> events) {

    private static final ObjectMapper LOOSE = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectMapper STRICT = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);

    private record Wire(Map<String, String> labels, Map<String, String> annotations, ObjectNode status,
            List<ObjectNode> attachments, Double resyncAfterSeconds, Boolean finalized, List<HookEvent> events) {
    }

    static DecoratorResponse parse(String body, boolean strict) {
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
        List<ObjectNode> attachments = new ArrayList<>();
        if (wire.attachments() != null) {
            wire.attachments().stream().filter(Objects::nonNull).forEach(attachments::add);
        }
        return new DecoratorResponse(wire.labels(), wire.annotations(), wire.status(), attachments,
                wire.resyncAfterSeconds() == null ? 0 : wire.resyncAfterSeconds(), Boolean.TRUE.equals(wire.finalized()),
                wire.events() == null ? List.of() : wire.events());
    }
}
