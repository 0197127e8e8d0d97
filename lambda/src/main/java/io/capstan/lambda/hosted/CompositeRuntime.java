package io.capstan.lambda.hosted;

import io.capstan.lambda.hosted.ChildWriter.ChildRule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaReason;
import io.capstan.lambda.api.CompositeControllerSpec;
import io.capstan.lambda.api.CompositeControllerSpec.ChildResource;
import io.capstan.lambda.api.CompositeControllerSpec.Hook;
import io.capstan.lambda.api.Resources;
import io.capstan.lambda.hook.HookClient;
import io.capstan.lambda.hook.HookSecurity;
import io.capstan.lambda.hosted.ChildWriter.ChildRule;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.LabelSelectors;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.events.EventRecorder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CompositeController at work, as Metacontroller's pkg/controller/composite runs it: the parents of its
 * {@code parentResource} in a work queue of their own, each sync claiming the parent's children, calling the sync
 * hook with them, then bringing the children to what the hook returned (deletes first) and writing the hook's status
 * with {@code observedGeneration}. Informers for the parent and child kinds are shared with every other controller.
 */
final class CompositeRuntime implements Hosted.Runtime {

    private static final Logger log = LoggerFactory.getLogger(CompositeRuntime.class);
    /** The label a generated selector uses (Metacontroller's, literally). */
    static final String CONTROLLER_UID = "controller-uid";
    private static final Duration CACHE_WAIT = Duration.ofMillis(200);

    private final String name;
    private final ObjectNode controllerObject;
    private final CompositeControllerSpec spec;
    private final Resources parent;
    private final Map<String, ChildRule> children = new LinkedHashMap<>();
    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final Manager manager;
    private final EventRecorder events;
    private final HookClient hooks;
    private final ChildWriter writer;
    private final Controller<ObjectKey> controller;
    private final SharedIndexInformer<GenericKubernetesResource> parents;
    /** The customize hook's related objects, or null without one. */
    private final Related<ObjectKey> related;
    /** Rolling updates, or null when no child kind rolls. */
    private final Rollout rollout;
    private final List<Runnable> onClose = new ArrayList<>();
    /** Each hook's TLS and authorization, read once at start ({@code sync}, {@code finalize}, {@code customize}). */
    private final Map<String, HookSecurity> security = new HashMap<>();
    /** The one parent a dry run syncs, or null for all. */
    private final Hosted.Only only;
    /**
     * The resourceVersion each parent got from this controller's own latest status write: the update event it causes
     * changes nothing the hook has not just answered for, so it starts no sync (a hook call saved per sync).
     */
    private final Map<ObjectKey, String> ownStatusWrites = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Resolves the kinds, checks the parent, and starts the controller.
     *
     * @throws IllegalArgumentException when the spec cannot work (unknown kind, no sync hook, a parent without a
     *     status subresource), with a message for the CompositeController's Event
     */
    CompositeRuntime(String name, ObjectNode controllerObject, CompositeControllerSpec spec, Manager manager,
            EventRecorder events, HookClient hooks, io.capstan.lambda.LambdaConfig config) {
        this(name, controllerObject, spec, manager, events, hooks, config, null);
    }

