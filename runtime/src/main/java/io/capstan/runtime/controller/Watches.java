package io.capstan.runtime.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Objects;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * What a controller watches and which of its keys each event wakes, as controller-runtime's builder says it:
 * {@link #forPrimary} (the kind it reconciles: an object's own key), {@link #owns} (children: their controlling
 * owner's key) and {@link #watches} (anything else, through a mapping). Handlers run on the informer's thread, so
 * they only map and enqueue; the work happens in the controller's workers.
 */
public final class Watches {

    private final Controller<ObjectKey> controller;

    private Watches(Controller<ObjectKey> controller) {
        this.controller = controller;
    }

    public static Watches of(Controller<ObjectKey> controller) {
        return new Watches(controller);
    }

    /** The primary kind: every add, delete and update enqueues the object's own key. */
    public <T extends HasMetadata> Watches forPrimary(SharedIndexInformer<T> informer) {
        return forPrimary(informer, (a, b) -> true);
    }

    /**
     * The primary kind, where only updates for which {@code updateMatters} holds are worth a reconcile (e.g.
     * {@link #specOrDeletionChanged}: a controller's own status writes do not come back to it).
     */
    public <T extends HasMetadata> Watches forPrimary(SharedIndexInformer<T> informer, BiPredicate<T, T> updateMatters) {
        informer.addEventHandler(new Enqueue<>(ObjectKey::of, updateMatters));
        return this;
    }

    /**
     * Children: every event of an object whose controlling owner reference names {@code ownerKind} (of the given API
     * group, any version) enqueues that owner, in the child's namespace.
     */
    public <T extends HasMetadata> Watches owns(SharedIndexInformer<T> informer, String ownerGroup, String ownerKind) {
        informer.addEventHandler(new Enqueue<T>(child -> controllingOwner(child, ownerGroup, ownerKind), (a, b) -> true));
        return this;
    }

    /** Anything else: {@code keyOf} names the key an object's events wake, or null for none. */
    public <T extends HasMetadata> Watches watches(SharedIndexInformer<T> informer, Function<T, ObjectKey> keyOf) {
        informer.addEventHandler(new Enqueue<>(keyOf, (a, b) -> true));
        return this;
    }

    /** The key of {@code child}'s controlling owner when it is of the given group and kind, else null. */
    public static ObjectKey controllingOwner(HasMetadata child, String ownerGroup, String ownerKind) {
        if (child.getMetadata().getOwnerReferences() == null) {
            return null;
        }
        for (OwnerReference owner : child.getMetadata().getOwnerReferences()) {
            if (Boolean.TRUE.equals(owner.getController()) && ownerKind.equals(owner.getKind())
                    && ownerGroup.equals(group(owner.getApiVersion()))) {
                return new ObjectKey(child.getMetadata().getNamespace(), owner.getName());
            }
        }
        return null;
    }

    private static String group(String apiVersion) {
        int slash = apiVersion == null ? -1 : apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    /** True when two versions of an object differ in generation (its spec), identity or deletion state. */
    public static boolean specOrDeletionChanged(HasMetadata oldObject, HasMetadata newObject) {
        var o = oldObject.getMetadata();
        var n = newObject.getMetadata();
        return !Objects.equals(o.getGeneration(), n.getGeneration()) || !Objects.equals(o.getUid(), n.getUid())
                || !Objects.equals(o.getDeletionTimestamp(), n.getDeletionTimestamp());
    }

    /** Like {@link #specOrDeletionChanged}, and also labels, annotations and finalizers. */
    public static boolean metadataOrSpecChanged(HasMetadata oldObject, HasMetadata newObject) {
        var o = oldObject.getMetadata();
        var n = newObject.getMetadata();
        return specOrDeletionChanged(oldObject, newObject) || !Objects.equals(o.getLabels(), n.getLabels())
                || !Objects.equals(o.getAnnotations(), n.getAnnotations())
                || !Objects.equals(o.getFinalizers(), n.getFinalizers());
    }

    private final class Enqueue<T extends HasMetadata> implements ResourceEventHandler<T> {
        private final Function<T, ObjectKey> keyOf;
        private final BiPredicate<T, T> updateMatters;

        Enqueue(Function<T, ObjectKey> keyOf, BiPredicate<T, T> updateMatters) {
            this.keyOf = keyOf;
            this.updateMatters = updateMatters;
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
            ObjectKey key = keyOf.apply(object);
            if (key != null) {
                controller.queue().add(key);
            }
        }
    }
}
