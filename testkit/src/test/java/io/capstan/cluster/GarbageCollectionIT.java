package io.capstan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** kube-controller-manager's garbage collector really runs in the embedded cluster. */
@EmbeddedCluster
class GarbageCollectionIT {

    private static ConfigMap create(KubernetesClient client, String namespace, String name, ConfigMap owner) {
        ConfigMapBuilder builder = new ConfigMapBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata();
        if (owner != null) {
            builder.editMetadata().addNewOwnerReference().withApiVersion("v1").withKind("ConfigMap")
                    .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                    .withBlockOwnerDeletion(true).endOwnerReference().endMetadata();
        }
        return client.configMaps().inNamespace(namespace).resource(builder.build()).create();
    }

    @Test
    void backgroundDeletionRemovesDependentsAfterTheOwner(TestCluster cluster, TestNamespace namespace) {
        KubernetesClient client = cluster.client();
        ConfigMap owner = create(client, namespace.name(), "owner", null);
        create(client, namespace.name(), "dependent", owner);

        client.configMaps().inNamespace(namespace.name()).withName("owner")
                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();

        assertThat(client.configMaps().inNamespace(namespace.name()).withName("owner").get()).isNull();
        await().atMost(Duration.ofSeconds(30)).until(
                () -> client.configMaps().inNamespace(namespace.name()).withName("dependent").get() == null);
    }

    @Test
    void foregroundDeletionKeepsTheOwnerUntilItsDependentsAreGone(TestCluster cluster, TestNamespace namespace) {
        KubernetesClient client = cluster.client();
        ConfigMap owner = create(client, namespace.name(), "owner", null);
        ConfigMap dependent = create(client, namespace.name(), "dependent", owner);
        // A finalizer holds the dependent, so the owner must wait for it in foreground deletion.
        client.configMaps().inNamespace(namespace.name()).withName("dependent")
                .edit(cm -> new ConfigMapBuilder(cm).editMetadata().addToFinalizers("capstan.io/test-hold").endMetadata().build());

        client.configMaps().inNamespace(namespace.name()).withName("owner")
                .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ConfigMap held = client.configMaps().inNamespace(namespace.name()).withName("dependent").get();
            assertThat(held.getMetadata().getDeletionTimestamp()).as("the GC deletes the dependent first").isNotNull();
        });
        ConfigMap waitingOwner = client.configMaps().inNamespace(namespace.name()).withName("owner").get();
        assertThat(waitingOwner).as("owner kept while a dependent remains").isNotNull();
        assertThat(waitingOwner.getMetadata().getFinalizers()).contains("foregroundDeletion");

        client.configMaps().inNamespace(namespace.name()).withName("dependent")
                .edit(cm -> new ConfigMapBuilder(cm).editMetadata().withFinalizers().endMetadata().build());

        await().atMost(Duration.ofSeconds(30)).until(
                () -> client.configMaps().inNamespace(namespace.name()).withName("owner").get() == null);
        assertThat(client.configMaps().inNamespace(namespace.name()).withName(dependent.getMetadata().getName()).get())
                .isNull();
    }
}
