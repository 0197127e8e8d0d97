package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.LambdaConfig;
import io.capstan.lambda.api.CompositeControllerSpec;
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
 * One sync of one parent by the real CompositeController runtime, for {@code capstan hook-test}: the same request,
 * the same hooks (customize, sync or finalize, every revision of a rolling update), the same decisions about children
 * and status. Whether anything is written is the client's business: the command gives it a client that sends every
 * write with {@code dryRun=All}, so the API server validates each one and keeps none.
 */
public final class DryRun {

    private DryRun() {
    }

    /**
     * @param client the client every read and write goes through (writes should be dry runs)
     * @param hooks the hook client, with its listener of requests and answers
     * @param controller the CompositeController's name
     * @param parent the parent to sync
     * @return null when the sync ended well, else what failed
     * @throws IllegalArgumentException when the controller or the parent does not exist, or the controller cannot run
     * @throws TimeoutException when the sync did not end within {@code timeout}
     */
    public static Exception syncOnce(KubernetesClient client, HookClient hooks, String controller, ObjectKey parent,
            Duration timeout) throws Exception {
        GenericKubernetesResource object = client.genericKubernetesResources(HostedControllers.COMPOSITE)
                .withName(controller).get();
        if (object == null) {
            throw new IllegalArgumentException("there is no CompositeController " + controller
                    + " (kubectl get compositecontrollers lists them)");
        }
        ObjectNode tree = client.getKubernetesSerialization().convertValue(object, ObjectNode.class);
        CompositeControllerSpec spec = CompositeControllerSpec.of((ObjectNode) tree.path("spec"));
        CompletableFuture<Exception> ended = new CompletableFuture<>();
        try (Manager manager = new Manager(client, new Manager.Settings(null, null, null, null, timeout))) {
            // Nothing registered yet: this only opens the informers to the runtime's kinds, acquired below.
            manager.informers().startAndSync(timeout);
            CompositeRuntime runtime = new CompositeRuntime(controller, tree, spec, manager,
                    manager.eventRecorder("metacontroller"), hooks, new LambdaConfig(null, 1, null, null),
                    new Hosted.Only(parent, ended::complete));
            try {
                if (runtime.parentMissing(parent)) {
                    throw new IllegalArgumentException("there is no " + runtime.parentKind() + " " + parent);
                }
                try {
                    return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new TimeoutException("the sync of " + parent + " did not end within " + timeout.toSeconds()
                            + " s (its caches still listing, or the hook not answering)");
                }
            } finally {
                runtime.close();
            }
        }
    }
}
