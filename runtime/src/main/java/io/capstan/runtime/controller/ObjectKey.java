package io.capstan.runtime.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/** Namespace and name of an object: the usual work-queue key. Cluster-scoped objects have a null namespace. */
public record ObjectKey(String namespace, String name) {

    public ObjectKey {
        Objects.requireNonNull(name, "name");
    }

    public static ObjectKey of(HasMetadata object) {
        return new ObjectKey(object.getMetadata().getNamespace(), object.getMetadata().getName());
    }

    /** Parses {@code namespace/name} or {@code name}. */
    public static ObjectKey parse(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? new ObjectKey(null, key) : new ObjectKey(key.substring(0, slash), key.substring(slash + 1));
    }

    @Override
    public String toString() {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
