package io.capstan.queue.api;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** Kueue's API ({@code kueue.x-k8s.io}) as Capstan's queue serves it: the kinds, labels and condition types. */
public final class Kueue {

    public static final String GROUP = "kueue.x-k8s.io";
    public static final String VERSION = "v1beta2";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    public static final ResourceDefinitionContext RESOURCE_FLAVORS = context("ResourceFlavor", "resourceflavors", false);
    public static final ResourceDefinitionContext CLUSTER_QUEUES = context("ClusterQueue", "clusterqueues", false);
    public static final ResourceDefinitionContext LOCAL_QUEUES = context("LocalQueue", "localqueues", true);
    public static final ResourceDefinitionContext WORKLOADS = context("Workload", "workloads", true);
    public static final ResourceDefinitionContext PRIORITY_CLASSES = context("WorkloadPriorityClass",
            "workloadpriorityclasses", false);

    /** On a queued object: the LocalQueue it is submitted to. */
    public static final String QUEUE_NAME_LABEL = "kueue.x-k8s.io/queue-name";
    /** On a queued object: its WorkloadPriorityClass. */
    public static final String PRIORITY_CLASS_LABEL = "kueue.x-k8s.io/priority-class";
    /** On a queued object: the most seconds it may hold quota in all, its Workload's maximumExecutionTimeSeconds. */
    public static final String MAX_EXEC_TIME_LABEL = "kueue.x-k8s.io/max-exec-time-seconds";
    /** Injected into each admitted pod template: the podSet it belongs to. */
    public static final String PODSET_LABEL = "kueue.x-k8s.io/podset";
    /** On Capstan's copies of Kueue's CRDs; Kueue's own lack it. */
    public static final String SERVED_BY_ANNOTATION = "capstan.io/served-by";
    /** Kueue's finalizer on a ClusterQueue that admitted workloads still use. */
    public static final String RESOURCE_IN_USE = "kueue.x-k8s.io/resource-in-use";

    public static final String QUOTA_RESERVED = "QuotaReserved";
    public static final String ADMITTED = "Admitted";
    public static final String FINISHED = "Finished";
    public static final String EVICTED = "Evicted";
    public static final String PREEMPTED = "Preempted";
    public static final String REQUEUED = "Requeued";
    public static final String PODS_READY = "PodsReady";

    private Kueue() {
    }

    private static ResourceDefinitionContext context(String kind, String plural, boolean namespaced) {
        return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(VERSION).withKind(kind)
                .withPlural(plural).withNamespaced(namespaced).build();
    }
}
