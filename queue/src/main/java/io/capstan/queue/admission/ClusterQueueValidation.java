package io.capstan.queue.admission;

import io.capstan.queue.api.Kueue;
import io.capstan.queue.model.ClusterQueueRules;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import java.util.List;

/**
 * Kueue's validating webhook for ClusterQueues, served by the queue: a spec that breaks {@link ClusterQueueRules} is
 * refused with every problem, each naming its field. A ClusterQueue that got past it anyway (created while no webhook
 * ran) admits nothing and says why in its {@code Active} condition.
 */
public final class ClusterQueueValidation {

    private ClusterQueueValidation() {
    }

    public static AdmissionWebhooks.Hook hook() {
        return AdmissionWebhooks.Hook.validating("clusterqueues.kueue.capstan.io", "/validate/kueue/clusterqueues",
                Kueue.GROUP, Kueue.VERSION, "clusterqueues", List.of("CREATE", "UPDATE"), request -> {
                    if (request.object() == null) {
                        return List.of();
                    }
                    List<String> problems = ClusterQueueRules.problems(request.object().path("spec"));
                    return problems.isEmpty() ? problems : List.of("ClusterQueue "
                            + request.object().path("metadata").path("name").asText() + ": " + String.join("; ", problems));
                });
    }
}
