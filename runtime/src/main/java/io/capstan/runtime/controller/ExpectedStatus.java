package io.capstan.runtime.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.capstan.runtime.client.RawRequests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * FrameworkController's expected-status discipline, for any controller that is the only writer of its objects'
 * status: the status it last decided for each object instance is kept in memory and is what the next reconcile builds
 * on, so an informer cache that has not seen the last write yet never makes status go backwards.
 *
 * <p>Writes go through the status subresource as a JSON patch that first tests the object's UID: no resourceVersion,
 * so no conflict with a user's spec edits or with this controller's own previous write that the cache has not caught
 * up with, yet never onto a re-created object of the same name. The user's spec, with any fields the Java model does
 * not know, is never rewritten. A write that fails is done again before the next reconcile builds on it.
 *
 * @param <T> the object's type
 * @param <S> its status type; statuses handed in are not changed afterwards by the caller
 */
public final class ExpectedStatus<T extends HasMetadata, S> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<ObjectKey, Expected<S>> expected = new ConcurrentHashMap<>();
    private final UnaryOperator<S> copy;
    private final BiConsumer<? super T, ? super S> write;

    /** The status decided for one instance (its UID), and whether it reached the API server. */
    private record Expected<S>(String uid, S status, boolean written) {
    }

    /**
     * @param copy a deep copy of a status (what {@link #current} hands out may be changed by the caller)
     * @param write writes a status of an object (see {@link #uidGuardedPatch})
     */
    public ExpectedStatus(UnaryOperator<S> copy, BiConsumer<? super T, ? super S> write) {
        this.copy = copy;
        this.write = write;
    }

    /**
     * The status to build on, as a copy: the one this controller decided last for this very instance (written first
     * if that write failed), else what the cached object carries (null when it has none).
     */
    public S current(T cached, S cachedStatus) {
        ObjectKey key = ObjectKey.of(cached);
        Expected<S> known = expected.get(key);
        if (known != null && known.uid().equals(cached.getMetadata().getUid())) {
            if (!known.written()) {
                write(cached, known.status());
            }
            return copy.apply(known.status());
        }
        return cachedStatus == null ? null : copy.apply(cachedStatus);
    }

    /** Makes {@code status} the expected one for this instance and writes it. */
    public void write(T cached, S status) {
        ObjectKey key = ObjectKey.of(cached);
        String uid = Objects.requireNonNull(cached.getMetadata().getUid(), "an object without a UID");
        expected.put(key, new Expected<>(uid, status, false));
        write.accept(cached, status);
        expected.put(key, new Expected<>(uid, status, true));
    }

    /** The object is gone (or re-created): what was expected of it no longer holds. */
    public void forget(ObjectKey key) {
        expected.remove(key);
    }

    /** Objects with an expected status, for tests and diagnostics. */
    public int size() {
        return expected.size();
    }

    /**
     * The UID-guarded status write: {@code [test /metadata/uid, add /status]} through the status subresource, with
     * neither a GET before nor a decoded answer after (the expected status is what the controller reads next).
     */
    public static <T extends HasMetadata> BiConsumer<T, Object> uidGuardedPatch(
            io.fabric8.kubernetes.client.KubernetesClient client, Class<T> type) {
        return (object, status) -> {
            ArrayNode patch = JSON.createArrayNode();
            patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", object.getMetadata().getUid());
            patch.addObject().put("op", "add").put("path", "/status").set("value", JSON.valueToTree(status));
            RawRequests.write(client, "PATCH", RawRequests.path(type, object.getMetadata().getNamespace(),
                    object.getMetadata().getName()) + "/status", RawRequests.JSON_PATCH, patch.toString());
        };
    }
}
