package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaReason;
import io.capstan.lambda.api.CompositeControllerSpec.ChildResource;
import io.capstan.lambda.api.CompositeControllerSpec.Hook;
import io.capstan.lambda.api.DecoratorControllerSpec;
import io.capstan.lambda.api.DecoratorControllerSpec.Target;
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
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One DecoratorController at work, as Metacontroller's pkg/controller/decorator runs it: every object of its target
 * kinds that matches a rule's label and annotation selectors is synced through the hook, which may set the object's
 * labels and annotations ({@code null} removes one), replace its status, and ask for attachments. Attachments are the
 * objects this decorator created for it: controlled by it and annotated {@value #DECORATOR_ANNOTATION} with this
 * decorator's name. The object is written before its attachments; a decorator never changes an object's spec.
 */
final class DecoratorRuntime implements Hosted.Runtime {

    static final String DECORATOR_ANNOTATION = "metacontroller.k8s.io/decorator-controller";
    private static final Duration CACHE_WAIT = Duration.ofMillis(200);

    private final String name;
    private final ObjectNode controllerObject;
    private final DecoratorControllerSpec spec;
    private final Manager manager;
    private final KubernetesSerialization serialization;
    private final EventRecorder events;
    private final HookClient hooks;
    private final ChildWriter writer;
    private final Map<String, TargetRule> targets = new LinkedHashMap<>();
    private final Map<String, ChildRule> attachments = new LinkedHashMap<>();
    private final Controller<TargetKey> controller;
    /** The customize hook's related objects, or null without one. */
    private final Related<TargetKey> related;
    private final List<Runnable> onClose = new ArrayList<>();
    /** Each hook's TLS and authorization, read once at start ({@code sync}, {@code finalize}, {@code customize}). */
    private final Map<String, HookSecurity> security = new HashMap<>();
    /** The one object a dry run syncs, or null for all. */
    private final Hosted.Only only;

    /** An object of one of the target kinds: its kind's map key ({@code Kind.apiVersion}) and its key. */
    record TargetKey(String kind, ObjectKey object) {
        @Override
        public String toString() {
            return kind + ":" + object;
        }
    }

    private record TargetRule(Resources resources, Target rule, SharedIndexInformer<GenericKubernetesResource> cache) {
        boolean selects(HasMetadata object) {
            boolean labels = rule.labelSelector() == null
                    || LabelSelectors.matches(rule.labelSelector(), object.getMetadata().getLabels());
            boolean annotations = rule.annotationSelector() == null
                    || LabelSelectors.matches(rule.annotationSelector().asLabelSelector(), object.getMetadata().getAnnotations());
            return labels && annotations;
        }
    }

    DecoratorRuntime(String name, ObjectNode controllerObject, DecoratorControllerSpec spec, Manager manager,
            EventRecorder events, HookClient hooks, io.capstan.lambda.LambdaConfig config) {
        this(name, controllerObject, spec, manager, events, hooks, config, null);
    }

    /** The same, syncing only {@code only}'s object and telling it how each sync ended ({@link DryRun}). */
    DecoratorRuntime(String name, ObjectNode controllerObject, DecoratorControllerSpec spec, Manager manager,
            EventRecorder events, HookClient hooks, io.capstan.lambda.LambdaConfig config, Hosted.Only only) {
        this.only = only;
        this.name = name;
        this.controllerObject = controllerObject;
        this.spec = spec;
        this.manager = manager;
        this.serialization = manager.client().getKubernetesSerialization();
        this.events = events;
        this.hooks = hooks;
        this.writer = new ChildWriter(manager.client(), config.serverSideApply() ? config.ssaFieldManager() : null);
        if (spec.resources() == null || spec.resources().isEmpty()) {
            throw new IllegalArgumentException("spec.resources names no kind to decorate");
        }
        security.putAll(Hosted.hooks(manager.client(), spec.hooks(),
                controllerObject.path("spec").path("endpointConfigs")));
        List<Resources> targetKinds = new ArrayList<>();
        for (Target target : spec.resources()) {
            targetKinds.add(Resources.discover(manager.client(), target.apiVersion(), target.resource()));
        }
        List<Resources> attachmentKinds = new ArrayList<>();
        for (ChildResource attachment : spec.attachmentKinds()) {
            attachmentKinds.add(Resources.discover(manager.client(), attachment.apiVersion(), attachment.resource()));
        }
        this.controller = Controller.<TargetKey>builder("DecoratorController-" + name, this::sync).kind("Decorated")
                .workers(config.workers()).metrics(manager.metrics().registry()).build();
        for (int i = 0; i < targetKinds.size(); i++) {
            Resources kind = targetKinds.get(i);
            SharedIndexInformer<GenericKubernetesResource> cache = acquire(kind);
            // Rules for the same kind replace each other, as in Metacontroller.
            targets.put(kind.mapKey(), new TargetRule(kind, spec.resources().get(i), cache));
            TargetEvents handler = new TargetEvents(kind.mapKey(), Boolean.TRUE.equals(spec.resources().get(i)
                    .ignoreStatusChanges()));
            cache.addEventHandler(handler);
            onClose.add(() -> cache.removeEventHandler(handler));
        }
        for (int i = 0; i < attachmentKinds.size(); i++) {
            Resources kind = attachmentKinds.get(i);
            SharedIndexInformer<GenericKubernetesResource> cache = acquire(kind);
            attachments.put(kind.mapKey(), new ChildRule(kind, spec.attachmentKinds().get(i).method(), cache));
            var handler = Hosted.onEveryChange(this::routeAttachment);
            cache.addEventHandler(handler);
            onClose.add(() -> cache.removeEventHandler(handler));
        }
        Hook customize = spec.hooks().customize();
        this.related = customize == null ? null
                : new Related<>(manager, hooks, customize, controllerObject,
                        security.get("customize"), new HookClient.Call("customize", "DecoratorController", name),
                        key -> controller.queue().add(key));
        if (related != null) {
            onClose.add(related::close);
        }
        controller.start();
        onClose.add(Hosted.resyncEvery(spec.resyncPeriodSeconds(), "DecoratorController-" + name,
                () -> targets.forEach((kind, rule) -> rule.cache().getStore().list()
                        .forEach(object -> controller.queue().add(new TargetKey(kind, ObjectKey.of(object)))))));
    }

    private SharedIndexInformer<GenericKubernetesResource> acquire(Resources kind) {
        return Hosted.acquire(manager, kind, onClose);
    }

    /** Why {@code only} names no object this decorator could sync, or null when it names one. */
    String missing(Hosted.Only wanted) {
        List<TargetRule> kinds = targets.values().stream().filter(t -> wanted.ofKind(t.resources())).toList();
        if (kinds.size() != 1) {
            return (kinds.isEmpty() ? "the decorator has no resource rule of kind " + wanted.kind()
                    : "the decorator decorates several kinds") + ": name the object as KIND/NAME, KIND one of "
                    + targets.values().stream().map(t -> t.resources().kind()).toList();
        }
        Resources kind = kinds.getFirst().resources();
        var all = manager.client().genericKubernetesResources(kind.context());
        boolean gone = (kind.namespaced() ? all.inNamespace(wanted.key().namespace()) : all)
                .withName(wanted.key().name()).get() == null;
        return gone ? "there is no " + kind.kind() + " " + (kind.namespaced() ? wanted.key() : wanted.key().name()) : null;
    }

    @Override
    public void close() {
        controller.close();
        onClose.reversed().forEach(Runnable::run);
    }

    // ----- events --------------------------------------------------------------------------------------------------

    private final class TargetEvents implements ResourceEventHandler<GenericKubernetesResource> {
        private final String kind;
        private final boolean ignoreStatusChanges;

        TargetEvents(String kind, boolean ignoreStatusChanges) {
            this.kind = kind;
            this.ignoreStatusChanges = ignoreStatusChanges;
        }

        @Override
        public void onAdd(GenericKubernetesResource object) {
            controller.queue().add(new TargetKey(kind, ObjectKey.of(object)));
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObject, GenericKubernetesResource newObject) {
            if (ignoreStatusChanges && oldObject != newObject
                    && Objects.equals(oldObject.getMetadata().getGeneration(), newObject.getMetadata().getGeneration())
                    && Objects.equals(oldObject.getMetadata().getLabels(), newObject.getMetadata().getLabels())
                    && Objects.equals(oldObject.getMetadata().getAnnotations(), newObject.getMetadata().getAnnotations())
                    && newObject.getMetadata().getDeletionTimestamp() == null) {
                return;
            }
            controller.queue().add(new TargetKey(kind, ObjectKey.of(newObject)));
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean deletedFinalStateUnknown) {
            controller.queue().add(new TargetKey(kind, ObjectKey.of(object)));
        }
    }

    /** An attachment wakes the decorated object that controls it. */
    private void routeAttachment(GenericKubernetesResource attachment) {
        var annotations = attachment.getMetadata().getAnnotations();
        OwnerReference owner = Hosted.controllerOf(attachment);
        if (owner == null || annotations == null || !name.equals(annotations.get(DECORATOR_ANNOTATION))) {
            return;
        }
        String kind = owner.getKind() + "." + owner.getApiVersion();
        TargetRule rule = targets.get(kind);
        if (rule != null) {
            controller.queue().add(new TargetKey(kind, new ObjectKey(rule.resources().namespaced()
                    ? attachment.getMetadata().getNamespace() : null, owner.getName())));
        }
    }

    // ----- sync ------------------------------------------------------------------------------------------------------

    private Result sync(TargetKey key) throws Exception {
        TargetRule rule = targets.get(key.kind());
        if (rule == null || (only != null && !only.is(rule.resources(), key.object()))) {
            return Result.done();
        }
        if (!rule.cache().hasSynced() || attachments.values().stream().anyMatch(a -> !a.cache().hasSynced())) {
            return Result.requeueAfter(CACHE_WAIT);
        }
        GenericKubernetesResource cached = rule.cache().getIndexer().getByKey(key.object().toString());
        if (cached == null) {
            if (related != null) {
                related.forget(key);
            }
            return Result.done();
        }
        boolean selected = rule.selects(cached);
        if (!selected && !hasFinalizer(cached)) {
            if (only != null) {
                only.synced().accept(new IllegalArgumentException(rule.resources().kind() + " " + key.object()
                        + " is not selected by the decorator's label and annotation selectors: it is not synced"));
            }
            return Result.done();
        }
        try {
            Result result = syncTarget(key, rule, cached, selected);
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

    private Result syncTarget(TargetKey key, TargetRule rule, GenericKubernetesResource cached, boolean selected)
            throws Exception {
        boolean deleting = cached.getMetadata().getDeletionTimestamp() != null;
        Hook finalizeHook = spec.hooks().finalizeHook();
        boolean finalizing = finalizeHook != null && (deleting || !selected);
        boolean wantFinalizer = finalizeHook != null && !deleting && selected;
        Map<String, Map<ObjectKey, GenericKubernetesResource>> observed = observedAttachments(rule, cached);
        Hook hook = finalizing ? finalizeHook : spec.hooks().sync();
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.set("controller", controllerObject);
        request.set("object", tree(cached));
        ObjectNode maps = request.putObject("attachments");
        observed.forEach((mapKey, objects) -> {
            ObjectNode map = maps.putObject(mapKey);
            objects.values().forEach(a -> map.set(ObjectMaps.key(cached, a, hook.v2()), tree(a)));
        });
        if (related == null) {
            request.putObject("related");
        } else {
            var chosen = related.forParent(key, cached, hook.v2());
            if (chosen.isEmpty()) {
                // A related kind's informer is still listing: look again shortly, quietly.
                return Result.requeueAfter(CACHE_WAIT);
            }
            request.set("related", chosen.get());
        }
        request.put("finalizing", finalizing);
        String body = hooks.call(hook.webhook(), security.get(finalizing ? "finalize" : "sync"), request,
                new HookClient.Call(finalizing ? "finalize" : "sync", "DecoratorController", name), key.toString());
        String mode = hook.webhook().responseUnmarshallMode();
        DecoratorResponse response = DecoratorResponse.parse(body, mode == null ? hook.v2() : "strict".equals(mode));
        HookEvent.record(events, cached, response.events());

        List<ObjectNode> desired = desiredAttachments(cached, response.attachments());
        boolean removeFinalizer = (finalizing && response.finalized()) || (finalizeHook == null && hasFinalizer(cached));
        if (!writeTarget(rule, cached, response, wantFinalizer, removeFinalizer)) {
            // The object changed or went away meanwhile: its next event syncs it again.
            return Result.done();
        }
        if (!deleting || (finalizing && hasFinalizer(cached))) {
            writer.manage(attachments, observed, desired, ownerReference(rule, cached));
        }
        return Hosted.after(response.resyncAfterSeconds());
    }

    /** Attachments: of a declared kind, controlled by the object, and annotated with this decorator's name. */
    private Map<String, Map<ObjectKey, GenericKubernetesResource>> observedAttachments(TargetRule rule,
            GenericKubernetesResource target) {
        Map<String, Map<ObjectKey, GenericKubernetesResource>> observed = new LinkedHashMap<>();
        for (Map.Entry<String, ChildRule> kind : attachments.entrySet()) {
            Map<ObjectKey, GenericKubernetesResource> found = new LinkedHashMap<>();
            for (GenericKubernetesResource object : kind.getValue().cache().getStore().list()) {
                if (rule.resources().namespaced() && !Objects.equals(object.getMetadata().getNamespace(),
                        target.getMetadata().getNamespace())) {
                    continue;
                }
                OwnerReference owner = Hosted.controllerOf(object);
                var annotations = object.getMetadata().getAnnotations();
                if (owner != null && owner.getUid().equals(target.getMetadata().getUid()) && annotations != null
                        && name.equals(annotations.get(DECORATOR_ANNOTATION))) {
                    found.put(ObjectKey.of(object), object);
                }
            }
            observed.put(kind.getKey(), found);
        }
        return observed;
    }

    /** The hook's attachments: each of a declared kind, in the object's namespace unless it says otherwise, marked. */
    private List<ObjectNode> desiredAttachments(GenericKubernetesResource target, List<ObjectNode> returned) {
        Map<String, ObjectNode> byIdentity = new LinkedHashMap<>();
        for (ObjectNode attachment : returned) {
            String mapKey = attachment.path("kind").asText("") + "." + attachment.path("apiVersion").asText("");
            ChildRule rule = attachments.get(mapKey);
            if (rule == null) {
                throw new IllegalArgumentException("desired attachment " + mapKey + " "
                        + attachment.path("metadata").path("name").asText() + " is of a kind the DecoratorController "
                        + "does not declare in spec.attachments");
            }
            ObjectNode metadata = attachment.with("metadata");
            if (metadata.path("name").asText("").isEmpty()) {
                throw new IllegalArgumentException("a desired attachment " + mapKey + " has no metadata.name");
            }
            if (rule.resources().namespaced() && metadata.path("namespace").asText("").isEmpty()
                    && target.getMetadata().getNamespace() != null) {
                metadata.put("namespace", target.getMetadata().getNamespace());
            }
            metadata.with("annotations").put(DECORATOR_ANNOTATION, name);
            byIdentity.put(mapKey + "|" + metadata.path("namespace").asText("") + "|" + metadata.path("name").asText(),
                    attachment);
        }
        return new ArrayList<>(byIdentity.values());
    }

    /**
     * Writes the object's labels, annotations, status and this decorator's finalizer as the hook answered: the status
     * first (it has its own subresource where the kind has one), then the rest. False when the object was gone or
     * changed meanwhile.
     */
    private boolean writeTarget(TargetRule rule, GenericKubernetesResource cached, DecoratorResponse response,
            boolean addFinalizer, boolean removeFinalizer) {
        GenericKubernetesResource updated = serialization.clone(cached);
        boolean changed = merge(updated.getMetadata().getLabels(), response.labels(), updated.getMetadata()::setLabels);
        changed |= merge(updated.getMetadata().getAnnotations(), response.annotations(),
                updated.getMetadata()::setAnnotations);
        List<String> finalizers = new ArrayList<>(updated.getMetadata().getFinalizers() == null ? List.of()
                : updated.getMetadata().getFinalizers());
        if (addFinalizer && !finalizers.contains(finalizer())) {
            finalizers.add(finalizer());
            changed = true;
        }
        if (removeFinalizer && finalizers.remove(finalizer())) {
            changed = true;
        }
        updated.getMetadata().setFinalizers(finalizers);
        boolean statusChanged = response.status() != null && !Hosted.sameJson(response.status(), tree(cached).path("status"));
        if (!changed && !statusChanged) {
            return true;
        }
        var objects = writer.resources(rule.resources(), cached.getMetadata().getNamespace());
        try {
            if (statusChanged) {
                updated.setAdditionalProperty("status", serialization.convertValue(response.status(), Map.class));
                if (hasStatusSubresource(rule.resources())) {
                    updated = objects.resource(updated).updateStatus();
                    updated.getMetadata().setLabels(labelsOrAnnotations(cached.getMetadata().getLabels(), response.labels()));
                    updated.getMetadata().setAnnotations(labelsOrAnnotations(cached.getMetadata().getAnnotations(),
                            response.annotations()));
                    updated.getMetadata().setFinalizers(finalizers);
                }
            }
            if (changed) {
                objects.resource(updated).update();
            }
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || e.getCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    /** Applies the hook's changes (a null value removes the key); true when something changed. */
    private static boolean merge(Map<String, String> current, Map<String, String> changes,
            java.util.function.Consumer<Map<String, String>> set) {
        Map<String, String> merged = labelsOrAnnotations(current, changes);
        if (Objects.equals(merged, current == null ? Map.of() : current)) {
            return false;
        }
        set.accept(merged);
        return true;
    }

    private static Map<String, String> labelsOrAnnotations(Map<String, String> current, Map<String, String> changes) {
        Map<String, String> merged = new LinkedHashMap<>(current == null ? Map.of() : current);
        if (changes != null) {
            for (Iterator<Map.Entry<String, String>> it = changes.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, String> change = it.next();
                if (change.getValue() == null) {
                    merged.remove(change.getKey());
                } else {
                    merged.put(change.getKey(), change.getValue());
                }
            }
        }
        return merged;
    }

    private final Map<String, Boolean> statusSubresources = new HashMap<>();

    /** Whether the kind's status has its own subresource: a CRD that declares one, or a built-in kind with status. */
    private synchronized boolean hasStatusSubresource(Resources kind) {
        return statusSubresources.computeIfAbsent(kind.mapKey(), k -> {
            try {
                var list = manager.client().getApiResources(kind.apiVersion());
                return list != null && list.getResources().stream().anyMatch(r -> r.getName().equals(kind.plural() + "/status"));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    private String finalizer() {
        return "metacontroller.io/decoratorcontroller-" + name;
    }

    /** Read from the API server, not the cache: a finalizer added a moment ago may not be cached yet. */
    @Override
    public void releaseFinalizers() {
        for (TargetRule rule : targets.values()) {
            var all = manager.client().genericKubernetesResources(rule.resources().context());
            for (GenericKubernetesResource object : (rule.resources().namespaced() ? all.inAnyNamespace() : all).list()
                    .getItems()) {
                if (hasFinalizer(object)) {
                    Hosted.setFinalizer(writer.resources(rule.resources(), object.getMetadata().getNamespace()), object,
                            finalizer(), false);
                }
            }
        }
    }

    private boolean hasFinalizer(HasMetadata object) {
        List<String> finalizers = object.getMetadata().getFinalizers();
        return finalizers != null && finalizers.contains(finalizer());
    }

    private static OwnerReference ownerReference(TargetRule rule, GenericKubernetesResource target) {
        return new OwnerReferenceBuilder().withApiVersion(rule.resources().apiVersion()).withKind(rule.resources().kind())
                .withName(target.getMetadata().getName()).withUid(target.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
    }

    private ObjectNode tree(GenericKubernetesResource object) {
        return serialization.convertValue(object, ObjectNode.class);
    }

}
