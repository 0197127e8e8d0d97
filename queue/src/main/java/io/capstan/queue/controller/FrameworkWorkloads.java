package io.capstan.queue.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.model.QueueAdmission;
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

/**
 * Queued Frameworks — beyond both peers: a FrameworkController {@code Framework} labelled
 * {@code kueue.x-k8s.io/queue-name} is admitted as one gang like an AppWrapper. Its Workload's podSets are its task
 * roles ({@code taskNumber} pods of the role's pod template); until the Workload is admitted the Framework controller
 * creates neither its attempt's ConfigMap nor a pod. The admission is handed over in the Framework's
 * {@code capstan.io/admission} annotation (the flavors' placement per role), and the quota comes back when the
 * Framework completes.
 */
public final class FrameworkWorkloads implements LeaderWork {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final EventRecorder events;
    private final SharedIndexInformer<Framework> frameworks;
    private final SharedIndexInformer<GenericKubernetesResource> workloadCache;
    private final Workloads workloads;
    private final Controller<ObjectKey> controller;

    public FrameworkWorkloads(KubernetesClient client, Informers informers, EventRecorder events, MeterRegistry metrics) {
        this.client = client;
        this.events = events;
        this.frameworks = informers.informer(Framework.class);
        this.workloadCache = informers.genericInformer(Kueue.WORKLOADS, Selectors.NONE);
        this.workloads = new Workloads(client, events, informers.genericInformer(Kueue.PRIORITY_CLASSES, Selectors.NONE),
                informers.genericInformer(Kueue.RESOURCE_FLAVORS, Selectors.NONE));
        this.controller = Controller.<ObjectKey>builder("queue-frameworks", this::sync).kind("Framework").workers(4)
                .metrics(metrics).build();
        Watches.of(controller).forPrimary(frameworks, Watches::metadataOrSpecChanged)
                .owns(workloadCache, Framework.GROUP, "Framework");
    }

    @Override
    public void start() {
        controller.start();
    }

    @Override
    public void stop() {
        controller.stop();
    }

    private Result sync(ObjectKey key) {
        Framework framework = frameworks.getIndexer().getByKey(key.toString());
        if (framework == null || framework.getMetadata().getDeletionTimestamp() != null) {
            workloads.forget(key);
            return Result.done();
        }
        var labels = framework.getMetadata().getLabels();
        String queueName = labels == null ? null : labels.get(Kueue.QUEUE_NAME_LABEL);
        if (queueName == null || (framework.getStatus() != null && framework.getStatus().state == FrameworkState.Completed)) {
            return Result.done();
        }
        String name = Workloads.name(framework, Framework.GROUP);
        GenericKubernetesResource workload = workloadCache.getIndexer().getByKey(key.namespace() + "/" + name);
        if (workload == null) {
            workloads.create(framework, name, queueName, podSets(framework));
            return Result.done();
        }
        JsonNode status = Workloads.status(client, workload);
        if (!Workloads.admitted(status)) {
            workloads.tellWhyItWaits(framework, status);
            return Result.done();
        }
        if (QueueAdmission.admission(framework) == null) {
            admit(framework, status.path("admission"));
        }
        return Result.done();
    }

    /** One podSet per task role: its tasks, each a pod of the role's template. */
    private static ArrayNode podSets(Framework framework) {
        ArrayNode podSets = JSON.createArrayNode();
        for (TaskRoleSpec role : framework.getSpec().getTaskRoles()) {
            JsonNode pod = role.getTask().getPod();
            podSets.addObject().put("name", role.getName()).put("count", role.getTaskNumber())
                    .set("template", pod == null ? JSON.createObjectNode() : pod.deepCopy());
        }
        return podSets;
    }

    /** Writes the admission annotation: the ClusterQueue, and each role's flavors as placement. */
    private void admit(Framework framework, JsonNode admission) {
        ObjectNode value = JSON.createObjectNode();
        value.put("clusterQueue", admission.path("clusterQueue").asText());
        ObjectNode roles = value.putObject("roles");
        for (JsonNode assignment : admission.path("podSetAssignments")) {
            roles.set(assignment.path("name").asText(), workloads.placement(assignment.path("name").asText(), assignment));
        }
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("metadata").putObject("annotations").put(QueueAdmission.ANNOTATION, value.toString());
        try {
            RawRequests.write(client, "PATCH", RawRequests.path(Framework.class, framework.getMetadata().getNamespace(),
                    framework.getMetadata().getName()), RawRequests.MERGE_PATCH, patch.toString());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
            return;
        }
        events.record(framework, QueueReason.Admitted, "Admitted by ClusterQueue %s", admission.path("clusterQueue").asText());
    }
}
