package io.capstan.queue;

import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.queue.admission.AppWrapperQueueing;
import io.capstan.queue.admission.ClusterQueueValidation;
import io.capstan.queue.api.Kueue;
import io.capstan.queue.controller.AppWrapperWorkloads;
import io.capstan.queue.controller.FrameworkWorkloads;
import io.capstan.queue.controller.Scheduler;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Crds;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;

/**
 * The admission queue as a module of the operator: Kueue's {@code kueue.x-k8s.io} ResourceFlavor, ClusterQueue,
 * LocalQueue, WorkloadPriorityClass and Workload, served where Kueue is not installed, admitting queued AppWrappers and
 * Frameworks as whole gangs. Where Kueue is installed it stands aside, and Kueue drives AppWrappers as it drives the peer's.
 */
public final class QueueModule implements OperatorModule {

    public static final String NAME = "queue";

    private final QueueConfig config;

    /** The module with Kueue's defaults (what the class path finds). */
    public QueueModule() {
        this(QueueConfig.DEFAULTS);
    }

    public QueueModule(QueueConfig config) {
        this.config = config;
    }

    /** Kueue's own configuration file; the queue reads its waitForPodsReady. */
    @Override
    public QueueModule configuredFrom(java.nio.file.Path file) {
        return new QueueModule(QueueConfig.load(file));
    }
    private static final List<String> CRDS = List.of("resourceflavors", "clusterqueues", "localqueues",
            "workloadpriorityclasses", "workloads");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the admission queue (kueue.x-k8s.io ClusterQueue, LocalQueue, ResourceFlavor, Workload), Kueue compatible";
    }

    /** Kueue's own ClusterQueue CRD (one without Capstan's annotation) means Kueue is installed. */
    @Override
    public String standsAside(KubernetesClient client) {
        var crd = client.apiextensions().v1().customResourceDefinitions().withName("clusterqueues." + Kueue.GROUP).get();
        if (crd == null || (crd.getMetadata().getAnnotations() != null
                && crd.getMetadata().getAnnotations().containsKey(Kueue.SERVED_BY_ANNOTATION))) {
            return null;
        }
        return "Kueue is installed (its ClusterQueue CRD is there), so Kueue queues AppWrappers";
    }

    @Override
    public List<CustomResourceDefinition> crds() {
        return CRDS.stream().map(plural -> Crds.load(QueueModule.class, "api/" + plural + "." + Kueue.GROUP + ".yaml"))
                .toList();
    }

    /**
     * Kueue's webhooks: for AppWrappers (a namespace's {@code default} LocalQueue, suspend when queued, label rules) and
     * for ClusterQueues (the rules a 1.20 schema cannot hold).
     */
    @Override
    public List<AdmissionWebhooks.Hook> admissionHooks(KubernetesClient client) {
        var hooks = new java.util.ArrayList<>(AppWrapperQueueing.hooks(namespace -> client.genericKubernetesResources(
                Kueue.LOCAL_QUEUES).inNamespace(namespace).withName(AppWrapperQueueing.DEFAULT_LOCAL_QUEUE).get() != null));
        hooks.add(ClusterQueueValidation.hook());
        return hooks;
    }

    @Override
    public List<PolicyRule> clusterRules() {
        return List.of(
                Operator.rule(Kueue.GROUP, List.of("localqueues", "workloadpriorityclasses"),
                        List.of("get", "list", "watch")),
                // patch: the resource-in-use finalizer.
                Operator.rule(Kueue.GROUP, List.of("clusterqueues", "resourceflavors"),
                        List.of("get", "list", "watch", "patch")),
                // patch: spec.active false when a Workload is deactivated after too many requeues.
                Operator.rule(Kueue.GROUP, List.of("workloads"), List.of("get", "list", "watch", "create", "delete",
                        "patch")),
                Operator.rule(Kueue.GROUP, List.of("clusterqueues/status", "localqueues/status", "workloads/status"),
                        List.of("get", "update", "patch")),
                Operator.rule(AppWrapper.GROUP, List.of("appwrappers"), List.of("get", "list", "watch", "update", "patch")),
                Operator.rule(io.capstan.framework.api.Framework.GROUP, List.of("frameworks"),
                        List.of("get", "list", "watch", "update", "patch")),
                Operator.rule("", List.of("namespaces"), List.of("get", "list", "watch")));
    }

    /** Frameworks are queued too where their CRD is installed (by the framework module, or before). */
    @Override
    public void addTo(Manager manager) {
        boolean frameworks = manager.client().apiextensions().v1().customResourceDefinitions()
                .withName("frameworks." + io.capstan.framework.api.Framework.GROUP).get() != null;
        manager.add(new Scheduler(manager.client(), manager.informers(), frameworks, config, manager.metrics().registry(),
                Clock.systemUTC()));
        manager.add(new AppWrapperWorkloads(manager.client(), manager.informers(), manager.eventRecorder("kueue"),
                manager.metrics().registry()));
        if (frameworks) {
            manager.add(new FrameworkWorkloads(manager.client(), manager.informers(), manager.eventRecorder("kueue"),
                    manager.metrics().registry()));
        }
    }
}
