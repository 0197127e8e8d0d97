package io.capstan.bench;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.function.Consumer;

/** An informer handler for a benchmark's observer: each added object, and each update's new version, is seen. */
record Seen<T>(Consumer<T> seen) implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T object) {
        seen.accept(object);
    }

    @Override
    public void onUpdate(T oldObject, T newObject) {
        seen.accept(newObject);
    }

    @Override
    public void onDelete(T object, boolean unknown) {
    }
}
