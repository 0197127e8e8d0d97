package io.capstan.node.api;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.function.Consumer;

/**
 * Implemented by providers that report pod changes themselves instead of being polled. The node registers its
 * callback once, before it starts; the provider calls it with a pod carrying the current status whenever that
 * status changes. The pod passed must not be modified afterwards. The callback may block for a few seconds.
 * Reports of one pod must be made one after the other, in the order the changes happened: the node keeps the last
 * report it received, so an older one arriving late would overwrite a newer one.
 */
public interface PodNotifier {

    void notifyPods(Consumer<Pod> callback);
}