    /** The same, syncing only {@code only}'s parent and telling it how each sync ended ({@link DryRun}). */
    CompositeRuntime(String name, ObjectNode controllerObject, CompositeControllerSpec spec, Manager manager,
            EventRecorder events, HookClient hooks, io.capstan.lambda.LambdaConfig config, Hosted.Only only) {
        this.only = only;
        this.name = name;
        this.controllerObject = controllerObject;
        this.spec = spec;
        this.manager = manager;
        this.client = manager.client();
        this.serialization = client.getKubernetesSerialization();
        this.events = events;
        this.hooks = hooks;
        this.writer = new ChildWriter(client, config.serverSideApply() ? config.ssaFieldManager() : null);
        if (spec.parentResource() == null || spec.parentResource().apiVersion() == null
                || spec.parentResource().resource() == null) {
            throw new IllegalArgumentException("spec.parentResource needs apiVersion and resource");
        }
        security.putAll(Hosted.hooks(manager.client(), spec.hooks(),
                controllerObject.path("spec").path("endpointConfigs")));
        this.parent = Resources.discover(client, spec.parentResource().apiVersion(), spec.parentResource().resource());
        requireStatusSubresource(parent);
        List<Resources> childKinds = new ArrayList<>();
        for (ChildResource child : spec.children()) {
            childKinds.add(Resources.discover(client, child.apiVersion(), child.resource()));
        }
        this.controller = Controller.<ObjectKey>builder("CompositeController-" + name, this::sync).kind(parent.kind())
                .workers(config.workers()).metrics(manager.metrics().registry()).build();
        this.parents = acquire(parent);
        ParentEvents parentEvents = new ParentEvents();
        parents.addEventHandler(parentEvents);
        onClose.add(() -> parents.removeEventHandler(parentEvents));
        for (int i = 0; i < childKinds.size(); i++) {
            Resources kind = childKinds.get(i);
            SharedIndexInformer<GenericKubernetesResource> cache = acquire(kind);
            children.put(kind.mapKey(), new ChildRule(kind, spec.children().get(i).method(), cache));
            ChildEvents childEvents = new ChildEvents();
            cache.addEventHandler(childEvents);
            onClose.add(() -> cache.removeEventHandler(childEvents));
        }
        if (children.values().stream().anyMatch(rule -> Rollout.rolling(rule.method()))) {
            Resources revisionKind = Resources.discover(client, "metacontroller.k8s.io/v1alpha1", "controllerrevisions");
            Map<String, List<CompositeControllerSpec.StatusCondition>> checks = new HashMap<>();
            for (int i = 0; i < childKinds.size(); i++) {
                var strategy = spec.children().get(i).updateStrategy();
                if (strategy != null && strategy.statusChecks() != null && strategy.statusChecks().conditions() != null) {
                    checks.put(childKinds.get(i).mapKey(), strategy.statusChecks().conditions());
                }
            }
            this.rollout = new Rollout(client, parent, revisionKind, acquire(revisionKind),
                    spec.parentResource().rolledOutFields(), children, checks);
        } else {
            this.rollout = null;
        }
        Hook customize = spec.hooks().customize();
        this.related = customize == null ? null
                : new Related<>(manager, hooks, customize, controllerObject,
                        security.get("customize"), new HookClient.Call("customize", "CompositeController", name),
                        key -> controller.queue().add(key));
        if (related != null) {
            onClose.add(related::close);
        }
        controller.start();
        onClose.add(Hosted.resyncEvery(spec.resyncPeriodSeconds(), "CompositeController-" + name,
                () -> parents.getStore().list().forEach(p -> controller.queue().add(ObjectKey.of(p)))));
    }

    private SharedIndexInformer<GenericKubernetesResource> acquire(Resources kind) {
        return Hosted.acquire(manager, kind, onClose);
    }

    /** Metacontroller requires a CRD parent whose version has the status subresource. */
    private void requireStatusSubresource(Resources kind) {
        var crd = kind.group().isEmpty() ? null : client.apiextensions().v1().customResourceDefinitions()
                .withName(kind.plural() + "." + kind.group()).get();
        boolean hasStatus = crd != null && crd.getSpec().getVersions().stream()
                .anyMatch(v -> v.getName().equals(kind.version()) && v.getSubresources() != null
                        && v.getSubresources().getStatus() != null);
        if (!hasStatus) {
            throw new IllegalArgumentException("CRD [" + kind.apiVersion() + ", Kind=" + kind.kind()
                    + "] does not have subresource 'Status' enabled");
        }
    }

