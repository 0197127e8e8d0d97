package io.capstan.queue.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import io.capstan.appwrapper.api.AppWrapperStatus;
import io.capstan.appwrapper.model.PodSets;
import io.capstan.queue.QueueReason;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.controller.Watches;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;

/**
 * Queued AppWrappers, as Kueue's job framework drives them (kubernetes-sigs/kueue, pkg/controller/jobs/appwrapper): an
 * AppWrapper labelled {@code kueue.x-k8s.io/queue-name} gets a Workload it owns, whose podSets are its own, and stays
 * suspended until the scheduler admits that Workload; then the admission's flavors become each podSet's
 * {@code podSetInfos} (the flavor's node labels as a node selector, its tolerations, the podSet label) and
 * {@code spec.suspend} turns false. An AppWrapper unsuspended without admission is suspended again.
 */
public final class AppWrapperWorkloads implements LeaderWork {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final EventRecorder events;
    private final SharedIndexInformer<AppWrapper> appWrappers;
    private final SharedIndexInformer<GenericKubernetesResource> workloadCache;
    private final Workloads workloads;
    private final Controller<ObjectKey> controller;

    public AppWrapperWorkloads(KubernetesClient client, Informers informers, EventRecorder events, MeterRegistry metrics) {
        this.client = client;
        this.events = events;
        this.appWrappers = informers.informer(AppWrapper.class);
        this.workloadCache = informers.genericInformer(Kueue.WORKLOADS, Selectors.NONE);
        this.workloads = new Workloads(client, events, informers.genericInformer(Kueue.PRIORITY_CLASSES, Selectors.NONE),
                informers.genericInformer(Kueue.RESOURCE_FLAVORS, Selectors.NONE));
        this.controller = Controller.<ObjectKey>builder("queue-appwrappers", this::sync).kind(AppWrapper.KIND)
                .workers(4).metrics(metrics).build();
        Watches.of(controller).forPrimary(appWrappers).owns(workloadCache, AppWrapper.GROUP, AppWrapper.KIND);
    }

    @Override
    public void start() {
        controller.start();
    }

    @Override
    public void stop() {
        controller.stop();
    }

    private Result sync(ObjectKey key) throws Exception {
        AppWrapper appWrapper = appWrappers.getIndexer().getByKey(key.toString());
        if (appWrapper == null || appWrapper.getMetadata().getDeletionTimestamp() != null) {
            workloads.forget(key);
            return Result.done();
        }
        var labels = appWrapper.getMetadata().getLabels();
        String queueName = labels == null ? null : labels.get(Kueue.QUEUE_NAME_LABEL);
        AppWrapperStatus status = appWrapper.getStatus();
        if (queueName == null || status == null || status.phase() == AppWrapperStatus.Phase.Empty
                || status.phase() == AppWrapperStatus.Phase.Succeeded || status.phase() == AppWrapperStatus.Phase.Failed) {
            return Result.done();
        }
        String name = Workloads.name(appWrapper, AppWrapper.GROUP);
        GenericKubernetesResource workload = workloadCache.getIndexer().getByKey(key.namespace() + "/" + name);
        if (workload == null) {
            workloads.create(appWrapper, name, queueName, podSets(appWrapper));
            if (!appWrapper.getSpec().suspended()) {
                suspend(appWrapper);
            }
            return Result.done();
        }
        JsonNode workloadStatus = Workloads.status(client, workload);
        boolean admitted = Workloads.admitted(workloadStatus);
        if (!admitted) {
            workloads.tellWhyItWaits(appWrapper, workloadStatus);
        }
        if (admitted && (appWrapper.getSpec().suspended() || !hasPodSetInfos(appWrapper))) {
            run(appWrapper, workloadStatus.path("admission"));
        } else if (!admitted && !appWrapper.getSpec().suspended()) {
            suspend(appWrapper);
            if (Scheduler.isTrue(workloadStatus, Kueue.EVICTED)) {
                events.record(appWrapper, QueueReason.Evicted, "Suspended: its Workload %s was evicted (%s)", name,
                        Workloads.message(workloadStatus, Kueue.EVICTED));
            }
        }
        return Result.done();
    }

    /** One Workload podSet per AppWrapper podSet, named {@code NAME-INDEX} in order, with its pod template. */
    private static ArrayNode podSets(AppWrapper appWrapper) throws PodSets.InvalidPodSetException {
        ArrayNode podSets = JSON.createArrayNode();
        int index = 0;
        List<Component> components = appWrapper.getSpec().components;
        for (int i = 0; i < components.size(); i++) {
            for (PodSet podSet : appWrapper.getStatus().componentStatus.get(i).podSets) {
                ObjectNode template = PodSets.podTemplate(components.get(i).template, podSet.path).deepCopy();
                podSets.addObject().put("name", appWrapper.getMetadata().getName() + "-" + index++)
                        .put("count", podSet.replicasOrOne()).set("template", template);
            }
        }
        return podSets;
    }

    /** Gives each podSet what its admission assigned, and lets the AppWrapper run. */
    private void run(AppWrapper appWrapper, JsonNode admission) {
        Map<String, JsonNode> assignments = new java.util.HashMap<>();
        admission.path("podSetAssignments").forEach(a -> assignments.put(a.path("name").asText(), a));
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", appWrapper.getMetadata().getUid());
        int index = 0;
        for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
            ArrayNode infos = JSON.createArrayNode();
            for (PodSet ignored : appWrapper.getStatus().componentStatus.get(i).podSets) {
                String podSetName = appWrapper.getMetadata().getName() + "-" + index++;
                infos.add(workloads.placement(podSetName, assignments.get(podSetName)));
            }
            if (!infos.isEmpty()) {
                patch.addObject().put("op", "add").put("path", "/spec/components/" + i + "/podSetInfos").set("value", infos);
            }
        }
        patch.addObject().put("op", "add").put("path", "/spec/suspend").put("value", false);
        write(appWrapper, patch);
        events.record(appWrapper, QueueReason.Admitted, "Admitted by ClusterQueue %s",
                admission.path("clusterQueue").asText());
    }

    /** Suspends an AppWrapper that runs without admission, and takes back what an admission gave it. */
    private void suspend(AppWrapper appWrapper) {
        ArrayNode patch = JSON.createArrayNode();
        patch.addObject().put("op", "test").put("path", "/metadata/uid").put("value", appWrapper.getMetadata().getUid());
        for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
            if (appWrapper.getSpec().components.get(i).podSetInfos != null) {
                patch.addObject().put("op", "remove").put("path", "/spec/components/" + i + "/podSetInfos");
            }
        }
        patch.addObject().put("op", "add").put("path", "/spec/suspend").put("value", true);
        write(appWrapper, patch);
    }

    private static boolean hasPodSetInfos(AppWrapper appWrapper) {
        for (int i = 0; i < appWrapper.getSpec().components.size(); i++) {
            Component component = appWrapper.getSpec().components.get(i);
            int podSets = appWrapper.getStatus().componentStatus.get(i).podSets.size();
            if (podSets > 0 && (component.podSetInfos == null || component.podSetInfos.size() < podSets)) {
                return false;
            }
        }
        return true;
    }

    private void write(AppWrapper appWrapper, ArrayNode patch) {
        try {
            RawRequests.write(client, "PATCH", RawRequests.path(AppWrapper.class, appWrapper.getMetadata().getNamespace(),
                    appWrapper.getMetadata().getName()), RawRequests.JSON_PATCH, patch.toString());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
