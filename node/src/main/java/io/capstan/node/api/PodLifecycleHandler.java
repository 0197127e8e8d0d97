package io.capstan.node.api;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.List;
import java.util.Optional;

/**
 * The pod life cycle a provider implements: the same roles as Virtual Kubelet's {@code PodLifecycleHandler}.
 * Pods handed to the provider are copies it may keep; their environment is already resolved (every container's
 * {@code env} is a flat list of values and {@code envFrom} is empty) unless the node was configured to skip that.
 * Throw {@link NotFoundException} where the contract says "not found"; any other exception is retried.
 */
public interface PodLifecycleHandler {

    /** Starts the pod in the back end. */
    void createPod(Pod pod) throws Exception;

    /**
     * Applies changes to a pod the provider already runs (containers, init containers, activeDeadlineSeconds,
     * tolerations, labels or annotations differ from what it was last given).
     */
    void updatePod(Pod pod) throws Exception;

    /**
     * Stops and removes the pod; may be called more than once. {@link NotFoundException} means it is already gone.
     * A notifying provider reports the final, terminated status afterwards.
     */
    void deletePod(Pod pod) throws Exception;

    /** The pod as the provider runs it, or empty if it does not know it. */
    Optional<Pod> getPod(String namespace, String name) throws Exception;

    /**
     * The pod's current status. Only used for providers that do not implement {@link PodNotifier}: they are polled.
     * Empty or {@link NotFoundException} means the provider has no such pod.
     */
    Optional<PodStatus> getPodStatus(String namespace, String name) throws Exception;

    /** Every pod the provider runs for this node (and only this node). */
    List<Pod> getPods() throws Exception;
}
