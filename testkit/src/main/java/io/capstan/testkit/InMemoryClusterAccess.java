package io.capstan.testkit;

import io.capstan.runtime.client.Deletions;
import io.capstan.runtime.controller.ClusterAccess;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@link ClusterAccess} in memory, for unit tests of a reconciler's state machine: objects by kind and key, each in the
 * "cache" unless hidden from it, so a test can produce on demand what a real API server cannot (an informer that has
 * not seen an object yet). Creates assign a UID and refuse a name in use (409); deletes honour the UID precondition.
 * Every create and delete that took place is logged in {@link #calls}, e.g. {@code "create Pod fw-worker-0"}.
 */
public final class InMemoryClusterAccess implements ClusterAccess {

    private record Id(String kind, ObjectKey key) {
    }

    private final Map<Id, HasMetadata> live = new LinkedHashMap<>();
    private final Set<Id> hiddenFromCache = new HashSet<>();
    private final Set<String> kindsHiddenWhenCreated = new HashSet<>();
    private final List<String> calls = new ArrayList<>();

    /** The creates and deletes that took place, in order. */
    public List<String> calls() {
        return calls;
    }

    /** Objects of this kind created from now on are missing from the cache until {@link #showCreated}. */
    public void hideCreated(Class<? extends HasMetadata> type) {
        kindsHiddenWhenCreated.add(type.getSimpleName());
    }

    /** Objects of this kind created from now on are in the cache at once again. */
    public void showCreated(Class<? extends HasMetadata> type) {
        kindsHiddenWhenCreated.remove(type.getSimpleName());
    }

    /** Puts an object in place as if it existed before the test (not logged). */
    public void put(HasMetadata object) {
        live.put(id(object.getClass(), ObjectKey.of(object)), object);
    }

    @Override
    public <T extends HasMetadata> Optional<T> cached(Class<T> type, ObjectKey key) {
        Id id = id(type, key);
        return hiddenFromCache.contains(id) ? Optional.empty() : live(type, key);
    }

    @Override
    public <T extends HasMetadata> Optional<T> live(Class<T> type, ObjectKey key) {
        HasMetadata object = live.get(id(type, key));
        return type.isInstance(object) ? Optional.of(type.cast(object)) : Optional.empty();
    }

    @Override
    public <T extends HasMetadata> T create(T object) {
        Id id = id(object.getClass(), ObjectKey.of(object));
        if (live.containsKey(id)) {
            throw new KubernetesClientException(id.kind() + " " + id.key() + " already exists", 409, null);
        }
        object.getMetadata().setUid(UUID.randomUUID().toString());
        live.put(id, object);
        if (kindsHiddenWhenCreated.contains(id.kind())) {
            hiddenFromCache.add(id);
        } else {
            hiddenFromCache.remove(id);
        }
        calls.add("create " + id.kind() + " " + id.key().name());
        return object;
    }

    @Override
    public Deletions.Outcome delete(Class<? extends HasMetadata> type, ObjectKey key, String uid, Long gracePeriodSeconds,
            DeletionPropagation propagation) {
        Id id = id(type, key);
        HasMetadata object = live.get(id);
        if (object == null) {
            return Deletions.Outcome.NOT_FOUND;
        }
        if (!object.getMetadata().getUid().equals(uid)) {
            return Deletions.Outcome.UID_MISMATCH;
        }
        live.remove(id);
        calls.add("delete " + id.kind() + " " + key.name());
        return Deletions.Outcome.DELETED;
    }

    private static Id id(Class<?> type, ObjectKey key) {
        return new Id(type.getSimpleName(), key);
    }
}
