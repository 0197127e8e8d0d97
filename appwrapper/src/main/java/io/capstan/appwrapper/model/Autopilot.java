package io.capstan.appwrapper.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * AppWrapper's integration with Autopilot, IBM's GPU health checker (project-codeflare/appwrapper,
 * site/_pages/arch-fault-tolerance.md, "Autopilot"): Autopilot marks a node's unhealthy resources with a node label
 * ({@code autopilot.ibm.com/gpuhealth=EVICT}), and for each resource the configuration says which label values mean
 * what, as taint effects. Pods that use such a resource are kept off nodes so labelled ({@code NoSchedule},
 * {@code NoExecute}: a required node affinity; {@code PreferNoSchedule}: a preferred one), and an AppWrapper with a
 * running pod on a node whose label means {@code NoExecute} for a resource the pod uses is reset — without using up a
 * retry, since the fault is the node's.
 *
 * @param injectAntiAffinities add the node affinities to the pod templates of the resources' users
 * @param monitorNodes reset AppWrappers whose pods run on NoExecute-labelled nodes
 * @param preferNoScheduleWeight the weight of the preferred affinity
 * @param resourceTaints per resource name, the label values that mark it unhealthy, as taints
 */
public record Autopilot(boolean injectAntiAffinities, boolean monitorNodes, int preferNoScheduleWeight,
        Map<String, List<Taint>> resourceTaints) {

    /** A node label {@code key=value} that means {@code effect} for a resource. */
    public record Taint(String key, String value, String effect) {
    }

    private static final String HEALTH = "autopilot.ibm.com/gpuhealth";

    /** AppWrapper's defaults: GPUs, with Autopilot's WARN, TESTING and EVICT. */
    public static final Autopilot DEFAULTS = new Autopilot(true, true, 50, Map.of("nvidia.com/gpu", List.of(
            new Taint(HEALTH, "WARN", "PreferNoSchedule"), new Taint(HEALTH, "TESTING", "NoSchedule"),
            new Taint(HEALTH, "EVICT", "NoExecute"))));

    /** Nothing injected, nothing watched. */
    public static final Autopilot OFF = new Autopilot(false, false, 50, Map.of());

    public Autopilot {
        resourceTaints = Map.copyOf(resourceTaints);
        for (var entry : resourceTaints.entrySet()) {
            for (Taint taint : entry.getValue()) {
                if (!Set.of("NoSchedule", "PreferNoSchedule", "NoExecute").contains(taint.effect())) {
                    throw new IllegalArgumentException("autopilot.resourceTaints[" + entry.getKey() + "]: effect "
                            + taint.effect() + " is not NoSchedule, PreferNoSchedule or NoExecute");
                }
            }
        }
    }

    /**
     * Adds to a pod spec whose containers use a configured resource the node affinities that keep it off nodes
     * labelled unhealthy for it: a {@code NotIn} expression in every required term (terms are alternatives, so each
     * needs it), and one preferred term.
     */
    public void injectAntiAffinities(ObjectNode podSpec) {
        if (!injectAntiAffinities) {
            return;
        }
        Map<String, Set<String>> required = new LinkedHashMap<>();
        Map<String, Set<String>> preferred = new LinkedHashMap<>();
        new TreeSet<>(resourceTaints.keySet()).forEach(resource -> {
            if (uses(podSpec, resource)) {
                for (Taint taint : resourceTaints.get(resource)) {
                    var into = "PreferNoSchedule".equals(taint.effect()) ? preferred : required;
                    into.computeIfAbsent(taint.key(), k -> new LinkedHashSet<>()).add(taint.value());
                }
            }
        });
        if (required.isEmpty() && preferred.isEmpty()) {
            return;
        }
        ObjectNode nodeAffinity = object(object(podSpec, "affinity"), "nodeAffinity");
        if (!required.isEmpty()) {
            ObjectNode selector = object(nodeAffinity, "requiredDuringSchedulingIgnoredDuringExecution");
            ArrayNode terms = array(selector, "nodeSelectorTerms");
            if (terms.isEmpty()) {
                terms.addObject();
            }
            for (JsonNode term : terms) {
                notIn(array((ObjectNode) term, "matchExpressions"), required);
            }
        }
        if (!preferred.isEmpty()) {
            ObjectNode term = array(nodeAffinity, "preferredDuringSchedulingIgnoredDuringExecution").addObject();
            term.put("weight", preferNoScheduleWeight);
            notIn(term.putObject("preference").putArray("matchExpressions"), preferred);
        }
    }

    /** The resources this node's labels mark {@code NoExecute}: pods using them must leave it. */
    public Set<String> noExecuteResources(Map<String, String> nodeLabels) {
        Set<String> resources = new TreeSet<>();
        if (!monitorNodes || nodeLabels == null) {
            return resources;
        }
        resourceTaints.forEach((resource, taints) -> {
            for (Taint taint : taints) {
                if ("NoExecute".equals(taint.effect()) && taint.value().equals(nodeLabels.get(taint.key()))) {
                    resources.add(resource);
                }
            }
        });
        return resources;
    }

    /** Whether a container of the pod spec requests or limits a positive amount of {@code resource}. */
    public static boolean uses(JsonNode podSpec, String resource) {
        for (String containers : List.of("containers", "initContainers")) {
            for (JsonNode container : podSpec.path(containers)) {
                for (String kind : List.of("requests", "limits")) {
                    JsonNode amount = container.path("resources").path(kind).path(resource);
                    if (!amount.isMissingNode() && !amount.isNull() && positive(amount.asText())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean positive(String quantity) {
        try {
            return Quantity.getAmountInBytes(new Quantity(quantity)).signum() > 0;
        } catch (IllegalArgumentException e) {
            return false; // the API server refuses such a pod anyway
        }
    }

    private static void notIn(ArrayNode expressions, Map<String, Set<String>> valuesByKey) {
        valuesByKey.forEach((key, values) -> {
            ObjectNode expression = expressions.addObject().put("key", key).put("operator", "NotIn");
            values.forEach(expression.putArray("values")::add);
        });
    }

    private static ObjectNode object(ObjectNode parent, String field) {
        return parent.get(field) instanceof ObjectNode existing ? existing : parent.putObject(field);
    }

    private static ArrayNode array(ObjectNode parent, String field) {
        return parent.get(field) instanceof ArrayNode existing ? existing : parent.putArray(field);
    }
}
