package io.capstan.runtime.informer;

import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shrinks a freshly read API object in place before it is cached. fabric8's model classes allocate an empty
 * {@code additionalProperties} map in every object and an empty list for every list field, and Jackson grows lists
 * to ten slots: a cached pod carries about seventy empty maps and as many lists, over a third of its heap. Empty
 * collections become the shared immutable empties ({@code equals} still holds, and unlike {@code List.of()} they
 * answer queries for null) and lists lose their spare slots.
 *
 * <p>Cached objects must never be modified (copy them with a builder first); the immutable empties make an
 * accidental modification fail loudly instead of corrupting the cache.
 */
final class CompactObjects {

    private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();

    private CompactObjects() {
    }

    static void compact(Object object) {
        if (!(object instanceof KubernetesResource)) {
            return;
        }
        for (Field field : FIELDS.computeIfAbsent(object.getClass(), CompactObjects::collectionAndModelFields)) {
            try {
                Object value = field.get(object);
                Object compacted = compactValue(value);
                if (compacted != value) {
                    field.set(object, compacted);
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot compact " + field, e);
            }
        }
    }

    private static Object compactValue(Object value) {
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return Collections.emptyList();
            }
            if (list instanceof ArrayList<?> arrayList) {
                arrayList.trimToSize();
            }
            list.forEach(CompactObjects::compact);
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                return Collections.emptyMap();
            }
            map.values().forEach(CompactObjects::compact);
        } else {
            compact(value);
        }
        return value;
    }

    /** The instance fields, of the class and its superclasses, that may hold collections or nested objects. */
    private static List<Field> collectionAndModelFields(Class<?> type) {
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                Class<?> fieldType = field.getType();
                if (Modifier.isStatic(field.getModifiers()) || Modifier.isFinal(field.getModifiers())
                        || fieldType.isPrimitive() || fieldType.isEnum() || fieldType == String.class
                        || Number.class.isAssignableFrom(fieldType) || fieldType == Boolean.class) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    fields.add(field);
                } catch (InaccessibleObjectException e) {
                    // A class in a module that does not open it: left as it is.
                }
            }
        }
        return List.copyOf(fields);
    }
}
