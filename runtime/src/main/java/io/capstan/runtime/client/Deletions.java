package io.capstan.runtime.client;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpResponse;

/**
 * Deletes guarded by a UID precondition, which fabric8's DSL cannot express: the delete only succeeds on the very
 * object instance that was meant, never on a newer object that took the same name. Controllers that promise "at
 * most one instance" (Frameworks, virtual nodes) delete only this way.
 */
public final class Deletions {

    /** What the API server answered. */
    public enum Outcome {
        /** Deleted, or marked for deletion (graceful or foreground). */
        DELETED,
        /** No object of that name exists. */
        NOT_FOUND,
        /** An object of that name exists but is another instance (its UID differs). */
        UID_MISMATCH
    }

    private Deletions() {
    }

    /**
     * @param gracePeriodSeconds null for the object's default
     * @param propagation null for the API server's default
     */
    public static Outcome deleteWithUid(KubernetesClient client, Class<? extends HasMetadata> type, String namespace,
            String name, String uid, Long gracePeriodSeconds, DeletionPropagation propagation) {
        return deleteWithUid(client, RawRequests.path(type, namespace, name), uid, gracePeriodSeconds, propagation);
    }

    /** The same for the object at {@code path} (see {@link RawRequests#path}), e.g. of a kind known at run time. */
    public static Outcome deleteWithUid(KubernetesClient client, String path, String uid, Long gracePeriodSeconds,
            DeletionPropagation propagation) {
        StringBuilder body = new StringBuilder("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"")
                .append(uid).append("\"}");
        if (gracePeriodSeconds != null) {
            body.append(",\"gracePeriodSeconds\":").append(gracePeriodSeconds);
        }
        if (propagation != null) {
            body.append(",\"propagationPolicy\":\"").append(propagation.toString()).append('"');
        }
        body.append('}');
        HttpResponse<String> response = RawRequests.exchange(client, "DELETE", path, RawRequests.JSON, body.toString());
        return switch (response.code()) {
            case 200, 202 -> Outcome.DELETED;
            case 404 -> Outcome.NOT_FOUND;
            case 409 -> Outcome.UID_MISMATCH;
            default -> throw new KubernetesClientException("DELETE " + path + " failed with HTTP " + response.code() + ": "
                    + response.body(), response.code(), null);
        };
    }
}
