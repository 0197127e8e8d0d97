package io.capstan.lambda.hosted;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.lambda.api.CompositeControllerSpec.Hook;
import io.capstan.lambda.api.CompositeControllerSpec.Hooks;
import io.capstan.lambda.api.Resources;
import io.capstan.lambda.hook.HookClient;
import io.capstan.lambda.hook.HookSecurity;
import io.capstan.runtime.controller.Result;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** What a CompositeController's and a DecoratorController's runtime do alike. */
final class Hosted {

    /** A hosted controller at work. */
    interface Runtime extends AutoCloseable {
        /**
         * The controller is deleted (and this runtime closed): its finalizer comes off every object that still carries
         * it, so their deletions are not held forever by a hook no one will call (Metacontroller leaves them, its
         * issue #1062).
         */
        void releaseFinalizers();

        @Override
        void close();
    }


    private Hosted() {
    }

    /**
     * A dry run's one object: the others are left alone, and how its sync ended (null: done) is told.
     *
     * @param kind for a decorator, the object's kind (its name or plural, any case); null for a parent
     */
    record Only(String kind, io.capstan.runtime.controller.ObjectKey key, java.util.function.Consumer<Exception> synced) {
        /** Whether {@code other}, of {@code resources}, is this object; a cluster-scoped kind's are told by name. */
        boolean is(io.capstan.lambda.api.Resources resources, io.capstan.runtime.controller.ObjectKey other) {
            return ofKind(resources) && key.name().equals(other.name())
                    && (!resources.namespaced() || java.util.Objects.equals(key.namespace(), other.namespace()));
        }

        boolean ofKind(io.capstan.lambda.api.Resources resources) {
            return kind == null || kind.equalsIgnoreCase(resources.kind()) || kind.equalsIgnoreCase(resources.plural());
        }
    }

    /**
     * Checks the hooks (a sync hook; each URL and timeout readable) and reads each one's TLS and authorization once,
     * by hook name ({@code sync}, {@code finalize}, {@code customize}).
     *
     * @throws IllegalArgumentException for the controller's CreateError Event
     */
    static Map<String, HookSecurity> hooks(KubernetesClient client, Hooks hooks, JsonNode endpointConfigs) {
        if (hooks == null || hooks.sync() == null) {
            throw new IllegalArgumentException("sync hook not defined (spec.hooks.sync)");
        }
        Map<String, HookSecurity> security = new HashMap<>();
        Map<String, Hook> named = new HashMap<>();
        named.put("sync", hooks.sync());
        named.put("finalize", hooks.finalizeHook());
        named.put("customize", hooks.customize());
        named.forEach((name, hook) -> {
            if (hook != null) {
                HookClient.url(hook.webhook());
                HookClient.timeout(hook.webhook());
                security.put(name, HookSecurity.resolve(client, hook.webhook(), endpointConfigs));
            }
        });
        return security;
    }

    /**
     * Replays every object every {@code seconds} (at least 1 s), as Metacontroller's {@code resyncPeriodSeconds};
     * returns what stops it (nothing to stop without a period).
     */
    static Runnable resyncEvery(Double seconds, String name, Runnable replay) {
        if (seconds == null || seconds <= 0) {
            return () -> { };
        }
        Duration period = Duration.ofMillis(Math.max(1000, (long) (seconds * 1000)));
        Thread resyncer = Thread.ofVirtual().name(name + "-resync").start(() -> {
            try {
                while (true) {
                    Thread.sleep(period);
                    replay.run();
                }
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        });
        return resyncer::interrupt;
    }

    /** A shared informer for the kind, released when {@code onClose} runs. */
    static SharedIndexInformer<GenericKubernetesResource> acquire(io.capstan.runtime.Manager manager, Resources kind,
            List<Runnable> onClose) {
        SharedIndexInformer<GenericKubernetesResource> informer = manager.informers().acquire(kind.context());
        onClose.add(() -> manager.informers().release(kind.context()));
        return informer;
    }

    /** The hook's {@code resyncAfterSeconds} as a one-shot timer. */
    static Result after(double resyncAfterSeconds) {
        return resyncAfterSeconds > 0 ? Result.requeueAfter(Duration.ofNanos((long) (resyncAfterSeconds * 1e9)))
                : Result.done();
    }

    /**
     * Adds or removes a finalizer on the live object (read, change, write; again on a conflict), only on the same
     * instance and never adding one to an object being deleted.
     */
    static void setFinalizer(io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> objects,
            GenericKubernetesResource cached, String finalizer, boolean present) {
        for (int attempt = 1; ; attempt++) {
            GenericKubernetesResource live = objects.withName(cached.getMetadata().getName()).get();
            List<String> finalizers = live == null || live.getMetadata().getFinalizers() == null ? new ArrayList<>()
                    : new ArrayList<>(live.getMetadata().getFinalizers());
            if (live == null || !java.util.Objects.equals(live.getMetadata().getUid(), cached.getMetadata().getUid())
                    || finalizers.contains(finalizer) == present
                    || (present && live.getMetadata().getDeletionTimestamp() != null)) {
                return;
            }
            if (present) {
                finalizers.add(finalizer);
            } else {
                finalizers.remove(finalizer);
            }
            live.getMetadata().setFinalizers(finalizers);
            try {
                objects.resource(live).update();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    /** A handler that hands the object of every add, update (its new version) and delete to {@code route}. */
    static ResourceEventHandler<GenericKubernetesResource> onEveryChange(Consumer<GenericKubernetesResource> route) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource object) {
                route.accept(object);
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldObject, GenericKubernetesResource newObject) {
                route.accept(newObject);
            }

            @Override
            public void onDelete(GenericKubernetesResource object, boolean deletedFinalStateUnknown) {
                route.accept(object);
            }
        };
    }

    private static final ObjectMapper LOOSE = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectMapper STRICT = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);

    /**
     * A hook's answer in its wire shape. Loose decoding ignores unknown and repeated fields; strict decoding (the
     * default for {@code v2} hooks) fails on them, as Metacontroller's does.
     *
     * @throws IllegalArgumentException when the body is not such an answer, saying why
     */
    static <T> T readAnswer(String body, boolean strict, Class<T> wire) {
        T answer;
        try {
            answer = (strict ? STRICT : LOOSE).readValue(body, wire);
        } catch (java.io.IOException e) {
            String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException json
                    ? json.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("the hook's answer cannot be decoded" + (strict ? " (strict)" : "") + ": "
                    + message, e);
        }
        if (answer == null) {
            throw new IllegalArgumentException("the hook's answer is empty");
        }
        return answer;
    }

    /** A list from an answer without its null items (e.g. {@code "children": [null]}), as Metacontroller decodes it. */
    static <T> List<T> present(List<T> items) {
        return items == null ? List.of() : items.stream().filter(java.util.Objects::nonNull).toList();
    }

    static OwnerReference controllerOf(HasMetadata object) {
        List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
        return owners == null ? null
                : owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())).findFirst().orElse(null);
    }

    /**
     * Equal as JSON values: a value read back from the cache may be a different number type (an Integer where a Long
     * was written); otherwise every sync would rewrite the same status.
     */
    static boolean sameJson(JsonNode a, JsonNode b) {
        return a.equals(io.capstan.lambda.apply.LastApplied.SAME_VALUE, b);
    }
}
