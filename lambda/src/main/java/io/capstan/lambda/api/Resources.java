package io.capstan.lambda.api;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** A resource a controller names by {@code apiVersion} and plural {@code resource}, resolved through discovery. */
public record Resources(String group, String version, String kind, String plural, boolean namespaced) {

    /**
     * @throws IllegalArgumentException when the API server does not serve it (yet), with Metacontroller's words
     */
    public static Resources discover(KubernetesClient client, String apiVersion, String resource) {
        APIResourceList list;
        try {
            list = client.getApiResources(apiVersion);
        } catch (RuntimeException e) {
            list = null;
        }
        if (list != null && list.getResources() != null) {
            for (APIResource candidate : list.getResources()) {
                if (candidate.getName().equals(resource)) {
                    int slash = apiVersion.indexOf('/');
                    return new Resources(slash < 0 ? "" : apiVersion.substring(0, slash),
                            slash < 0 ? apiVersion : apiVersion.substring(slash + 1), candidate.getKind(), resource,
                            Boolean.TRUE.equals(candidate.getNamespaced()));
                }
            }
        }
        throw new IllegalArgumentException("discovery: can't find resource " + resource + " in apiVersion " + apiVersion);
    }

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** The outer key of the hook's maps: {@code Kind.apiVersion}, e.g. {@code Pod.v1}, {@code CatSet.ctl.enisoc.com/v1}. */
    public String mapKey() {
        return kind + "." + apiVersion();
    }

    public ResourceDefinitionContext context() {
        return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
                .withPlural(plural).withNamespaced(namespaced).build();
    }
}
