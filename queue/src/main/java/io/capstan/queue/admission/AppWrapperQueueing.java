package io.capstan.queue.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.webhook.AdmissionReviews;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What Kueue's own webhook does for AppWrappers (kubernetes-sigs/kueue, pkg/controller/jobframework/base_webhook.go),
 * served by the queue in its place:
 * <ul>
 * <li>defaulting, on create: an AppWrapper without a queue, in a namespace with a LocalQueue named {@code default},
 * is queued there (Kueue's {@code LocalQueueDefaulting}), and a queued AppWrapper is stored suspended;</li>
 * <li>validation: the queue name must be a valid LocalQueue name and the maximum execution time a positive number
 * of seconds; neither can change while the AppWrapper runs, and its priority class cannot change at all.</li>
 * </ul>
 */
public final class AppWrapperQueueing {

    public static final String DEFAULT_LOCAL_QUEUE = "default";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A DNS-1123 subdomain, as a LocalQueue's name is. */
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private AppWrapperQueueing() {
    }

    /** @param hasDefaultLocalQueue whether a namespace has a LocalQueue named {@code default} */
    public static List<AdmissionWebhooks.Hook> hooks(Predicate<String> hasDefaultLocalQueue) {
        return List.of(
                AdmissionWebhooks.Hook.mutating("appwrappers.kueue.capstan.io", "/mutate/kueue/appwrappers",
                        AppWrapper.GROUP, AppWrapper.VERSION, "appwrappers", List.of("CREATE"),
                        request -> defaults(request, hasDefaultLocalQueue)),
                AdmissionWebhooks.Hook.validating("vappwrappers.kueue.capstan.io", "/validate/kueue/appwrappers",
                        AppWrapper.GROUP, AppWrapper.VERSION, "appwrappers", List.of("CREATE", "UPDATE"),
                        AppWrapperQueueing::validate));
    }

    static ArrayNode defaults(AdmissionReviews.Request request, Predicate<String> hasDefaultLocalQueue) {
        ArrayNode patch = JSON.createArrayNode();
        JsonNode object = request.object();
        if (!"CREATE".equals(request.operation()) || object == null) {
            return patch;
        }
        JsonNode labels = object.path("metadata").path("labels");
        boolean queued = !labels.path(Kueue.QUEUE_NAME_LABEL).asText("").isEmpty();
        if (!queued && !ownedByAController(object) && hasDefaultLocalQueue.test(request.namespace())) {
            if (labels.isObject()) {
                patch.addObject().put("op", "add").put("path", "/metadata/labels/"
                        + Kueue.QUEUE_NAME_LABEL.replace("~", "~0").replace("/", "~1")).put("value", DEFAULT_LOCAL_QUEUE);
            } else {
                patch.addObject().put("op", "add").put("path", "/metadata/labels").putObject("value")
                        .put(Kueue.QUEUE_NAME_LABEL, DEFAULT_LOCAL_QUEUE);
            }
            queued = true;
        }
        if (queued && object.path("spec").isObject() && !object.path("spec").path("suspend").asBoolean(false)) {
            patch.addObject().put("op", "add").put("path", "/spec/suspend").put("value", true);
        }
        return patch;
    }

    static List<String> validate(AdmissionReviews.Request request) {
        List<String> problems = new ArrayList<>();
        JsonNode object = request.object();
        if (object == null) {
            return problems;
        }
        String queue = label(object, Kueue.QUEUE_NAME_LABEL);
        if (queue != null && (queue.length() > 253 || !SUBDOMAIN.matcher(queue).matches())) {
            problems.add("metadata.labels[" + Kueue.QUEUE_NAME_LABEL + "]: '" + queue + "' is not a valid LocalQueue "
                    + "name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)");
        }
        String maximum = label(object, Kueue.MAX_EXEC_TIME_LABEL);
        if (maximum != null && !maximum.matches("[1-9][0-9]{0,8}")) {
            problems.add("metadata.labels[" + Kueue.MAX_EXEC_TIME_LABEL + "]: '" + maximum + "' is not a positive "
                    + "whole number of seconds");
        }
        JsonNode old = request.oldObject();
        if ("UPDATE".equals(request.operation()) && old != null && !old.isNull()) {
            if (!old.path("spec").path("suspend").asBoolean(false)
                    && !Objects.equals(queue, label(old, Kueue.QUEUE_NAME_LABEL))) {
                problems.add("metadata.labels[" + Kueue.QUEUE_NAME_LABEL + "]: cannot change while the AppWrapper is "
                        + "not suspended");
            }
            if (!old.path("spec").path("suspend").asBoolean(false)
                    && !Objects.equals(maximum, label(old, Kueue.MAX_EXEC_TIME_LABEL))) {
                problems.add("metadata.labels[" + Kueue.MAX_EXEC_TIME_LABEL + "]: cannot change while the AppWrapper is "
                        + "not suspended");
            }
            if (!Objects.equals(label(object, Kueue.PRIORITY_CLASS_LABEL), label(old, Kueue.PRIORITY_CLASS_LABEL))) {
                problems.add("metadata.labels[" + Kueue.PRIORITY_CLASS_LABEL + "]: cannot change");
            }
        }
        if (!problems.isEmpty()) {
            problems.set(0, "AppWrapper " + object.path("metadata").path("name").asText() + ": " + problems.getFirst());
        }
        return problems;
    }

    private static String label(JsonNode object, String key) {
        JsonNode value = object.path("metadata").path("labels").get(key);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** Kueue leaves alone what another object controls: its owner is queued, not it. */
    private static boolean ownedByAController(JsonNode object) {
        for (JsonNode owner : object.path("metadata").path("ownerReferences")) {
            if (owner.path("controller").asBoolean(false)) {
                return true;
            }
        }
        return false;
    }
}