    /** Whether the parent {@code key} names is missing from the API server. */
    boolean parentMissing(ObjectKey key) {
        var all = client.genericKubernetesResources(parent.context());
        return (parent.namespaced() ? all.inNamespace(key.namespace()) : all).withName(key.name()).get() == null;
    }

    /** The parent kind, for messages. */
    String parentKind() {
        return parent.kind();
    }

    @Override
    public void close() {
        controller.close();
        onClose.reversed().forEach(Runnable::run);
    }

    // ----- events --------------------------------------------------------------------------------------------------

    private final class ParentEvents implements ResourceEventHandler<GenericKubernetesResource> {
        @Override
        public void onAdd(GenericKubernetesResource object) {
            controller.queue().add(ObjectKey.of(object));
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObject, GenericKubernetesResource newObject) {
            ObjectKey key = ObjectKey.of(newObject);
            boolean onlyStatus = oldObject != newObject
                    && Objects.equals(oldObject.getMetadata().getGeneration(), newObject.getMetadata().getGeneration())
                    && Objects.equals(oldObject.getMetadata().getLabels(), newObject.getMetadata().getLabels())
                    && Objects.equals(oldObject.getMetadata().getAnnotations(), newObject.getMetadata().getAnnotations())
                    && Objects.equals(oldObject.getMetadata().getFinalizers(), newObject.getMetadata().getFinalizers())
                    && newObject.getMetadata().getDeletionTimestamp() == null;
            if (onlyStatus && (Boolean.TRUE.equals(spec.parentResource().ignoreStatusChanges())
                    || ownStatusWrites.remove(key, newObject.getMetadata().getResourceVersion()))) {
                return;
            }
            controller.queue().add(key);
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean deletedFinalStateUnknown) {
            ownStatusWrites.remove(ObjectKey.of(object));
            controller.queue().add(ObjectKey.of(object));
        }
    }

    /** A child wakes its controlling parent; an orphan every parent whose selector it matches. */
    private final class ChildEvents implements ResourceEventHandler<GenericKubernetesResource> {
        @Override
        public void onAdd(GenericKubernetesResource object) {
            route(object);
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObject, GenericKubernetesResource newObject) {
            if (Objects.equals(oldObject.getMetadata().getResourceVersion(), newObject.getMetadata().getResourceVersion())) {
                return;
            }
            OwnerReference before = Hosted.controllerOf(oldObject);
            OwnerReference after = Hosted.controllerOf(newObject);
            if (before != null && (after == null || !before.getUid().equals(after.getUid()))) {
                route(oldObject);
            }
            route(newObject);
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean deletedFinalStateUnknown) {
            route(object);
        }

        private void route(GenericKubernetesResource child) {
            OwnerReference owner = Hosted.controllerOf(child);
            if (owner != null) {
                if (owner.getKind().equals(parent.kind()) && parent.group().equals(group(owner.getApiVersion()))) {
                    controller.queue().add(new ObjectKey(parent.namespaced() ? child.getMetadata().getNamespace() : null,
                            owner.getName()));
                }
                return;
            }
            for (GenericKubernetesResource candidate : parents.getStore().list()) {
                if (parent.namespaced() && !Objects.equals(candidate.getMetadata().getNamespace(),
                        child.getMetadata().getNamespace())) {
                    continue;
                }
                try {
                    if (LabelSelectors.matches(selectorOf(candidate), child.getMetadata().getLabels())) {
                        controller.queue().add(ObjectKey.of(candidate));
                    }
                } catch (IllegalArgumentException unusable) {
                    // That parent's sync reports its selector.
                }
            }
        }
    }

