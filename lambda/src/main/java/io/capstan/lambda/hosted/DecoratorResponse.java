package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * A DecoratorController sync or finalize hook's answer: labels and annotations to set ({@code null} removes one), a
 * status that replaces the object's ({@code null} leaves it), the attachments it wants, a re-sync delay and whether
 * finalizing is done. Loose or strict decoding as for a CompositeController.
 */
record DecoratorResponse(Map<String, String> labels, Map<String, String> annotations, ObjectNode status,
        List<ObjectNode> attachments, double resyncAfterSeconds, boolean finalized, List<HookEvent> events) {

    private record Wire(Map<String, String> labels, Map<String, String> annotations, ObjectNode status,
            List<ObjectNode> attachments, Double resyncAfterSeconds, Boolean finalized, List<HookEvent> events) {
    }

    static DecoratorResponse parse(String body, boolean strict) {
        Wire wire = Hosted.readAnswer(body, strict, Wire.class);
        return new DecoratorResponse(wire.labels(), wire.annotations(), wire.status(),
                Hosted.present(wire.attachments()),
                wire.resyncAfterSeconds() == null ? 0 : wire.resyncAfterSeconds(), Boolean.TRUE.equals(wire.finalized()),
                Hosted.present(wire.events()));
    }
}
