package io.capstan.appwrapper.admission;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.controller.WrappedKinds;
import io.capstan.runtime.client.ApiErrors;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks the API server, with a SubjectAccessReview, whether the requesting user (name, UID, groups, extra) may create a
 * kind in a namespace — the check AppWrapper's webhook makes with {@code userRBACAdmissionCheck}. The kind's resource
 * comes from discovery; a kind the API server does not serve is checked as {@code *} of its group.
 */
public final class SubjectAccessCheck implements AppWrapperAdmission.AccessCheck {

    private final KubernetesClient client;
    private final WrappedKinds kinds;

    public SubjectAccessCheck(KubernetesClient client) {
        this.client = client;
        this.kinds = new WrappedKinds(client);
    }

    @Override
    public String denied(JsonNode userInfo, String namespace, String apiVersion, String kind) {
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        String resource = kinds.resolve(apiVersion, kind).map(ResourceDefinitionContext::getPlural).orElse("*");
        List<String> groups = new ArrayList<>();
        userInfo.path("groups").forEach(g -> groups.add(g.asText()));
        Map<String, List<String>> extra = new LinkedHashMap<>();
        userInfo.path("extra").fields().forEachRemaining(e -> {
            List<String> values = new ArrayList<>();
            e.getValue().forEach(v -> values.add(v.asText()));
            extra.put(e.getKey(), values);
        });
        String user = userInfo.path("username").asText();
        SubjectAccessReview review = new SubjectAccessReviewBuilder().withNewSpec().withUser(user)
                .withUid(userInfo.path("uid").asText(null)).withGroups(groups).withExtra(extra)
                .withNewResourceAttributes().withVerb("create").withGroup(group).withVersion(version)
                .withResource(resource).withNamespace(namespace).endResourceAttributes().endSpec().build();
        String what = resource + (group.isEmpty() ? "" : "." + group);
        try {
            SubjectAccessReview answer = client.authorization().v1().subjectAccessReview().create(review);
            if (answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed())) {
                return null;
            }
        } catch (KubernetesClientException e) {
            return "cannot check whether user " + user + " may create " + what + " in namespace " + namespace + ": "
                    + ApiErrors.describe(e);
        }
        return "user " + user + " is not authorized to create " + what + " in namespace " + namespace;
    }
}
