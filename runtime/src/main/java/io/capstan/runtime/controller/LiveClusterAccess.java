package io.capstan.runtime.controller;

import io.capstan.runtime.client.Deletions;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@link ClusterAccess} on a client and the informers a controller caches its kinds in. */
public final class LiveClusterAccess implements ClusterAccess {

    private final KubernetesClient client;
    private final Map<Class<?>, SharedIndexInformer<?>> caches;

    private LiveClusterAccess(KubernetesClient client, Map<Class<?>, SharedIndexInformer<?>> caches) {
        this.client = client;
        this.caches = Map.copyOf(caches);
    }

    public static Builder on(KubernetesClient client) {
        return new Builder(client);
    }

    @Override
    public <T extends HasMetadata> Optional<T> cached(Class<T> type, ObjectKey key) {
        SharedIndexInformer<?> informer = caches.get(type);
        if (informer == null) {
            throw new IllegalArgumentException("no informer cache was given for " + type.getSimpleName());
        }
        return Optional.ofNullable(type.cast(informer.getIndexer().getByKey(key.toString())));
    }

    @Override
    public <T extends HasMetadata> Optional<T> live(Class<T> type, ObjectKey key) {
        var resources = client.resources(type);
        return Optional.ofNullable(key.namespace() == null ? resources.withName(key.name()).get()
                : resources.inNamespace(key.namespace()).withName(key.name()).get());
    }

    @Override
    public <T extends HasMetadata> T create(T object) {
        return client.resource(object).create();
    }

    @Override
    public Deletions.Outcome delete(Class<? extends HasMetadata> type, ObjectKey key, String uid, Long gracePeriodSeconds,
            DeletionPropagation propagation) {
        return Deletions.deleteWithUid(client, type, key.namespace(), key.name(), uid, gracePeriodSeconds, propagation);
    }

    public static final class Builder {
        private final KubernetesClient client;
        private final Map<Class<?>, SharedIndexInformer<?>> caches = new HashMap<>();

        private Builder(KubernetesClient client) {
            this.client = client;
        }

        /** Where {@link #cached} looks for objects of this type. */
        public <T extends HasMetadata> Builder cache(Class<T> type, SharedIndexInformer<T> informer) {
            caches.put(type, informer);
            return this;
        }

        public LiveClusterAccess build() {
            return new LiveClusterAccess(client, caches);
        }
    }
}
