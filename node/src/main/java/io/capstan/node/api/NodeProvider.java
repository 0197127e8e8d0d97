package io.capstan.node.api;

import io.fabric8.kubernetes.api.model.Node;
import java.util.function.Consumer;

/**
 * Optional: a provider that knows the health of its back end. {@link #ping()} gates node heartbeats and lease
 * renewals; {@link #notifyNodeStatus} lets the provider push new status, labels and annotations.
 */
public interface NodeProvider {

    /** Cheap liveness check of the back end; throwing marks the node unhealthy until a later ping succeeds. */
    void ping() throws Exception;

    /** Registers the callback the provider calls with an updated node (its status, labels and annotations are used). */
    default void notifyNodeStatus(Consumer<Node> callback) {
    }
}