    private static String group(String apiVersion) {
        int slash = apiVersion == null ? -1 : apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    // ----- sync ------------------------------------------------------------------------------------------------------

    private Result sync(ObjectKey key) throws Exception {
        if (!parents.hasSynced() || children.values().stream().anyMatch(rule -> !rule.cache().hasSynced())) {
            return Result.requeueAfter(CACHE_WAIT);
        }
        GenericKubernetesResource cached = parents.getIndexer().getByKey(key.toString());
        if (cached == null) {
            if (related != null) {
                related.forget(key);
            }
            return Result.done();
        }
        if (only != null && !only.is(parent, key)) {
            return Result.done();
        }
        boolean selected = spec.parentResource().labelSelector() == null
                || LabelSelectors.matches(spec.parentResource().labelSelector(), cached.getMetadata().getLabels());
        // A parent that no longer matches but still carries this controller's finalizer is finalized.
        if (!selected && !hasFinalizer(cached)) {
            if (only != null) {
                only.synced().accept(new IllegalArgumentException(key + " does not match the controller's "
                        + "parentResource.labelSelector: it is not synced"));
            }
            return Result.done();
        }
        try {
            Result result = syncParent(cached, selected);
            if (only != null) {
                only.synced().accept(null);
            }
            return result;
        } catch (HookClient.TooManyRequests busy) {
            return Result.requeueAfter(busy.retryAfter());
        } catch (Exception e) {
            events.record(cached, LambdaReason.SyncError, "Sync error: %s", ApiErrors.describe(e));
            if (only != null) {
                only.synced().accept(e);
            }
            throw e;
        }
    }

    /** One sync, in Metacontroller's order (its pkg/controller/composite/controller.go). */
    private Result syncParent(GenericKubernetesResource cached, boolean selected) throws Exception {
        boolean deleting = cached.getMetadata().getDeletionTimestamp() != null;
        Hook finalizeHook = spec.hooks().finalizeHook();
        boolean hadFinalizer = hasFinalizer(cached);
        if (finalizeHook != null && !deleting && selected) {
            setFinalizer(cached, true);
        } else if (finalizeHook == null && hadFinalizer) {
            setFinalizer(cached, false);
        }
        boolean finalizing = finalizeHook != null && (deleting || !selected);
        LabelSelector selector = selectorOf(cached);
        Map<String, Map<ObjectKey, GenericKubernetesResource>> observed = new LinkedHashMap<>();
        for (Map.Entry<String, ChildRule> rule : children.entrySet()) {
            observed.put(rule.getKey(), claim(cached, selector, rule.getValue(), deleting));
        }
        Hook hook = finalizing ? finalizeHook : spec.hooks().sync();
        ObjectNode relatedObjects = JsonNodeFactory.instance.objectNode();
        if (related != null) {
            var chosen = related.forParent(ObjectKey.of(cached), cached, hook.v2());
            if (chosen.isEmpty()) {
                // A related kind's informer is still listing: look again shortly, quietly.
                return Result.requeueAfter(CACHE_WAIT);
            }
            relatedObjects = chosen.get();
        }
        ObjectNode parentTree = tree(cached);
        ObjectNode finalRelated = relatedObjects;
        List<ObjectNode> desired;
        ObjectNode status;
        double resyncAfter;
        boolean finalized;
        if (rollout != null && (!deleting || finalizing)) {
            Rollout.Plan plan = rollout.sync(cached, parentTree, selector, revisionLabels(cached, parentTree), observed, asked -> {
                SyncResponse answer = call(hook, cached, asked, observed, finalRelated, finalizing);
                return new Rollout.Answer(answer, desiredChildren(cached, selector, answer.children()));
            });
            desired = plan.desired();
            status = plan.status();
            resyncAfter = plan.resyncAfterSeconds();
            finalized = plan.finalized();
        } else {
            SyncResponse response = call(hook, cached, parentTree, observed, relatedObjects, finalizing);
            desired = desiredChildren(cached, selector, response.children());
            status = response.status();
            resyncAfter = response.resyncAfterSeconds();
            finalized = response.finalized();
        }
        if (finalizing && finalized) {
            setFinalizer(cached, false);
        }
        Exception childFailure = null;
        if (!deleting || (finalizing && hadFinalizer && !hasGarbageCollectorFinalizer(cached))) {
            try {
                writer.manage(children, observed, desired, ownerReference(cached));
            } catch (Exception e) {
                childFailure = e;
            }
        }
        writeStatus(cached, status);
        if (childFailure != null) {
            throw childFailure;
        }
        return Hosted.after(resyncAfter);
    }

    /** A new ControllerRevision's labels: the parent's pod-template labels, or its generated selector's. */
    private Map<String, String> revisionLabels(GenericKubernetesResource cached, ObjectNode parentTree) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (spec.selectorGenerated()) {
            labels.put(CONTROLLER_UID, cached.getMetadata().getUid());
        } else {
            parentTree.path("spec").path("template").path("metadata").path("labels").fields()
                    .forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
        }
        return labels;
    }

