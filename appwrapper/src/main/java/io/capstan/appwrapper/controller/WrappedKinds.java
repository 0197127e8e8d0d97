package io.capstan.appwrapper.controller;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The REST resource of each wrapped kind, found through discovery. A kind the API server does not serve (a CRD that is
 * not installed) is told as such instead of guessed at; kinds found are remembered, kinds not found are asked again
 * next time, so a CRD installed later is picked up.
 */
public final class WrappedKinds {

    private final KubernetesClient client;
    private final Map<String, ResourceDefinitionContext> found = new ConcurrentHashMap<>();

    public WrappedKinds(KubernetesClient client) {
        this.client = client;
    }

    /** The kind's resource, or empty when the API server does not serve it. */
    public Optional<ResourceDefinitionContext> resolve(String apiVersion, String kind) {
        String key = apiVersion + " " + kind;
        ResourceDefinitionContext known = found.get(key);
        if (known != null) {
            return Optional.of(known);
        }
        APIResourceList list;
        try {
            list = client.getApiResources(apiVersion);
        } catch (RuntimeException e) {
            list = null;
        }
        if (list == null || list.getResources() == null) {
            return Optional.empty();
        }
        for (APIResource resource : list.getResources()) {
            if (resource.getKind().equals(kind) && !resource.getName().contains("/")) {
                int slash = apiVersion.indexOf('/');
                ResourceDefinitionContext context = new ResourceDefinitionContext.Builder()
                        .withGroup(slash < 0 ? "" : apiVersion.substring(0, slash))
                        .withVersion(slash < 0 ? apiVersion : apiVersion.substring(slash + 1)).withKind(kind)
                        .withPlural(resource.getName()).withNamespaced(Boolean.TRUE.equals(resource.getNamespaced()))
                        .build();
                found.put(key, context);
                return Optional.of(context);
            }
        }
        return Optional.empty();
    }
}
