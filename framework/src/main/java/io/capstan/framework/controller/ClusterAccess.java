package io.capstan.framework.controller;

import io.capstan.framework.api.Framework;
import io.capstan.runtime.client.Deletions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * The side effects a Framework sync may have, and the two views of the cluster it reads: the informer cache (which
 * may lag) and the API server itself (read only where the peer insists on ground truth). Every delete carries a UID
 * precondition.
 */
interface ClusterAccess {

    Optional<ConfigMap> cachedConfigMap(String namespace, String name);

    Optional<Pod> cachedPod(String namespace, String name);

    Optional<ConfigMap> liveConfigMap(String namespace, String name);

    Optional<Pod> livePod(String namespace, String name);

    Optional<Framework> liveFramework(String namespace, String name);

    ConfigMap createConfigMap(ConfigMap configMap);

    Pod createPod(Pod pod);

    Deletions.Outcome deleteConfigMap(String namespace, String name, String uid);

    /** @param gracePeriodSeconds null for the pod's own grace period */
    Deletions.Outcome deletePod(String namespace, String name, String uid, Long gracePeriodSeconds);

    /** Foreground, so the Framework stays until its ConfigMap and pods are gone. */
    Deletions.Outcome deleteFramework(String namespace, String name, String uid);
}
