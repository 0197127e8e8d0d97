package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaConfig;
import io.capstan.lambda.api.CompositeControllerSpec;
import io.capstan.lambda.api.DecoratorControllerSpec;
import io.capstan.lambda.hook.HookClient;
import io.capstan.runtime.Manager;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One sync of one parent (or decorated object) by the real CompositeController (or DecoratorController) runtime, for
 * {@code capstan hook-test}: the same request, the same hooks (customize, sync or finalize, every revision of a rolling
 * update), the same decisions about children, attachments and status. Whether anything is written is the client's
 * business: the command gives it a client that sends every write with {@code dryRun=All}, so the API server validates
 * each one and keeps none.
 */
public final class DryRun {

    private DryRun() {
    }

    /**
     * @param client the client every read and write goes through (writes should be dry runs)
     * @param hooks the hook client, with its listener of requests and answers
     * @param controller the CompositeController's or DecoratorController's name
     * @param kind for a DecoratorController of several kinds, the object's kind (name or plural); else null
     * @param object the parent (or decorated object) to sync
     * @return null when the sync ended well, else what failed
     * @throws IllegalArgumentException when the controller or the object does not exist, or the controller cannot run
     * @throws TimeoutException when the sync did not end within {@code timeout}
     */
    public static Exception syncOnce(KubernetesClient client, HookClient hooks, String controller, String kind,
            ObjectKey object, Duration timeout) throws Exception {
        GenericKubernetesResource composite = client.genericKubernetesResources(HostedControllers.COMPOSITE)
                .withName(controller).get();
        GenericKubernetesResource decorator = composite != null ? null
                : client.genericKubernetesResources(HostedControllers.DECORATOR).withName(controller).get();
        if (composite == null && decorator == null) {
            throw new IllegalArgumentException("there is no CompositeController or DecoratorController " + controller
                    + " (kubectl get compositecontrollers,decoratorcontrollers lists them)");
        }
        ObjectNode tree = client.getKubernetesSerialization().convertValue(composite != null ? composite : decorator,
                ObjectNode.class);
        ObjectNode spec = (ObjectNode) tree.path("spec");
        CompletableFuture<Exception> ended = new CompletableFuture<>();
        Hosted.Only only = new Hosted.Only(composite != null ? null : kind, object, ended::complete);
        LambdaConfig config = new LambdaConfig(null, 1, null, null);
        try (Manager manager = new Manager(client, new Manager.Settings(null, null, null, null, timeout))) {
            // Nothing registered yet: this only opens the informers to the runtime's kinds, acquired below.
            manager.informers().startAndSync(timeout);
            var events = manager.eventRecorder("metacontroller");
            Hosted.Runtime runtime;
            String missing;
            if (composite != null) {
                CompositeRuntime parents = new CompositeRuntime(controller, tree, CompositeControllerSpec.of(spec), manager,
                        events, hooks, config, only);
                runtime = parents;
                missing = parents.parentMissing(object) ? "there is no " + parents.parentKind() + " " + object : null;
            } else {
                DecoratorRuntime decorated = new DecoratorRuntime(controller, tree, DecoratorControllerSpec.of(spec),
                        manager, events, hooks, config, only);
                runtime = decorated;
                missing = decorated.missing(only);
            }
            try {
                if (missing != null) {
                    throw new IllegalArgumentException(missing);
                }
                try {
                    return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new TimeoutException("the sync of " + object + " did not end within " + timeout.toSeconds()
                            + " s (its caches still listing, or the hook not answering)");
                }
            } finally {
                runtime.close();
            }
        }
    }
}
