package io.capstan.appwrapper.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A component's podSets: the pod templates it will make and how many pods each makes. For the kinds AppWrapper knows
 * (project-codeflare/appwrapper, pkg/utils/utils.go) they are inferred from the template, and declared ones must
 * agree; any other kind declares them or makes no pods. Paths start at {@code template} and go on by {@code .field}
 * and {@code [index]}, e.g. {@code template.spec.replicatedJobs[0].template.spec.template}.
 */
public final class PodSets {

    private PodSets() {
    }

    /** A podSet problem, worded for the user who wrote the AppWrapper. */
    public static final class InvalidPodSetException extends Exception {
        public InvalidPodSetException(String message) {
            super(message);
        }
    }

    /** The component's effective podSets: declared ones checked against inference, else the inferred ones. */
    public static List<PodSet> effective(Component component) throws InvalidPodSetException {
        ObjectNode template = component.template;
        if (template == null || !template.path("apiVersion").isTextual() || !template.path("kind").isTextual()) {
            throw new InvalidPodSetException("the template must be a Kubernetes object with apiVersion and kind");
        }
        List<PodSet> inferred = infer(template);
        List<PodSet> declared = component.podSets == null ? List.of() : component.podSets;
        if (declared.isEmpty()) {
            return inferred;
        }
        Map<String, PodSet> byPath = new HashMap<>();
        for (PodSet podSet : declared) {
            if (podSet.path == null || podSet.path.isEmpty()) {
                throw new InvalidPodSetException("a podSet's path is empty");
            }
            if (byPath.put(podSet.path, podSet) != null) {
                throw new InvalidPodSetException("the podSet path " + podSet.path + " is declared twice");
            }
            if (podSet.replicas != null && podSet.replicas < 0) {
                throw new InvalidPodSetException("the podSet " + podSet.path + " has negative replicas");
            }
            podTemplate(template, podSet.path);
        }
        if (knownKind(template)) {
            if (declared.size() != inferred.size()) {
                throw new InvalidPodSetException(declared.size() + " podSets declared for a " + kindOf(template)
                        + ", which makes " + inferred.size());
            }
            for (PodSet podSet : inferred) {
                PodSet match = byPath.get(podSet.path);
                if (match == null) {
                    throw new InvalidPodSetException("the podSet " + podSet.path + " of the " + kindOf(template)
                            + " is not declared");
                }
                if (match.replicasOrOne() != podSet.replicasOrOne()) {
                    throw new InvalidPodSetException("the podSet " + podSet.path + " declares " + match.replicasOrOne()
                            + " replicas, but the " + kindOf(template) + " makes " + podSet.replicasOrOne());
                }
            }
        }
        return declared;
    }

    /** The number of pods all podSets make. */
    public static int expectedPods(List<PodSet> podSets) {
        return podSets.stream().mapToInt(PodSet::replicasOrOne).sum();
    }

    /** The pod template at {@code path}: an object whose {@code spec} is a pod spec. */
    public static ObjectNode podTemplate(ObjectNode template, String path) throws InvalidPodSetException {
        JsonNode at = resolve(template, path);
        if (!at.isObject()) {
            throw new InvalidPodSetException("the podSet path " + path + " does not lead to an object");
        }
        JsonNode spec = at.path("spec");
        if (!spec.isObject() || !spec.path("containers").isArray()) {
            throw new InvalidPodSetException("the podSet path " + path + " does not lead to a pod template (no "
                    + "spec.containers there)");
        }
        return (ObjectNode) at;
    }

