package io.capstan.runtime.informer;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.Objects;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns informer events into work-queue keys. Handlers run on the informer's thread, so they only map and
 * enqueue; the real work happens in the controller's workers.
 */
public final class EnqueueHandler<T extends HasMetadata, K> implements ResourceEventHandler<T> {

    private final Function<T, K> keyOf;
    private final Consumer<K> enqueue;
    private final BiPredicate<T, T> updateMatters;

    private EnqueueHandler(Function<T, K> keyOf, Consumer<K> enqueue, BiPredicate<T, T> updateMatters) {
        this.keyOf = keyOf;
        this.enqueue = enqueue;
        this.updateMatters = updateMatters;
    }

    /** Enqueues the key of every added, updated or deleted object (a null key is skipped). */
    public static <T extends HasMetadata, K> EnqueueHandler<T, K> of(Function<T, K> keyOf, Consumer<K> enqueue) {
        return new EnqueueHandler<>(keyOf, enqueue, (a, b) -> true);
    }

    /** Only updates for which the predicate holds are enqueued (e.g. spec changes, not status writes). */
    public EnqueueHandler<T, K> onUpdateOnlyIf(BiPredicate<T, T> predicate) {
        return new EnqueueHandler<>(keyOf, enqueue, predicate);
    }

    /** True when the two versions differ in generation, labels, annotations, finalizers or deletion state. */
    public static boolean metadataOrSpecChanged(HasMetadata oldObject, HasMetadata newObject) {
        var o = oldObject.getMetadata();
        var n = newObject.getMetadata();
        return !Objects.equals(o.getGeneration(), n.getGeneration())
                || !Objects.equals(o.getUid(), n.getUid())
                || !Objects.equals(o.getLabels(), n.getLabels())
                || !Objects.equals(o.getAnnotations(), n.getAnnotations())
                || !Objects.equals(o.getFinalizers(), n.getFinalizers())
                || !Objects.equals(o.getDeletionTimestamp(), n.getDeletionTimestamp());
    }

    @Override
    public void onAdd(T object) {
        offer(object);
    }

    @Override
    public void onUpdate(T oldObject, T newObject) {
        if (updateMatters.test(oldObject, newObject)) {
            offer(newObject);
        }
    }

    @Override
    public void onDelete(T object, boolean deletedFinalStateUnknown) {
        offer(object);
    }

    private void offer(T object) {
        K key = keyOf.apply(object);
        if (key != null) {
            enqueue.accept(key);
        }
    }
}
