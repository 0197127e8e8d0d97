package io.capstan.runtime.informer;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.stream.Stream;

/**
 * An informer store that drops {@code metadata.managedFields} (controllers never read them; they are about a third
 * of a typical object's JSON) and {@linkplain CompactObjects compacts} each object before caching it.
 */
final class CompactingStore<T extends HasMetadata> implements ItemStore<T> {

    private final BasicItemStore<T> delegate = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);

    @Override
    public String getKey(T object) {
        return delegate.getKey(object);
    }

    @Override
    public T put(String key, T object) {
        if (object.getMetadata() != null) {
            object.getMetadata().setManagedFields(null);
        }
        CompactObjects.compact(object);
        return delegate.put(key, object);
    }

    @Override
    public T remove(String key) {
        return delegate.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return delegate.keySet();
    }

    @Override
    public Stream<T> values() {
        return delegate.values();
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public T get(String key) {
        return delegate.get(key);
    }
}
