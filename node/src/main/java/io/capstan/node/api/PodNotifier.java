package io.capstan.node.api;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.function.Consumer;

/**
 * Implemented by providers that report pod changes themselves instead of being polled. The node registers its
 * callback once, before it starts; the provider calls it with a pod carrying the current status whenever that
 * status changes. The pod passed must not be modified afterwards. The callback may block for a few seconds.
 */
public interface PodNotifier {

    void notifyPods(Consumer<Pod> callback);
}
