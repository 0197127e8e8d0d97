package io.capstan.lambda.composite;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaReason;
import io.capstan.lambda.api.CompositeControllerSpec;
import io.capstan.lambda.hook.HookClient;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.controller.Watches;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts one {@link CompositeRuntime} per CompositeController object, as Metacontroller's server does: started when
 * the object appears, restarted when its spec changes, stopped when it is deleted, each change told in an Event on
 * the CompositeController. A spec that cannot work yet because a kind is not served (a CRD installed after its
 * controller) is tried again with backoff; other bad specs wait for the next change.
 */
public final class CompositeControllers implements LeaderWork {

    private static final Logger log = LoggerFactory.getLogger(CompositeControllers.class);
    public static final ResourceDefinitionContext KIND = new ResourceDefinitionContext.Builder()
            .withGroup("metacontroller.k8s.io").withVersion("v1alpha1").withKind("CompositeController")
            .withPlural("compositecontrollers").withNamespaced(false).build();
    /** Workers per hosted controller: Metacontroller's {@code --workers} default. */
    static final int WORKERS = 5;

    private final Manager manager;
    private final EventRecorder events;
    private final HookClient hooks = new HookClient();
    private final SharedIndexInformer<GenericKubernetesResource> controllers;
    private final Controller<ObjectKey> controller;
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    /** A hosted controller and the spec it was started with. */
    private record Running(ObjectNode spec, CompositeRuntime runtime) {
    }

    public CompositeControllers(Manager manager, Selectors targets) {
        this.manager = manager;
        this.events = manager.eventRecorder("metacontroller");
        this.controllers = manager.informers().genericInformer(KIND, targets);
        this.controller = Controller.<ObjectKey>builder("compositecontroller", this::reconcile).kind("CompositeController")
                .metrics(manager.metrics().registry()).build();
        Watches.of(controller).forPrimary(controllers, Watches::specOrDeletionChanged);
    }

    private Result reconcile(ObjectKey key) {
        GenericKubernetesResource object = controllers.getIndexer().getByKey(key.toString());
        Running current = running.get(key.name());
        if (object == null || object.getMetadata().getDeletionTimestamp() != null) {
            if (current != null) {
                stop(key.name(), current, object);
            }
            return Result.done();
        }
        ObjectNode tree = manager.client().getKubernetesSerialization().convertValue(object, ObjectNode.class);
        ObjectNode spec = (ObjectNode) tree.path("spec");
        if (current != null && current.spec().equals(spec)) {
            return Result.done();
        }
        if (current != null) {
            stop(key.name(), current, object);
        }
        events.record(object, LambdaReason.Starting, "Starting controller: %s", key.name());
        try {
            CompositeRuntime runtime = new CompositeRuntime(key.name(), tree, CompositeControllerSpec.of(spec), manager,
                    events, hooks, WORKERS);
            running.put(key.name(), new Running(spec.deepCopy(), runtime));
            events.record(object, LambdaReason.Started, "Started controller: %s", key.name());
            return Result.done();
        } catch (IllegalArgumentException e) {
            String message = ApiErrors.describe(e);
            events.record(object, LambdaReason.CreateError, "Cannot create new controller: %s", message);
            log.warn("CompositeController {} cannot start: {}", key.name(), message);
            // A kind that is not served yet may be soon (its CRD applied after the controller): look again.
            return message.startsWith("discovery:") ? Result.requeue() : Result.done();
        }
    }

    private void stop(String name, Running current, GenericKubernetesResource object) {
        if (object != null) {
            events.record(object, LambdaReason.Stopping, "Stopping controller: %s", name);
        }
        current.runtime().close();
        running.remove(name);
        if (object != null) {
            events.record(object, LambdaReason.Stopped, "Stopped controller: %s", name);
        }
    }

    @Override
    public void start() {
        controller.start();
    }

    /** Leadership lost or the operator stopping: every hosted controller stops too, and starts again with the next. */
    @Override
    public void stop() {
        controller.stop();
        running.values().forEach(r -> r.runtime().close());
        running.clear();
        controllers.getStore().list().forEach(cc -> controller.queue().add(ObjectKey.of(cc)));
    }
}
