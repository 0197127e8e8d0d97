package io.capstan.lambda.hosted;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The inner keys of the object maps a hook receives (Metacontroller's pkg/controller/common/api): a v1 hook gets
 * names relative to a namespaced parent ({@code name}) and {@code namespace/name} under a cluster-scoped one; a v2
 * hook gets {@code namespace/name} for every namespaced object and {@code name} for cluster-scoped ones.
 */
final class ObjectMaps {

    private ObjectMaps() {
    }

    static String key(HasMetadata parent, HasMetadata object, boolean v2) {
        String namespace = object.getMetadata().getNamespace();
        String name = object.getMetadata().getName();
        if (namespace == null || namespace.isEmpty()) {
            return name;
        }
        boolean parentNamespaced = parent.getMetadata().getNamespace() != null && !parent.getMetadata().getNamespace().isEmpty();
        return !v2 && parentNamespaced ? name : namespace + "/" + name;
    }
}
