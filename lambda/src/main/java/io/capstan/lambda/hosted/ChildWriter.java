package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.api.CompositeControllerSpec.UpdateMethod;
import io.capstan.lambda.api.Resources;
import io.capstan.lambda.apply.LastApplied;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.Deletions;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the children of one parent (a CompositeController's children, a DecoratorController's attachments) to what
 * a hook answered, as Metacontroller's pkg/controller/common/manage_children.go does: the observed children it no
 * longer wants are deleted first (UID precondition, background propagation), then the new ones are created with the
 * last-applied annotation and a controller ownerReference, and the existing ones updated as their kind's update
 * method says. Every write is tried; the failures are reported together.
 */
final class ChildWriter {

    private static final Logger log = LoggerFactory.getLogger(ChildWriter.class);

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;

    /** A declared child kind: where it is cached and how a differing child is brought up to date. */
    record ChildRule(Resources resources, UpdateMethod method, SharedIndexInformer<GenericKubernetesResource> cache) {
    }

    /** The field manager of server-side apply, or null for Metacontroller's dynamic apply. */
    private final String fieldManager;

    /**
     * @param fieldManager null to write children by the three-way merge (Metacontroller's {@code dynamic-apply}); else
     *     by server-side apply as this field manager, with conflicts forced ({@code server-side-apply}). Both record the
     *     last-applied annotation, which decides cheaply whether a child needs a write at all.
     */
    ChildWriter(KubernetesClient client, String fieldManager) {
        this.client = client;
        this.serialization = client.getKubernetesSerialization();
        this.fieldManager = fieldManager;
    }

    /**
     * @param rules the declared kinds, by {@code Kind.apiVersion}
     * @param observed the children claimed, by kind
     * @param desired the hook's children, validated: each of a declared kind, with its namespace
     * @param owner the controller ownerReference a created child gets
     * @throws IllegalStateException naming every write that failed
     */
    void manage(Map<String, ChildRule> rules, Map<String, Map<ObjectKey, GenericKubernetesResource>> observed,
            List<ObjectNode> desired, OwnerReference owner) {
        Map<String, Map<ObjectKey, ObjectNode>> wanted = new LinkedHashMap<>();
        for (ObjectNode child : desired) {
            String mapKey = child.path("kind").asText() + "." + child.path("apiVersion").asText();
            ObjectKey key = new ObjectKey(child.path("metadata").path("namespace").asText(null),
                    child.path("metadata").path("name").asText());
            wanted.computeIfAbsent(mapKey, k -> new LinkedHashMap<>()).put(key, child);
        }
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Runnable> deletes = new ArrayList<>();
        for (Map.Entry<String, Map<ObjectKey, GenericKubernetesResource>> kind : observed.entrySet()) {
            ChildRule rule = rules.get(kind.getKey());
            Map<ObjectKey, ObjectNode> keep = wanted.getOrDefault(kind.getKey(), Map.of());
            for (GenericKubernetesResource child : kind.getValue().values()) {
                if (!keep.containsKey(ObjectKey.of(child)) && child.getMetadata().getDeletionTimestamp() == null) {
                    deletes.add(() -> delete(rule, child, "no longer desired"));
                }
            }
        }
        List<Runnable> writes = new ArrayList<>();
        for (Map.Entry<String, Map<ObjectKey, ObjectNode>> kind : wanted.entrySet()) {
            ChildRule rule = rules.get(kind.getKey());
            Map<ObjectKey, GenericKubernetesResource> have = observed.getOrDefault(kind.getKey(), Map.of());
            for (Map.Entry<ObjectKey, ObjectNode> child : kind.getValue().entrySet()) {
                GenericKubernetesResource existing = have.get(child.getKey());
                writes.add(existing == null ? () -> create(rule, owner, child.getValue())
                        : () -> update(rule, existing, child.getValue()));
            }
        }
        // Deletions first, as Metacontroller orders them; within each step the writes go out together, so a parent
        // with many children waits for one round trip, not one per child.
        runTogether(deletes, failures);
        runTogether(writes, failures);
        if (!failures.isEmpty()) {
            throw new IllegalStateException(String.join("; ", failures));
        }
    }

