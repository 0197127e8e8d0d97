package io.capstan.framework.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A queued Framework: one labelled {@code kueue.x-k8s.io/queue-name} creates no attempt — no ConfigMap, no pod — until
 * an admission queue admits it as one gang, which it says in the {@link #ANNOTATION} annotation: the ClusterQueue, and
 * per task role the node selector, tolerations and labels of the flavor it was given. The Framework's spec stays as
 * its user wrote it; the placement is applied to each pod as it is created.
 */
public final class QueueAdmission {

    public static final String QUEUE_LABEL = "kueue.x-k8s.io/queue-name";
    /** {@code {"clusterQueue": NAME, "roles": {ROLE: {"nodeSelector": {}, "tolerations": [], "labels": {}}}}}. */
    public static final String ANNOTATION = "capstan.io/admission";

    private static final ObjectMapper JSON = new ObjectMapper();

    private QueueAdmission() {
    }

    /** Queued and not admitted (yet, or any more). */
    public static boolean awaited(HasMetadata framework) {
        var labels = framework.getMetadata().getLabels();
        return labels != null && labels.containsKey(QUEUE_LABEL) && admission(framework) == null;
    }

    public static String admission(HasMetadata framework) {
        var annotations = framework.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(ANNOTATION);
    }

    /** Whether the admission changed between two versions of a Framework (it wakes the controller). */
    public static boolean changed(HasMetadata before, HasMetadata after) {
        return !Objects.equals(admission(before), admission(after));
    }

    /** Gives the pod its role's placement: node selector entries it lacks, tolerations, labels it lacks. */
    public static void place(Pod pod, HasMetadata framework, String role) {
        String admission = admission(framework);
        if (admission == null) {
            return;
        }
        JsonNode placement;
        try {
            placement = JSON.readTree(admission).path("roles").path(role);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the annotation " + ANNOTATION + " is not JSON: " + e.getMessage(), e);
        }
        Map<String, String> nodeSelector = new LinkedHashMap<>(pod.getSpec().getNodeSelector() == null ? Map.of()
                : pod.getSpec().getNodeSelector());
        placement.path("nodeSelector").fields().forEachRemaining(e -> nodeSelector.putIfAbsent(e.getKey(),
                e.getValue().asText()));
        if (!nodeSelector.isEmpty()) {
            pod.getSpec().setNodeSelector(nodeSelector);
        }
        List<Toleration> tolerations = new ArrayList<>(pod.getSpec().getTolerations() == null ? List.of()
                : pod.getSpec().getTolerations());
        placement.path("tolerations").forEach(t -> tolerations.add(JSON.convertValue(t, Toleration.class)));
        if (!tolerations.isEmpty()) {
            pod.getSpec().setTolerations(tolerations);
        }
        Map<String, String> labels = new LinkedHashMap<>(pod.getMetadata().getLabels());
        placement.path("labels").fields().forEachRemaining(e -> labels.putIfAbsent(e.getKey(), e.getValue().asText()));
        pod.getMetadata().setLabels(labels);
    }
}