    private SyncResponse call(Hook hook, GenericKubernetesResource cached, ObjectNode parentTree,
            Map<String, Map<ObjectKey, GenericKubernetesResource>> observed, ObjectNode relatedObjects,
            boolean finalizing) throws Exception {
        boolean v2 = hook.v2();
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.set("controller", controllerObject);
        request.set("parent", parentTree);
        ObjectNode childMaps = request.putObject("children");
        observed.forEach((mapKey, objects) -> {
            ObjectNode map = childMaps.putObject(mapKey);
            objects.forEach((childKey, child) -> map.set(ObjectMaps.key(cached, child, v2), tree(child)));
        });
        request.set("related", relatedObjects);
        request.put("finalizing", finalizing);
        var webhook = hook.webhook();
        String body = hooks.call(webhook, security.get(finalizing ? "finalize" : "sync"), request,
                new HookClient.Call(finalizing ? "finalize" : "sync", "CompositeController", name),
                parent.kind() + "/" + ObjectKey.of(cached));
        boolean strict = webhook.responseUnmarshallMode() == null ? v2 : "strict".equals(webhook.responseUnmarshallMode());
        SyncResponse response = SyncResponse.parse(body, strict);
        HookEvent.record(events, cached, response.events());
        return response;
    }

    // ----- finalizer ----------------------------------------------------------------------------------------------------

    private String finalizer() {
        return "metacontroller.io/compositecontroller-" + name;
    }

    private boolean hasFinalizer(HasMetadata object) {
        List<String> finalizers = object.getMetadata().getFinalizers();
        return finalizers != null && finalizers.contains(finalizer());
    }

    /** The garbage collector's own finalizers: while one is there, the children are the collector's to remove. */
    private static boolean hasGarbageCollectorFinalizer(HasMetadata object) {
        List<String> finalizers = object.getMetadata().getFinalizers();
        return finalizers != null && (finalizers.contains("foregroundDeletion") || finalizers.contains("orphan"));
    }

    private void setFinalizer(GenericKubernetesResource cached, boolean present) {
        Hosted.setFinalizer(resources(parent, cached.getMetadata().getNamespace()), cached, finalizer(), present);
    }

    /** Read from the API server, not the cache: a finalizer added a moment ago may not be cached yet. */
    @Override
    public void releaseFinalizers() {
        var all = client.genericKubernetesResources(parent.context());
        for (GenericKubernetesResource object : (parent.namespaced() ? all.inAnyNamespace() : all).list().getItems()) {
            if (hasFinalizer(object)) {
                setFinalizer(object, false);
            }
        }
    }

    /** The parent's selector: generated from its UID, or its {@code spec.selector}. */
    private LabelSelector selectorOf(GenericKubernetesResource parentObject) {
        if (spec.selectorGenerated()) {
            return new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
                    .addToMatchLabels(CONTROLLER_UID, parentObject.getMetadata().getUid()).build();
        }
        JsonNode selector = tree(parentObject).path("spec").path("selector");
        if (selector.isMissingNode() || selector.isNull()) {
            throw new IllegalArgumentException("the parent has no spec.selector (or set generateSelector on the "
                    + "CompositeController)");
        }
        LabelSelector parsed = serialization.convertValue(selector, LabelSelector.class);
        if (LabelSelectors.isEmpty(parsed)) {
            throw new IllegalArgumentException(".spec.selector must have either matchLabels, matchExpressions, or both");
        }
        return parsed;
    }