    private static void runTogether(List<Runnable> writes, List<String> failures) {
        if (writes.size() == 1) {
            collect(failures, writes.getFirst());
            return;
        }
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            writes.forEach(write -> executor.submit(() -> collect(failures, write)));
        }
    }

    private static void collect(List<String> failures, Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            failures.add(ApiErrors.describe(e));
        }
    }

    private void create(ChildRule rule, OwnerReference owner, ObjectNode desired) {
        GenericKubernetesResource object = serialization.convertValue(LastApplied.forCreate(desired),
                GenericKubernetesResource.class);
        List<OwnerReference> owners = new ArrayList<>(object.getMetadata().getOwnerReferences() == null ? List.of()
                : object.getMetadata().getOwnerReferences());
        if (owners.stream().noneMatch(o -> owner.getUid().equals(o.getUid()))) {
            owners.add(owner);
        }
        object.getMetadata().setOwnerReferences(owners);
        if (fieldManager != null) {
            apply(rule, object);
            log.info("Created {} {} (server-side apply)", rule.resources().kind(), ObjectKey.of(object));
            return;
        }
        try {
            resources(rule.resources(), object.getMetadata().getNamespace()).resource(object).create();
            log.info("Created {} {}", rule.resources().kind(), ObjectKey.of(object));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private void update(ChildRule rule, GenericKubernetesResource existing, ObjectNode desired) {
        if (existing.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        ObjectNode observed = serialization.convertValue(existing, ObjectNode.class);
        ObjectNode merged = LastApplied.forUpdate(observed, desired);
        if (merged == null) {
            return;
        }
        String differs = "differs from the desired state at " + LastApplied.firstDifference(observed, merged);
        switch (rule.method()) {
            case OnDelete -> {
            }
            case Recreate, RollingRecreate -> delete(rule, existing, differs + " (Recreate)");
            case InPlace, RollingInPlace -> {
                if (fieldManager != null) {
                    // What this manager owns becomes the desired object; what others wrote stays.
                    GenericKubernetesResource applied = serialization.convertValue(LastApplied.forCreate(desired),
                            GenericKubernetesResource.class);
                    applied.getMetadata().setNamespace(existing.getMetadata().getNamespace());
                    applied.getMetadata().setOwnerReferences(List.of(Hosted.controllerOf(existing)));
                    apply(rule, applied);
                    log.info("Applied {} {}: {}", rule.resources().kind(), ObjectKey.of(existing), differs);
                    return;
                }
                try {
                    resources(rule.resources(), existing.getMetadata().getNamespace())
                            .resource(serialization.convertValue(merged, GenericKubernetesResource.class)).update();
                    log.info("Updated {} {}: {}", rule.resources().kind(), ObjectKey.of(existing), differs);
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404 && e.getCode() != 409) {
                        throw e;
                    }
                }
            }
        }
    }

    /** A server-side apply of {@code object} as this writer's field manager, taking over conflicting fields. */
    private void apply(ChildRule rule, GenericKubernetesResource object) {
        resources(rule.resources(), object.getMetadata().getNamespace()).resource(object).fieldManager(fieldManager)
                .forceConflicts().serverSideApply();
    }

    private void delete(ChildRule rule, GenericKubernetesResource child, String why) {
        Resources kind = rule.resources();
        Deletions.Outcome outcome = Deletions.deleteWithUid(client, RawRequests.path(kind.group(), kind.version(),
                kind.plural(), child.getMetadata().getNamespace(), child.getMetadata().getName()),
                child.getMetadata().getUid(), null, DeletionPropagation.BACKGROUND);
        if (outcome == Deletions.Outcome.DELETED) {
            log.info("Deleted {} {}: {}", kind.kind(), ObjectKey.of(child), why);
        }
    }

    /** The kind's objects, in {@code namespace} when the kind is namespaced. */
    io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> resources(Resources kind, String namespace) {
        var all = client.genericKubernetesResources(kind.context());
        return kind.namespaced() && namespace != null ? all.inNamespace(namespace) : all;
    }
}
