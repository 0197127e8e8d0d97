package io.capstan.appwrapper;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.controller.AppWrapperController;
import io.capstan.appwrapper.model.Autopilot;
import io.capstan.appwrapper.model.FaultTolerance;
import io.capstan.runtime.GoDurations;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The AppWrapper module's configuration ({@code capstan operator --config appwrapper=FILE}): AppWrapper's own operator
 * configuration (project-codeflare/appwrapper, pkg/config/config.go), either its {@code config.yaml} or the
 * {@code operator-config} ConfigMap that carries it. Capstan reads the {@code appwrapper} block; the blocks about the
 * peer's own process ({@code certManagement}, {@code controllerManager}, {@code webhooksEnabled}) are accepted and
 * left alone, since the operator has its own flags for them.
 *
 * @param controller the fault-tolerance defaults and ceilings, and the scheduler name set on pod templates without one
 * @param defaultQueueName the queue an AppWrapper created without a {@code kueue.x-k8s.io/queue-name} label is given,
 *                         or null to leave such AppWrappers unqueued
 * @param userRbacAdmissionCheck whether the webhook refuses an AppWrapper around objects its creator may not create
 * @param ignored settings of the peer's that Capstan accepts and does not act on, for the start-up log
 */
public record AppWrapperConfig(AppWrapperController.Settings controller, String defaultQueueName,
        boolean userRbacAdmissionCheck, List<String> ignored) {

    /** AppWrapper's defaults. */
    public static final AppWrapperConfig DEFAULTS = new AppWrapperConfig(AppWrapperController.Settings.APPWRAPPER, null,
            true, List.of());

    private static final Set<String> TOP_LEVEL = Set.of("appwrapper", "certManagement", "controllerManager",
            "webhooksEnabled");
    private static final Set<String> READ = Set.of("userRBACAdmissionCheck", "defaultQueueName", "schedulerName",
            "faultTolerance", "autopilot");
    /** Keys of the peer's that concern its Kueue integration: the queue module does that work. */
    private static final Set<String> ACCEPTED = Set.of("enableKueueIntegrations", "kueueJobReconciller",
            "disableChildAdmissionCtrl", "standaloneMode", "manageJobsWithoutQueueName", "slackQueueName");
    private static final Set<String> FAULT_TOLERANCE = Set.of("admissionGracePeriod", "warmupGracePeriod",
            "failureGracePeriod", "resetPause", "retryLimit", "deletionGracePeriod", "gracePeriodCeiling",
            "successTTLCeiling");
    private static final Set<String> AUTOPILOT = Set.of("injectAntiAffinities", "monitorNodes", "resourceTaints",
            "preferNoScheduleWeight");

    /** @throws IllegalArgumentException when the file cannot be read or is not a valid AppWrapper configuration */
    public static AppWrapperConfig load(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the AppWrapper configuration " + file + " is not valid: "
                    + e.getMessage(), e);
        }
    }

    /** The configuration in this YAML: a {@code config.yaml}, or a ConfigMap whose {@code config.yaml} it is. */
    static AppWrapperConfig parse(String yaml) {
        var serialization = new KubernetesSerialization();
        JsonNode root = yaml.isBlank() ? null : serialization.unmarshal(yaml, JsonNode.class);
        if (root != null && "ConfigMap".equals(root.path("kind").asText())) {
            String inner = root.path("data").path("config.yaml").asText("");
            if (inner.isBlank()) {
                throw new IllegalArgumentException("the ConfigMap has no data key config.yaml");
            }
            root = serialization.unmarshal(inner, JsonNode.class);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return DEFAULTS;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("expected a mapping with an appwrapper block");
        }
        expectKeys(root, "", TOP_LEVEL, Set.of());
        JsonNode block = root.path("appwrapper");
        if (block.isMissingNode() || block.isNull()) {
            return DEFAULTS;
        }
        expectKeys(block, "appwrapper.", READ, ACCEPTED);
        List<String> ignored = new ArrayList<>();
        new TreeSet<>(ACCEPTED).forEach(key -> {
            if (block.has(key)) {
                ignored.add("appwrapper." + key);
            }
        });
        var defaults = FaultTolerance.Defaults.APPWRAPPER;
        JsonNode tolerance = block.path("faultTolerance");
        if (!tolerance.isMissingNode() && !tolerance.isNull()) {
            expectKeys(tolerance, "appwrapper.faultTolerance.", FAULT_TOLERANCE, Set.of());
            defaults = new FaultTolerance.Defaults(
                    duration(tolerance, "admissionGracePeriod", defaults.admissionGracePeriod()),
                    duration(tolerance, "warmupGracePeriod", defaults.warmupGracePeriod()),
                    duration(tolerance, "failureGracePeriod", defaults.failureGracePeriod()),
                    duration(tolerance, "resetPause", defaults.retryPausePeriod()),
                    tolerance.has("retryLimit") ? integer(tolerance, "retryLimit") : defaults.retryLimit(),
                    duration(tolerance, "deletionGracePeriod", defaults.forcefulDeletionGracePeriod()),
                    duration(tolerance, "gracePeriodCeiling", defaults.gracePeriodCeiling()),
                    duration(tolerance, "successTTLCeiling", defaults.successTtlCeiling()));
        }
        String schedulerName = text(block, "schedulerName");
        String defaultQueueName = text(block, "defaultQueueName");
        JsonNode rbac = block.path("userRBACAdmissionCheck");
        if (!rbac.isMissingNode() && !rbac.isBoolean()) {
            throw new IllegalArgumentException("appwrapper.userRBACAdmissionCheck must be true or false, not " + rbac);
        }
        var settings = AppWrapperController.Settings.APPWRAPPER;
        return new AppWrapperConfig(new AppWrapperController.Settings(defaults, schedulerName,
                autopilot(block.path("autopilot")), settings.workers()),
                defaultQueueName, rbac.asBoolean(true), List.copyOf(ignored));
    }

    /** The {@code autopilot} block; what it leaves out keeps AppWrapper's default (GPUs and Autopilot's labels). */
    private static Autopilot autopilot(JsonNode block) {
        var defaults = Autopilot.DEFAULTS;
        if (block.isMissingNode() || block.isNull()) {
            return defaults;
        }
        expectKeys(block, "appwrapper.autopilot.", AUTOPILOT, Set.of());
        Map<String, List<Autopilot.Taint>> taints = defaults.resourceTaints();
        JsonNode given = block.path("resourceTaints");
        if (!given.isMissingNode() && !given.isNull()) {
            taints = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> resources = given.fields(); resources.hasNext(); ) {
                var resource = resources.next();
                List<Autopilot.Taint> list = new ArrayList<>();
                for (JsonNode taint : resource.getValue()) {
                    if (!taint.path("key").isTextual() || !taint.path("effect").isTextual()) {
                        throw new IllegalArgumentException("appwrapper.autopilot.resourceTaints[" + resource.getKey()
                                + "]: every taint needs a key and an effect");
                    }
                    list.add(new Autopilot.Taint(taint.path("key").asText(), taint.path("value").asText(""),
                            taint.path("effect").asText()));
                }
                taints.put(resource.getKey(), list);
            }
        }
        JsonNode weight = block.path("preferNoScheduleWeight");
        if (!weight.isMissingNode() && (!weight.isIntegralNumber() || weight.asInt() < 1 || weight.asInt() > 100)) {
            throw new IllegalArgumentException("appwrapper.autopilot.preferNoScheduleWeight must be a whole number from "
                    + "1 to 100 (a node affinity weight), not " + weight);
        }
        return new Autopilot(block.path("injectAntiAffinities").asBoolean(defaults.injectAntiAffinities()),
                block.path("monitorNodes").asBoolean(defaults.monitorNodes()),
                weight.isMissingNode() ? defaults.preferNoScheduleWeight() : weight.asInt(), taints);
    }

    private static void expectKeys(JsonNode node, String prefix, Set<String> read, Set<String> accepted) {
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!read.contains(key) && !accepted.contains(key)) {
                var known = new TreeSet<>(read);
                known.addAll(accepted);
                throw new IllegalArgumentException(prefix + key + " is not a setting (those under "
                        + (prefix.isEmpty() ? "the top level" : prefix.substring(0, prefix.length() - 1)) + " are "
                        + String.join(", ", known) + ")");
            }
        }
    }

    /**
     * A duration as the peer's file holds one: a Go duration string ({@code 90s}, {@code 5m}) or, as Go's JSON
     * decoding of {@code time.Duration} reads it, an integer of nanoseconds.
     */
    private static Duration duration(JsonNode node, String key, Duration fallback) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isIntegralNumber()) {
            return Duration.ofNanos(value.asLong());
        }
        try {
            return GoDurations.parse(value.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("appwrapper.faultTolerance." + key + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode node, String key) {
        JsonNode value = node.get(key);
        if (!value.isIntegralNumber() || value.asInt() < 0) {
            throw new IllegalArgumentException("appwrapper.faultTolerance." + key + " must be a whole number of at least "
                    + "0, not " + value);
        }
        return value.asInt();
    }

    private static String text(JsonNode node, String key) {
        String value = node.path(key).asText("");
        return value.isBlank() ? null : value;
    }
}
