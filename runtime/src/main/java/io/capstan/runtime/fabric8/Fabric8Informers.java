package io.capstan.runtime.fabric8;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.impl.BaseClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.impl.DefaultSharedIndexInformer;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;

/** fabric8's shared informer with Capstan's lists and watches ({@link ClientGoRequests}). */
public final class Fabric8Informers {

    private Fabric8Informers() {
    }

    /**
     * An informer, not started, over what {@code operation} lists (its namespace, selectors and page size).
     *
     * @param operation a fabric8 resource operation, narrowed as wanted
     * @param client the client whose executor runs the informer's handlers
     */
    @SuppressWarnings("unchecked")
    public static <T extends HasMetadata> SharedIndexInformer<T> create(Class<T> kind, Informable<T> operation,
            KubernetesClient client) {
        ListerWatcher<T, KubernetesResourceList<T>> lister = (ListerWatcher<T, KubernetesResourceList<T>>) operation;
        return new DefaultSharedIndexInformer<>(kind, new ClientGoRequests<>(lister), 0,
                client.adapt(BaseClient.class).getExecutor());
    }
}
