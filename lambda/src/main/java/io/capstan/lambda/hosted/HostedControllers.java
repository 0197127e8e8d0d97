package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaReason;
import io.capstan.lambda.api.CompositeControllerSpec;
import io.capstan.lambda.api.DecoratorControllerSpec;
import io.capstan.lambda.hook.HookClient;
import io.capstan.lambda.hook.ServiceRoutes;
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
 * Hosts one controller per CompositeController (or DecoratorController) object, as Metacontroller's server does:
 * started when the object appears, restarted when its spec changes, stopped when it is deleted, each change told in
 * an Event on the object. A spec that cannot work yet because a kind is not served (a CRD installed after its
 * controller) is tried again with backoff; other bad specs wait for the next change.
 */
public final class HostedControllers implements LeaderWork {

    private static final Logger log = LoggerFactory.getLogger(HostedControllers.class);
    public static final ResourceDefinitionContext COMPOSITE = kind("CompositeController", "compositecontrollers");
    public static final ResourceDefinitionContext DECORATOR = kind("DecoratorController", "decoratorcontrollers");

    private final ResourceDefinitionContext kind;
    private final Manager manager;
    private final EventRecorder events;
    private final HookClient hooks;
    private final SharedIndexInformer<GenericKubernetesResource> controllers;
    private final Controller<ObjectKey> controller;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final io.capstan.lambda.LambdaConfig config;

    /** A hosted controller and the spec it was started with. */
    private record Running(ObjectNode spec, Hosted.Runtime runtime) {
    }

    private static ResourceDefinitionContext kind(String kind, String plural) {
        return new ResourceDefinitionContext.Builder().withGroup("metacontroller.k8s.io").withVersion("v1alpha1")
                .withKind(kind).withPlural(plural).withNamespaced(false).build();
    }

    /**
     * @param kind {@link #COMPOSITE} or {@link #DECORATOR}
     * @param targets which of those objects this operator hosts ({@code --target-label-selector})
     * @param config workers per hosted controller and how children are written
     */
    public HostedControllers(ResourceDefinitionContext kind, Manager manager, Selectors targets,
            io.capstan.lambda.LambdaConfig config) {
        this.kind = kind;
        this.config = config;
        this.manager = manager;
        this.events = manager.eventRecorder("metacontroller");
        this.hooks = new HookClient(manager.metrics().registry(), new ServiceRoutes(manager.client()), this::routed);
        this.controllers = manager.informers().genericInformer(kind, targets);
        this.controller = Controller.<ObjectKey>builder(kind.getKind().toLowerCase(java.util.Locale.ROOT), this::reconcile)
                .kind(kind.getKind()).metrics(manager.metrics().registry()).build();
        Watches.of(controller).forPrimary(controllers, Watches::specOrDeletionChanged);
    }

    private Result reconcile(ObjectKey key) {
        GenericKubernetesResource object = controllers.getIndexer().getByKey(key.toString());
        Running current = running.get(key.name());
        if (object == null || object.getMetadata().getDeletionTimestamp() != null) {
            if (current != null) {
                // Stopped first, so no sync of its still running workers puts a finalizer back.
                stop(key.name(), current, object);
                try {
                    current.runtime().releaseFinalizers();
                } catch (RuntimeException e) {
                    log.warn("{} {} is deleted, but removing its finalizers failed: {}", kind.getKind(), key.name(),
                            ApiErrors.describe(e));
                }
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
            Hosted.Runtime runtime = kind == DECORATOR
                    ? new DecoratorRuntime(key.name(), tree, DecoratorControllerSpec.of(spec), manager, events, hooks, config)
                    : new CompositeRuntime(key.name(), tree, CompositeControllerSpec.of(spec), manager, events, hooks, config);
            running.put(key.name(), new Running(spec.deepCopy(), runtime));
            events.record(object, LambdaReason.Started, "Started controller: %s", key.name());
            return Result.done();
        } catch (IllegalArgumentException e) {
            String message = ApiErrors.describe(e);
            events.record(object, LambdaReason.CreateError, "Cannot create new controller: %s", message);
            log.warn("{} {} cannot start: {}", kind.getKind(), key.name(), message);
            // A kind that is not served yet may be soon (its CRD applied after the controller): look again.
            return message.startsWith("discovery:") ? Result.requeue() : Result.done();
        }
    }

    /** Says on the controller object where its hook's calls go when they cannot go by the hook's own name. */
    private void routed(HookClient.Call call, java.net.URI url, ServiceRoutes.Route route) {
        GenericKubernetesResource object = controllers.getIndexer().getByKey(call.controllerName());
        String message = "Calling the " + call.hook() + " hook " + route.describe(url) + ": its name does not resolve "
                + "from here";
        log.info("{} {}: {}", kind.getKind(), call.controllerName(), message);
        if (object != null) {
            events.record(object, LambdaReason.HookEndpoint, "%s", message);
        }
    }

    private void stop(String name, Running current, GenericKubernetesResource object) {
        if (object != null) {
            events.record(object, LambdaReason.Stopping, "Stopping controller: %s", name);
        }
        close(current);
        running.remove(name);
        if (object != null) {
            events.record(object, LambdaReason.Stopped, "Stopped controller: %s", name);
        }
    }

    private static void close(Running running) {
        try {
            running.runtime().close();
        } catch (RuntimeException e) {
            log.warn("Stopping a hosted controller failed: {}", ApiErrors.describe(e));
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
        running.values().forEach(HostedControllers::close);
        running.clear();
        controllers.getStore().list().forEach(object -> controller.queue().add(ObjectKey.of(object)));
    }
}
