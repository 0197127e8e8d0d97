package io.capstan.appwrapper.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.runtime.webhook.AdmissionReviews;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutating webhook for AppWrappers, as AppWrapper's own (project-codeflare/appwrapper,
 * internal/webhook/appwrapper_webhook.go, Default), on create:
 * <ul>
 * <li>the labels {@code workload.codeflare.dev/user} and {@code workload.codeflare.dev/userid} say who created it,
 * whatever the manifest carried (the validating webhook keeps them from changing afterwards);</li>
 * <li>an AppWrapper without a {@code kueue.x-k8s.io/queue-name} label gets the configured default queue, if any;</li>
 * <li>a queued AppWrapper is stored suspended, so nothing is deployed before the queue admits it.</li>
 * </ul>
 */
public final class AppWrapperDefaults implements AdmissionReviews.Mutator {

    public static final String NAME = "appwrappers.workload.codeflare.capstan.io";
    public static final String PATH = "/mutate/appwrappers";
    public static final String USER = "workload.codeflare.dev/user";
    public static final String USER_ID = "workload.codeflare.dev/userid";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LABEL_VALUE_MAX = 63;

    private final String defaultQueueName;

    /** @param defaultQueueName the queue of an AppWrapper created without one, or null to leave it unqueued */
    public AppWrapperDefaults(String defaultQueueName) {
        this.defaultQueueName = defaultQueueName;
    }

    public static AdmissionWebhooks.Hook hook(String defaultQueueName) {
        return AdmissionWebhooks.Hook.mutating(NAME, PATH, AppWrapper.GROUP, AppWrapper.VERSION, "appwrappers",
                List.of("CREATE"), new AppWrapperDefaults(defaultQueueName));
    }

    @Override
    public ArrayNode mutate(AdmissionReviews.Request request) {
        ArrayNode patch = JSON.createArrayNode();
        if (!"CREATE".equals(request.operation()) || request.object() == null) {
            return patch;
        }
        JsonNode labels = request.object().path("metadata").path("labels");
        Map<String, String> wanted = new LinkedHashMap<>();
        wanted.put(USER, labelValue(request.userInfo().path("username").asText("")));
        wanted.put(USER_ID, labelValue(request.userInfo().path("uid").asText("")));
        boolean queued = !labels.path(AppWrapper.QUEUE_LABEL).asText("").isEmpty();
        if (!queued && defaultQueueName != null) {
            wanted.put(AppWrapper.QUEUE_LABEL, defaultQueueName);
            queued = true;
        }
        if (!labels.isObject()) {
            var all = JSON.createObjectNode();
            wanted.forEach(all::put);
            patch.addObject().put("op", "add").put("path", "/metadata/labels").set("value", all);
        } else {
            // "/" in a label key is "~1" in a JSON pointer.
            wanted.forEach((key, value) -> patch.addObject().put("op", "add")
                    .put("path", "/metadata/labels/" + key.replace("~", "~0").replace("/", "~1")).put("value", value));
        }
        JsonNode spec = request.object().path("spec");
        if (queued && spec.isObject() && !spec.path("suspend").asBoolean(false)) {
            patch.addObject().put("op", "add").put("path", "/spec/suspend").put("value", true);
        }
        return patch;
    }

    /**
     * A user name or UID as a label value: at most 63 characters of {@code [A-Za-z0-9._-]}, starting and ending with a
     * letter or digit ({@code system:serviceaccount:ns:sa} becomes {@code system_serviceaccount_ns_sa}).
     */
    static String labelValue(String raw) {
        String value = raw.replaceAll("[^A-Za-z0-9._-]", "_");
        if (value.length() > LABEL_VALUE_MAX) {
            value = value.substring(0, LABEL_VALUE_MAX);
        }
        return value.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
    }
}
