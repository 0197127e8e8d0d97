package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.api.CompositeControllerSpec.StatusCondition;
import io.capstan.lambda.api.CompositeControllerSpec.UpdateMethod;
import io.capstan.lambda.api.Resources;
import io.capstan.lambda.apply.LastApplied;
import io.capstan.lambda.hosted.ChildWriter.ChildRule;
import io.capstan.runtime.client.Deletions;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.controller.LabelSelectors;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolling updates of a CompositeController's children, as Metacontroller's pkg/controller/composite
 * controller_revision.go and rolling_update.go do them. Each distinct value of the parent's rolled-out fields (by
 * default {@code spec}) is a ControllerRevision that lists the children built from it. The hook is asked for the
 * children of every live revision (the older ones through a parent with that revision's fields), and each sync moves
 * at most one child of a rolling kind to the latest revision, once every child already there is up to date, has
 * observed its generation (RollingInPlace) and passes the kind's status checks. The parent's status gets an
 * {@code Updated} condition saying where the rollout is.
 */
final class Rollout {

    private static final Logger log = LoggerFactory.getLogger(Rollout.class);

    static final String API_GROUP_LABEL = "metacontroller.k8s.io/apiGroup";
    static final String RESOURCE_LABEL = "metacontroller.k8s.io/resource";

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final Resources parent;
    private final Resources revisionKind;
    private final SharedIndexInformer<GenericKubernetesResource> revisions;
    private final List<String> fieldPaths;
    private final Map<String, ChildRule> rules;
    private final Map<String, List<StatusCondition>> statusChecks;

    /** A child as a revision lists it: its kind's {@code Kind.apiVersion} key and its name. */
    record ChildId(String kind, String name) {
    }

    /** One revision: its object (null until created), name, rolled-out fields and the children it holds. */
    private static final class Revision {
        final GenericKubernetesResource object;
        final String name;
        final JsonNode patch;
        final Set<ChildId> children;
        final Set<ChildId> claimedAtStart;
        SyncResponse response;
        Map<ChildId, ObjectNode> desired = Map.of();

        Revision(GenericKubernetesResource object, String name, JsonNode patch, Set<ChildId> children) {
            this.object = object;
            this.name = name;
            this.patch = patch;
            this.children = new LinkedHashSet<>(children);
            this.claimedAtStart = Set.copyOf(children);
        }
    }

    /** What the rollout decided: the children to apply, and the latest revision's answer with the Updated condition. */
    record Plan(List<ObjectNode> desired, ObjectNode status, double resyncAfterSeconds, boolean finalized) {
    }

    /** The hook, asked about one (possibly hypothetical) parent; answers validated desired children. */
    interface Hook {
        Answer ask(ObjectNode parent) throws Exception;
    }

    record Answer(SyncResponse response, List<ObjectNode> desired) {
    }

    Rollout(KubernetesClient client, Resources parent, Resources revisionKind,
            SharedIndexInformer<GenericKubernetesResource> revisions, List<String> fieldPaths, Map<String, ChildRule> rules,
            Map<String, List<StatusCondition>> statusChecks) {
        this.client = client;
        this.serialization = client.getKubernetesSerialization();
        this.parent = parent;
        this.revisionKind = revisionKind;
        this.revisions = revisions;
        this.fieldPaths = fieldPaths;
        this.rules = rules;
        this.statusChecks = statusChecks;
    }

    static boolean rolling(UpdateMethod method) {
        return method == UpdateMethod.RollingRecreate || method == UpdateMethod.RollingInPlace;
    }

    Plan sync(GenericKubernetesResource cached, ObjectNode parentTree, LabelSelector selector,
            Map<String, String> revisionLabels, Map<String, Map<ObjectKey, GenericKubernetesResource>> observed, Hook hook)
            throws Exception {
        String uid = cached.getMetadata().getUid();
        List<Revision> claimed = claim(cached, selector);
        JsonNode latestPatch = patchOf(parentTree);
        Revision latest = claimed.stream().filter(r -> r.patch.equals(latestPatch)).findFirst()
                .orElseGet(() -> new Revision(null, revisionName(uid, latestPatch), latestPatch, Set.of()));
        List<Revision> all = new ArrayList<>();
        all.add(latest);
        for (Revision revision : claimed) {
            if (revision != latest) {
                all.add(revision);
            }
        }
        for (Revision revision : all) {
            ObjectNode asked = revision == latest ? parentTree : withPatch(parentTree, revision.patch);
            Answer answer = hook.ask(asked);
            revision.response = answer.response();
            Map<ChildId, ObjectNode> desired = new LinkedHashMap<>();
            for (ObjectNode child : answer.desired()) {
                desired.put(new ChildId(child.path("kind").asText() + "." + child.path("apiVersion").asText(),
                        child.path("metadata").path("name").asText()), child);
            }
            revision.desired = desired;
        }

        // Claims: only rolling kinds that the latest revision still wants, each held once (the latest first).
        latest.children.removeIf(id -> !isRolling(id) || !latest.desired.containsKey(id));
        Set<ChildId> taken = new java.util.HashSet<>(latest.children);
        for (Revision revision : all) {
            if (revision != latest) {
                revision.children.removeIf(id -> !isRolling(id) || !latest.desired.containsKey(id) || !taken.add(id));
            }
        }
        // Free moves: unclaimed children, and those that already are what the latest revision wants.
        for (Map.Entry<ChildId, ObjectNode> wanted : latest.desired.entrySet()) {
            ChildId id = wanted.getKey();
            if (!isRolling(id) || latest.children.contains(id)) {
                continue;
            }
            Revision holder = holder(all, id);
            GenericKubernetesResource existing = observedChild(observed, id, cached);
            if (holder == null || (existing != null && LastApplied.forUpdate(tree(existing), wanted.getValue()) == null)) {
                if (holder != null) {
                    holder.children.remove(id);
                }
                latest.children.add(id);
            }
        }
        // One real move per sync, in the order the hook returned the children.
        ObjectNode condition = JsonNodeFactory.instance.objectNode().put("type", "Updated");
        ChildId next = latest.desired.keySet().stream().filter(id -> isRolling(id) && !latest.children.contains(id))
                .findFirst().orElse(null);
        if (next == null) {
            condition.put("status", "True").put("reason", "OnLatestRevision")
                    .put("message", "latest ControllerRevision: " + latest.name);
        } else {
            String waiting = waitingFor(latest, observed, cached);
            if (waiting != null) {
                condition.put("status", "False").put("reason", "RolloutWaiting").put("message", waiting);
            } else {
                holder(all, next).children.remove(next);
                latest.children.add(next);
                condition.put("status", "False").put("reason", "RolloutProgressing")
                        .put("message", "updating " + kindName(next.kind()) + " " + next.name());
            }
        }
        persist(cached, all, latest, revisionLabels);

        List<ObjectNode> desired = new ArrayList<>();
        for (Map.Entry<ChildId, ObjectNode> wanted : latest.desired.entrySet()) {
            Revision holder = holder(all, wanted.getKey());
            ObjectNode own = holder == null || holder == latest ? null : holder.desired.get(wanted.getKey());
            desired.add(own != null ? own : wanted.getValue());
        }
        ObjectNode status = latest.response.status() == null ? JsonNodeFactory.instance.objectNode()
                : latest.response.status().deepCopy();
        ArrayNode conditions = JsonNodeFactory.instance.arrayNode();
        status.path("conditions").forEach(c -> {
            if (!"Updated".equals(c.path("type").asText())) {
                conditions.add(c);
            }
        });
        conditions.add(condition);
        status.set("conditions", conditions);
        double resync = all.stream().mapToDouble(r -> r.response.resyncAfterSeconds()).filter(d -> d > 0).min().orElse(0);
        boolean finalized = all.stream().allMatch(r -> r.response.finalized());
        return new Plan(desired, status, resync, finalized);
    }

    /** Why the next child cannot move yet, or null when every child on the latest revision is ready. */
    private String waitingFor(Revision latest, Map<String, Map<ObjectKey, GenericKubernetesResource>> observed,
            GenericKubernetesResource cached) {
        for (ChildId id : latest.children) {
            GenericKubernetesResource child = observedChild(observed, id, cached);
            String what = kindName(id.kind()) + " " + id.name();
            if (child == null) {
                return what + " is not created yet";
            }
            ObjectNode tree = tree(child);
            if (LastApplied.forUpdate(tree, latest.desired.get(id)) != null) {
                return what + " is not updated yet";
            }
            if (rules.get(id.kind()).method() == UpdateMethod.RollingInPlace) {
                long observedGeneration = tree.path("status").path("observedGeneration").asLong(0);
                if (observedGeneration > 0 && observedGeneration < tree.path("metadata").path("generation").asLong(0)) {
                    return what + " has not observed its latest generation yet";
                }
            }
            for (StatusCondition check : statusChecks.getOrDefault(id.kind(), List.of())) {
                JsonNode found = null;
                for (JsonNode condition : tree.path("status").path("conditions")) {
                    if (check.type().equals(condition.path("type").asText())) {
                        found = condition;
                    }
                }
                if (found == null || (check.status() != null && !check.status().equals(found.path("status").asText()))
                        || (check.reason() != null && !check.reason().equals(found.path("reason").asText()))) {
                    return what + " does not pass the status check " + check.type()
                            + (check.status() == null ? "" : "=" + check.status());
                }
            }
        }
        return null;
    }

    /** Deletes revisions left without children, writes the changed ones, creates the latest when new. */
    private void persist(GenericKubernetesResource cached, List<Revision> all, Revision latest,
            Map<String, String> labels) {
        var objects = client.genericKubernetesResources(revisionKind.context()).inNamespace(cached.getMetadata()
                .getNamespace());
        for (Revision revision : all) {
            if (revision != latest && revision.children.isEmpty()) {
                if (revision.object != null) {
                    Deletions.deleteWithUid(client, RawRequests.path(revisionKind.group(), revisionKind.version(),
                            revisionKind.plural(), cached.getMetadata().getNamespace(), revision.name),
                            revision.object.getMetadata().getUid(), null, null);
                }
                continue;
            }
            if (revision.object != null && revision.children.equals(revision.claimedAtStart)) {
                continue;
            }
            GenericKubernetesResource object = revision.object != null ? serialization.clone(revision.object)
                    : newRevision(cached, revision, labels);
            object.setAdditionalProperty("children", childrenField(revision.children));
            try {
                if (revision.object == null) {
                    objects.resource(object).create();
                } else {
                    objects.resource(object).update();
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // A conflict: the next sync works from what is there now.
                throw new IllegalStateException("ControllerRevision " + revision.name + " changed meanwhile; trying "
                        + "again", e);
            }
        }
    }

    private GenericKubernetesResource newRevision(GenericKubernetesResource cached, Revision revision,
            Map<String, String> labels) {
        GenericKubernetesResource object = new GenericKubernetesResource();
        object.setApiVersion(revisionKind.apiVersion());
        object.setKind(revisionKind.kind());
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put(API_GROUP_LABEL, parent.group());
        all.put(RESOURCE_LABEL, parent.plural());
        object.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(revision.name)
                .withNamespace(cached.getMetadata().getNamespace()).withLabels(all)
                .withOwnerReferences(ownerReference(cached)).build());
        object.setAdditionalProperty("parentPatch", serialization.convertValue(revision.patch, Object.class));
        return object;
    }

    /** {@code [{apiGroup, kind, names}]}, as a ControllerRevision lists its children. */
    private List<Map<String, Object>> childrenField(Set<ChildId> children) {
        Map<String, List<String>> byKind = new LinkedHashMap<>();
        children.forEach(id -> byKind.computeIfAbsent(id.kind(), k -> new ArrayList<>()).add(id.name()));
        List<Map<String, Object>> field = new ArrayList<>();
        byKind.forEach((kind, names) -> {
            Resources resources = rules.get(kind).resources();
            // The core group is "" (left out: an empty string does not survive the client's serialization).
            Map<String, Object> entry = new LinkedHashMap<>();
            if (!resources.group().isEmpty()) {
                entry.put("apiGroup", resources.group());
            }
            entry.put("kind", resources.kind());
            entry.put("names", names);
            field.add(entry);
        });
        return field;
    }

    /**
     * This parent's revisions, claimed as its children are: those it controls that still match its selector, and
     * orphans labelled for its kind that match, which it adopts (a parent deleted with orphaning and created again
     * finds its history). Its own that stopped matching are released.
     */
    private List<Revision> claim(GenericKubernetesResource cached, LabelSelector selector) {
        String uid = cached.getMetadata().getUid();
        List<Revision> found = new ArrayList<>();
        for (GenericKubernetesResource object : revisions.getStore().list()) {
            var labels = object.getMetadata().getLabels();
            if (!Objects.equals(object.getMetadata().getNamespace(), cached.getMetadata().getNamespace())
                    || labels == null || !parent.plural().equals(labels.get(RESOURCE_LABEL))
                    || !parent.group().equals(labels.getOrDefault(API_GROUP_LABEL, ""))) {
                continue;
            }
            OwnerReference owner = Hosted.controllerOf(object);
            boolean matches = LabelSelectors.matches(selector, labels);
            if (owner != null) {
                if (!owner.getUid().equals(uid)) {
                    continue;
                }
                if (!matches) {
                    setOwner(object, cached, false);
                    continue;
                }
            } else {
                if (!matches || object.getMetadata().getDeletionTimestamp() != null
                        || cached.getMetadata().getDeletionTimestamp() != null) {
                    continue;
                }
                object = setOwner(object, cached, true);
                if (object == null) {
                    continue;
                }
            }
            ObjectNode tree = tree(object);
            Set<ChildId> children = new LinkedHashSet<>();
            for (JsonNode kind : tree.path("children")) {
                String key = childKey(kind.path("apiGroup").asText(""), kind.path("kind").asText());
                if (key != null) {
                    kind.path("names").forEach(name -> children.add(new ChildId(key, name.asText())));
                }
            }
            found.add(new Revision(object, object.getMetadata().getName(), tree.path("parentPatch"), children));
        }
        return found;
    }

    /** Adopts a revision (the parent becomes its controller) or releases it; null when it is gone or changed. */
    private GenericKubernetesResource setOwner(GenericKubernetesResource revision, GenericKubernetesResource cached,
            boolean adopt) {
        GenericKubernetesResource copy = serialization.clone(revision);
        List<OwnerReference> owners = new ArrayList<>(copy.getMetadata().getOwnerReferences() == null ? List.of()
                : copy.getMetadata().getOwnerReferences());
        owners.removeIf(o -> o.getUid().equals(cached.getMetadata().getUid()));
        if (adopt) {
            owners.add(ownerReference(cached));
        }
        copy.getMetadata().setOwnerReferences(owners);
        log.info("{} ControllerRevision {}/{}", adopt ? "Adopting" : "Releasing (its labels no longer match the "
                + "parent's selector)", revision.getMetadata().getNamespace(), revision.getMetadata().getName());
        try {
            return client.genericKubernetesResources(revisionKind.context()).inNamespace(revision.getMetadata()
                    .getNamespace()).resource(copy).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || e.getCode() == 409) {
                return null;
            }
            throw e;
        }
    }

    private OwnerReference ownerReference(GenericKubernetesResource cached) {
        return new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion(parent.apiVersion())
                .withKind(parent.kind()).withName(cached.getMetadata().getName()).withUid(cached.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    private String childKey(String group, String kind) {
        for (Map.Entry<String, ChildRule> rule : rules.entrySet()) {
            Resources resources = rule.getValue().resources();
            if (resources.group().equals(group) && resources.kind().equals(kind)) {
                return rule.getKey();
            }
        }
        return null;
    }

    private boolean isRolling(ChildId id) {
        ChildRule rule = rules.get(id.kind());
        return rule != null && rolling(rule.method());
    }

    private static Revision holder(List<Revision> all, ChildId id) {
        return all.stream().filter(r -> r.children.contains(id)).findFirst().orElse(null);
    }

    private static GenericKubernetesResource observedChild(Map<String, Map<ObjectKey, GenericKubernetesResource>> observed,
            ChildId id, GenericKubernetesResource cached) {
        Map<ObjectKey, GenericKubernetesResource> kind = observed.getOrDefault(id.kind(), Map.of());
        return kind.get(new ObjectKey(cached.getMetadata().getNamespace(), id.name()));
    }

    private static String kindName(String mapKey) {
        int dot = mapKey.indexOf('.');
        return dot < 0 ? mapKey : mapKey.substring(0, dot);
    }

    /** The parent's rolled-out fields: {@code {path: value}} for each dot-separated path. */
    private JsonNode patchOf(ObjectNode parentTree) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        for (String path : fieldPaths) {
            JsonNode value = parentTree;
            for (String step : path.split("\\.")) {
                value = value.path(step);
            }
            if (!value.isMissingNode()) {
                ObjectNode at = patch;
                String[] steps = path.split("\\.");
                for (int i = 0; i < steps.length - 1; i++) {
                    at = at.with(steps[i]);
                }
                at.set(steps[steps.length - 1], value.deepCopy());
            }
        }
        return patch;
    }

    /** The parent as it was under an older revision: its rolled-out fields replaced by the revision's. */
    private ObjectNode withPatch(ObjectNode parentTree, JsonNode patch) {
        ObjectNode hypothetical = parentTree.deepCopy();
        for (String path : fieldPaths) {
            String[] steps = path.split("\\.");
            ObjectNode at = hypothetical;
            JsonNode from = patch;
            for (int i = 0; i < steps.length - 1; i++) {
                at = at.with(steps[i]);
                from = from.path(steps[i]);
            }
            JsonNode value = from.get(steps[steps.length - 1]);
            if (value == null) {
                at.remove(steps[steps.length - 1]);
            } else {
                at.set(steps[steps.length - 1], value.deepCopy());
            }
        }
        return hypothetical;
    }

    /** {@code <resource>.<group or "core">-<sha1 of the parent's UID and the patch>}, as Metacontroller names them. */
    private String revisionName(String parentUid, JsonNode patch) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(parentUid.getBytes(StandardCharsets.UTF_8));
            sha1.update(LastApplied.compact(patch).getBytes(StandardCharsets.UTF_8));
            String prefix = parent.plural() + "." + (parent.group().isEmpty() ? "core" : parent.group());
            if (prefix.length() > 212) {
                prefix = prefix.substring(0, 212);
            }
            return prefix + "-" + HexFormat.of().formatHex(sha1.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ObjectNode tree(GenericKubernetesResource object) {
        return serialization.convertValue(object, ObjectNode.class);
    }
}