    /**
     * The parent's children of one kind, as Metacontroller's ControllerRef rules claim them: its own that still match
     * (those that stopped matching are released), and matching orphans, which it adopts.
     */
    private Map<ObjectKey, GenericKubernetesResource> claim(GenericKubernetesResource parentObject, LabelSelector selector,
            ChildRule rule, boolean deleting) {
        Map<ObjectKey, GenericKubernetesResource> claimed = new LinkedHashMap<>();
        String uid = parentObject.getMetadata().getUid();
        boolean liveParentChecked = false;
        for (GenericKubernetesResource child : rule.cache().getStore().list()) {
            if (parent.namespaced() && !Objects.equals(child.getMetadata().getNamespace(),
                    parentObject.getMetadata().getNamespace())) {
                continue;
            }
            OwnerReference owner = Hosted.controllerOf(child);
            boolean matches = LabelSelectors.matches(selector, child.getMetadata().getLabels());
            if (owner != null) {
                if (!owner.getUid().equals(uid)) {
                    continue;
                }
                if (matches || deleting) {
                    claimed.put(ObjectKey.of(child), child);
                } else {
                    release(rule, child, uid);
                }
                continue;
            }
            if (deleting || !matches || child.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (!liveParentChecked) {
                GenericKubernetesResource live = client.genericKubernetesResources(parent.context())
                        .inNamespace(parentObject.getMetadata().getNamespace()).withName(parentObject.getMetadata().getName())
                        .get();
                if (live == null || !uid.equals(live.getMetadata().getUid()) || live.getMetadata().getDeletionTimestamp() != null) {
                    return claimed;
                }
                liveParentChecked = true;
            }
            claimed.put(ObjectKey.of(child), adopt(rule, child, parentObject));
        }
        return claimed;
    }

    private GenericKubernetesResource adopt(ChildRule rule, GenericKubernetesResource child,
            GenericKubernetesResource parentObject) {
        GenericKubernetesResource copy = serialization.clone(child);
        List<OwnerReference> owners = new ArrayList<>(copy.getMetadata().getOwnerReferences() == null ? List.of()
                : copy.getMetadata().getOwnerReferences());
        owners.removeIf(o -> o.getUid().equals(parentObject.getMetadata().getUid()));
        owners.add(ownerReference(parentObject));
        copy.getMetadata().setOwnerReferences(owners);
        log.info("Adopting {} {}", rule.resources().kind(), ObjectKey.of(child));
        return resources(rule.resources(), child.getMetadata().getNamespace()).resource(copy).update();
    }

    private void release(ChildRule rule, GenericKubernetesResource child, String parentUid) {
        GenericKubernetesResource copy = serialization.clone(child);
        copy.getMetadata().getOwnerReferences().removeIf(o -> o.getUid().equals(parentUid));
        log.info("Releasing {} {}: its labels no longer match the parent's selector", rule.resources().kind(),
                ObjectKey.of(child));
        try {
            resources(rule.resources(), child.getMetadata().getNamespace()).resource(copy).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw e;
            }
        }
    }

