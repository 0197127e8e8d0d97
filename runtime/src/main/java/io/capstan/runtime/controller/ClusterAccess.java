package io.capstan.runtime.controller;

import io.capstan.runtime.client.Deletions;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Optional;

/**
 * The port through which a reconciler reads and changes the cluster: two views of it, the informer cache (which may
 * lag) and the API server itself (read only where ground truth matters), and the side effects, every delete guarded by
 * a UID precondition. {@link LiveClusterAccess} is the real one; the testkit's {@code InMemoryClusterAccess} lets a
 * reconciler's state machine be tested without a server, including a cache that misses what was just created.
 */
public interface ClusterAccess {

    /** The object as the informer cache has it, if it does. */
    <T extends HasMetadata> Optional<T> cached(Class<T> type, ObjectKey key);

    /** The object as the API server has it now. */
    <T extends HasMetadata> Optional<T> live(Class<T> type, ObjectKey key);

    /** Creates the object in its metadata's namespace; the server's answer. */
    <T extends HasMetadata> T create(T object);

    /**
     * Deletes the object only if it is still the instance with this UID.
     *
     * @param gracePeriodSeconds null for the object's own
     * @param propagation null for the server's default for the kind
     */
    Deletions.Outcome delete(Class<? extends HasMetadata> type, ObjectKey key, String uid, Long gracePeriodSeconds,
            DeletionPropagation propagation);
}