    /** What {@code path} names inside a component whose root is {@code template}. */
    static JsonNode resolve(ObjectNode template, String path) throws InvalidPodSetException {
        if (path == null || !(path.equals("template") || path.startsWith("template.") || path.startsWith("template["))) {
            throw new InvalidPodSetException("the podSet path " + path + " must start with template");
        }
        JsonNode at = template;
        int i = "template".length();
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                int end = i + 1;
                while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                    end++;
                }
                String field = path.substring(i + 1, end);
                if (field.isEmpty()) {
                    throw new InvalidPodSetException("the podSet path " + path + " has an empty field name");
                }
                if (!at.isObject()) {
                    throw new InvalidPodSetException("the podSet path " + path + ": " + path.substring(0, i)
                            + " is not an object");
                }
                if (!at.has(field)) {
                    throw new InvalidPodSetException("the podSet path " + path + ": " + path.substring(0, end)
                            + " does not exist");
                }
                at = at.get(field);
                i = end;
            } else if (c == '[') {
                int end = path.indexOf(']', i);
                if (end < 0) {
                    throw new InvalidPodSetException("the podSet path " + path + " has an unterminated [");
                }
                int index;
                try {
                    index = Integer.parseInt(path.substring(i + 1, end));
                } catch (NumberFormatException e) {
                    throw new InvalidPodSetException("the podSet path " + path + " has a bad index " + path.substring(i, end + 1));
                }
                if (!at.isArray()) {
                    throw new InvalidPodSetException("the podSet path " + path + ": " + path.substring(0, i)
                            + " is not a list");
                }
                if (index < 0 || index >= at.size()) {
                    throw new InvalidPodSetException("the podSet path " + path + ": index " + index + " is out of "
                            + "bounds (" + at.size() + " items)");
                }
                at = at.get(index);
                i = end + 1;
            } else {
                throw new InvalidPodSetException("the podSet path " + path + " has an unexpected '" + c + "'");
            }
        }
        return at;
    }

    private static String kindOf(ObjectNode template) {
        return template.path("apiVersion").asText() + " " + template.path("kind").asText();
    }

    private static boolean knownKind(ObjectNode template) {
        return switch (kindOf(template)) {
            case "v1 Pod", "apps/v1 Deployment", "apps/v1 StatefulSet", "batch/v1 Job", "jobset.x-k8s.io/v1alpha2 JobSet",
                    "kubeflow.org/v1 PyTorchJob", "ray.io/v1 RayCluster", "ray.io/v1 RayJob" -> true;
            default -> false;
        };
    }

    /** The podSets AppWrapper infers for the kinds it knows; none for other kinds. */
    static List<PodSet> infer(ObjectNode template) throws InvalidPodSetException {
        List<PodSet> podSets = new ArrayList<>();
        JsonNode spec = template.path("spec");
        switch (kindOf(template)) {
            case "v1 Pod" -> podSets.add(new PodSet("template", 1));
            case "apps/v1 Deployment", "apps/v1 StatefulSet" ->
                    podSets.add(new PodSet("template.spec.template", spec.path("replicas").asInt(1)));
            case "batch/v1 Job" -> podSets.add(new PodSet("template.spec.template", jobPods(spec)));
            case "jobset.x-k8s.io/v1alpha2 JobSet" -> {
                JsonNode jobs = spec.path("replicatedJobs");
                for (int i = 0; i < jobs.size(); i++) {
                    JsonNode job = jobs.get(i);
                    podSets.add(new PodSet("template.spec.replicatedJobs[" + i + "].template.spec.template",
                            job.path("replicas").asInt(1) * jobPods(job.path("template").path("spec"))));
                }
            }
            case "kubeflow.org/v1 PyTorchJob" -> {
                for (String role : List.of("Master", "Worker")) {
                    JsonNode replicaSpec = spec.path("pytorchReplicaSpecs").path(role);
                    if (replicaSpec.isObject()) {
                        podSets.add(new PodSet("template.spec.pytorchReplicaSpecs." + role + ".template",
                                replicaSpec.path("replicas").asInt(1)));
                    }
                }
            }
            case "ray.io/v1 RayCluster" -> rayCluster("template.spec", spec, podSets);
            case "ray.io/v1 RayJob" -> rayCluster("template.spec.rayClusterSpec", spec.path("rayClusterSpec"), podSets);
            default -> {
                return List.of();
            }
        }
        for (PodSet podSet : podSets) {
            podTemplate(template, podSet.path);
        }
        return podSets;
    }

    private static void rayCluster(String at, JsonNode spec, List<PodSet> podSets) {
        podSets.add(new PodSet(at + ".headGroupSpec.template", 1));
        JsonNode workers = spec.path("workerGroupSpecs");
        for (int i = 0; i < workers.size(); i++) {
            podSets.add(new PodSet(at + ".workerGroupSpecs[" + i + "].template", workers.get(i).path("replicas").asInt(1)));
        }
    }

    /** A Job's pods at once: its parallelism (default 1), no more than its completions when set. */
    private static int jobPods(JsonNode jobSpec) {
        int parallelism = jobSpec.path("parallelism").asInt(1);
        return jobSpec.path("completions").isNumber() ? Math.min(parallelism, jobSpec.path("completions").asInt())
                : parallelism;
    }
}
