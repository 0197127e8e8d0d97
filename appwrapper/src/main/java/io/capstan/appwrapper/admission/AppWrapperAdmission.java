package io.capstan.appwrapper.admission;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import io.capstan.appwrapper.model.PodSets;
import io.capstan.runtime.webhook.AdmissionReviews;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validating webhook for AppWrappers, with AppWrapper's own rules (project-codeflare/appwrapper,
 * internal/webhook/appwrapper_webhook.go). On create: every component a Kubernetes object in the AppWrapper's
 * namespace, no AppWrapper inside an AppWrapper, podSets that lead to pod templates and agree with what the known kinds
 * make, between 1 and 8 podSets in all, and a creator allowed to create every wrapped object itself (a
 * SubjectAccessReview per component: wrapping must not let anyone create what they could not create directly). On update: the components, their podSets, the user labels and
 * {@code managedBy} stay as they were; {@code suspend}, the queue's podSetInfos and annotations may change.
 */
public final class AppWrapperAdmission implements AdmissionReviews.Validator {

    public static final String NAME = "appwrappers.workload.codeflare.capstan.io";
    public static final String PATH = "/validate/appwrappers";
    /** Kueue's historic limit of podSets per Workload, which AppWrapper keeps. */
    static final int MAX_POD_SETS = 8;
    static final List<String> USER_LABELS = List.of(AppWrapperDefaults.USER, AppWrapperDefaults.USER_ID);

    /** Whether a user may create an object of a kind in a namespace. */
    @FunctionalInterface
    public interface AccessCheck {
        /** Null when allowed, else why not. */
        String denied(JsonNode userInfo, String namespace, String apiVersion, String kind);
    }

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final AccessCheck access;

    /** @param access asked for each component on create; null to skip the check (requests without a user) */
    public AppWrapperAdmission(AccessCheck access) {
        this.access = access;
    }

    public static AdmissionWebhooks.Hook hook(AccessCheck access) {
        return AdmissionWebhooks.Hook.validating(NAME, PATH, AppWrapper.GROUP, AppWrapper.VERSION, "appwrappers",
                List.of("CREATE", "UPDATE"), new AppWrapperAdmission(access));
    }

    @Override
    public List<String> validate(AdmissionReviews.Request request) {
        String operation = request.operation();
        JsonNode object = request.object();
        JsonNode oldObject = request.oldObject();
        AppWrapper appWrapper;
        AppWrapper old = null;
        try {
            appWrapper = serialization.convertValue(object, AppWrapper.class);
            if ("UPDATE".equals(operation) && oldObject != null && !oldObject.isNull()) {
                old = serialization.convertValue(oldObject, AppWrapper.class);
            }
        } catch (IllegalArgumentException e) {
            return List.of("the object is not an AppWrapper: " + e.getMessage());
        }
        List<String> problems = switch (operation) {
            case "CREATE" -> {
                List<String> found = onCreate(appWrapper);
                yield found.isEmpty() ? creatorMayCreate(appWrapper, request) : found;
            }
            case "UPDATE" -> old == null ? List.of() : onUpdate(appWrapper, old);
            default -> List.of();
        };
        return problems.isEmpty() ? problems : List.of("AppWrapper " + appWrapper.getMetadata().getName() + ": "
                + String.join("; ", problems));
    }

    static List<String> onCreate(AppWrapper appWrapper) {
        List<String> problems = new ArrayList<>();
        String namespace = appWrapper.getMetadata().getNamespace();
        int podSets = 0;
        List<Component> components = appWrapper.getSpec().components;
        for (int i = 0; i < components.size(); i++) {
            Component component = components.get(i);
            String where = "spec.components[" + i + "]";
            if (component.template == null || !component.template.path("apiVersion").isTextual()
                    || !component.template.path("kind").isTextual()) {
                problems.add(where + ".template must be a Kubernetes object with apiVersion and kind");
                continue;
            }
            if (AppWrapper.API_VERSION.equals(component.template.path("apiVersion").asText())
                    && AppWrapper.KIND.equals(component.template.path("kind").asText())) {
                problems.add(where + ": an AppWrapper cannot wrap another AppWrapper");
                continue;
            }
            String given = component.template.path("metadata").path("namespace").asText("");
            if (!given.isEmpty() && !given.equals(namespace)) {
                problems.add(where + ".template.metadata.namespace " + given + " is not the AppWrapper's namespace "
                        + namespace);
            }
            try {
                List<PodSet> effective = PodSets.effective(component);
                podSets += Math.max(effective.size(), component.podSets == null ? 0 : component.podSets.size());
            } catch (PodSets.InvalidPodSetException e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty() && (podSets < 1 || podSets > MAX_POD_SETS)) {
            problems.add("the components have " + podSets + " podSets in all; an AppWrapper needs between 1 and "
                    + MAX_POD_SETS);
        }
        return problems;
    }

    /** Every component is something its creator may create in the namespace. */
    private List<String> creatorMayCreate(AppWrapper appWrapper, AdmissionReviews.Request request) {
        if (access == null || !request.userInfo().hasNonNull("username")) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        List<Component> components = appWrapper.getSpec().components;
        for (int i = 0; i < components.size(); i++) {
            JsonNode template = components.get(i).template;
            String denied = access.denied(request.userInfo(), appWrapper.getMetadata().getNamespace(),
                    template.path("apiVersion").asText(), template.path("kind").asText());
            if (denied != null) {
                problems.add("spec.components[" + i + "]: " + denied);
            }
        }
        return problems;
    }

    static List<String> onUpdate(AppWrapper appWrapper, AppWrapper old) {
        List<String> problems = new ArrayList<>();
        List<Component> now = appWrapper.getSpec().components;
        List<Component> before = old.getSpec().components;
        if (now.size() != before.size()) {
            problems.add("spec.components cannot be added or removed (" + before.size() + " before, " + now.size()
                    + " now)");
        } else {
            for (int i = 0; i < now.size(); i++) {
                String where = "spec.components[" + i + "]";
                if (!Objects.equals(now.get(i).template, before.get(i).template)) {
                    problems.add(where + ".template cannot change");
                }
                if (!samePodSets(now.get(i).podSets, before.get(i).podSets)) {
                    problems.add(where + ".podSets cannot change (paths and replicas)");
                }
            }
        }
        Map<String, String> labels = labels(appWrapper);
        Map<String, String> oldLabels = labels(old);
        for (String label : USER_LABELS) {
            if (!Objects.equals(labels.get(label), oldLabels.get(label))) {
                problems.add("the label " + label + " cannot change");
            }
        }
        if (!Objects.equals(appWrapper.getSpec().managedBy, old.getSpec().managedBy)) {
            problems.add("spec.managedBy cannot change");
        }
        return problems;
    }

    private static boolean samePodSets(List<PodSet> now, List<PodSet> before) {
        List<PodSet> a = now == null ? List.of() : now;
        List<PodSet> b = before == null ? List.of() : before;
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Objects.equals(a.get(i).path, b.get(i).path) || a.get(i).replicasOrOne() != b.get(i).replicasOrOne()) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> labels(AppWrapper appWrapper) {
        return appWrapper.getMetadata().getLabels() == null ? Map.of() : appWrapper.getMetadata().getLabels();
    }
}
