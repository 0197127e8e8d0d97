package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** The wire shape. */
    private record Wire(ObjectNode status, List<ObjectNode> children, Double resyncAfterSeconds, Boolean finalized,
            List<HookEvent> events) {
    }

    /**
     * @throws IllegalArgumentException when the body is not such an answer, saying why
     */
    public static SyncResponse parse(String body, boolean strict) {
        Wire wire = Hosted.readAnswer(body, strict, Wire.class);
        return new SyncResponse(wire.status(), Hosted.present(wire.children()),
                wire.resyncAfterSeconds() == null ? 0 : wire.resyncAfterSeconds(), Boolean.TRUE.equals(wire.finalized()),
                Hosted.present(wire.events()));
    }
}
