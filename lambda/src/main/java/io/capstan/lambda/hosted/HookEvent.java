package io.capstan.lambda.hosted;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.capstan.runtime.events.EventReason;
import io.capstan.runtime.events.EventRecorder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An Event a hook asks for in its answer ({@code "events": [{"type": "Normal", "reason": "Scaled", "message": …}]}),
 * recorded on the parent or decorated object. Metacontroller has no such field (its most-asked-for feature, issue
 * #249); hooks written for it never send one, and a strict decoder accepts it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record HookEvent(String type, String reason, String message) {

    /** Kubernetes' own shape for a reason: UpperCamelCase, at most 128 characters. */
    private static final Pattern REASON = Pattern.compile("[A-Z][A-Za-z0-9]{0,127}");

    /** The hook's reasons are its own; the type is Normal unless the hook says Warning. */
    private record Reason(String reason, Type type) implements EventReason {
    }

    /** A hook Event that cannot be recorded as asked is told as this Warning instead, with why. */
    private static final EventReason INVALID = new Reason("InvalidHookEvent", EventReason.Type.Warning);

    static void record(EventRecorder events, HasMetadata object, List<HookEvent> asked) {
        if (asked == null) {
            return;
        }
        for (HookEvent event : asked) {
            if (event == null) {
                continue;
            }
            String type = event.type() == null ? "Normal" : event.type();
            if (!type.equals("Normal") && !type.equals("Warning")) {
                events.record(object, INVALID, "The hook asked for an Event of type %s (Normal or Warning): %s", type,
                        event.message());
            } else if (event.reason() == null || !REASON.matcher(event.reason()).matches()) {
                events.record(object, INVALID, "The hook asked for an Event whose reason '%s' is not UpperCamelCase of "
                        + "at most 128 characters: %s", event.reason(), event.message());
            } else {
                events.record(object, new Reason(event.reason(), EventReason.Type.valueOf(type)), "%s",
                        event.message() == null ? "" : event.message());
            }
        }
    }
}