    private OwnerReference ownerReference(GenericKubernetesResource parentObject) {
        return new OwnerReferenceBuilder().withApiVersion(parent.apiVersion()).withKind(parent.kind())
                .withName(parentObject.getMetadata().getName()).withUid(parentObject.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    /**
     * The hook's children, checked before anything is touched: each of a declared kind, in the parent's namespace
     * when none is given, labelled {@code controller-uid} with a generated selector, and matching the selector.
     */
    private List<ObjectNode> desiredChildren(GenericKubernetesResource parentObject, LabelSelector selector,
            List<ObjectNode> returned) {
        Map<String, ObjectNode> byIdentity = new LinkedHashMap<>();
        for (ObjectNode child : returned) {
            String apiVersion = child.path("apiVersion").asText("");
            String kind = child.path("kind").asText("");
            if (apiVersion.isEmpty() || kind.isEmpty()) {
                throw new IllegalArgumentException("a desired child has no apiVersion or kind: " + abbreviate(child));
            }
            String mapKey = kind + "." + apiVersion;
            ChildRule rule = children.get(mapKey);
            if (rule == null) {
                throw new IllegalArgumentException("desired child " + kind + " " + child.path("metadata").path("name").asText()
                        + " is of a kind the CompositeController does not declare in spec.childResources (" + mapKey + ")");
            }
            ObjectNode metadata = child.with("metadata");
            if (metadata.path("name").asText("").isEmpty()) {
                throw new IllegalArgumentException("a desired " + kind + " has no metadata.name");
            }
            if (rule.resources().namespaced() && metadata.path("namespace").asText("").isEmpty()) {
                String namespace = parentObject.getMetadata().getNamespace();
                if (namespace != null) {
                    metadata.put("namespace", namespace);
                }
            }
            if (spec.selectorGenerated() && !metadata.path("labels").has(CONTROLLER_UID)) {
                metadata.with("labels").put(CONTROLLER_UID, parentObject.getMetadata().getUid());
            }
            Map<String, String> labels = new HashMap<>();
            metadata.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            if (!LabelSelectors.matches(selector, labels)) {
                throw new IllegalArgumentException("labels on desired child " + kind + " "
                        + metadata.path("namespace").asText("") + "/" + metadata.path("name").asText()
                        + " don't match parent selector");
            }
            byIdentity.put(mapKey + "|" + metadata.path("namespace").asText("") + "|" + metadata.path("name").asText(),
                    child);
        }
        return new ArrayList<>(byIdentity.values());
    }

    /**
     * The hook's status (or {@code {}}) with {@code observedGeneration}, replacing the parent's, written only when it
     * differs and only onto the same parent instance: onto the cached one (its resourceVersion guards it), and after a
     * conflict once onto the live one, read then.
     */
    private void writeStatus(GenericKubernetesResource cached, ObjectNode hookStatus) {
        ObjectNode status = hookStatus == null ? JsonNodeFactory.instance.objectNode() : hookStatus.deepCopy();
        Long generation = cached.getMetadata().getGeneration();
        if (generation != null) {
            status.put("observedGeneration", generation);
        }
        var parentResources = resources(parent, cached.getMetadata().getNamespace());
        GenericKubernetesResource target = cached;
        for (int attempt = 0; attempt < 2; attempt++) {
            if (Hosted.sameJson(status, tree(target).path("status"))) {
                return;
            }
            GenericKubernetesResource written = serialization.clone(target);
            written.setAdditionalProperty("status", serialization.convertValue(status, Map.class));
            try {
                GenericKubernetesResource result = parentResources.resource(written).updateStatus();
                ownStatusWrites.put(ObjectKey.of(result), result.getMetadata().getResourceVersion());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return;
                }
                if (e.getCode() != 409) {
                    throw e;
                }
            }
            target = parentResources.withName(cached.getMetadata().getName()).get();
            if (target == null || !Objects.equals(target.getMetadata().getUid(), cached.getMetadata().getUid())) {
                return;
            }
        }
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> resources(Resources kind, String namespace) {
        return writer.resources(kind, namespace);
    }

    private ObjectNode tree(GenericKubernetesResource object) {
        return serialization.convertValue(object, ObjectNode.class);
    }

    private static String abbreviate(JsonNode node) {
        String text = node.toString();
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
