package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/** Writes through {@link RawRequests} against the real API server. */
@EmbeddedCluster
class RawRequestsIT {

    @Test
    void aWriteAnsweredWithMetadataOnlyGivesTheVersionItWrote(TestCluster cluster, TestNamespace namespace) {
        var client = cluster.client();
        client.configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("patched").endMetadata().addToData("step", "1").build()).create();
        String path = RawRequests.path(ConfigMap.class, namespace.name(), "patched");

        String written = RawRequests.writeForResourceVersion(client, "PATCH", path, RawRequests.MERGE_PATCH,
                "{\"data\":{\"step\":\"2\"}}");

        ConfigMap stored = client.configMaps().inNamespace(namespace.name()).withName("patched").get();
        assertThat(stored.getData()).containsEntry("step", "2");
        assertThat(written).isNotNull().isEqualTo(stored.getMetadata().getResourceVersion());
    }

    @Test
    void aRefusedWriteStillReportsTheServersStatus(TestCluster cluster, TestNamespace namespace) {
        String path = RawRequests.path(ConfigMap.class, namespace.name(), "missing");

        assertThatThrownBy(() -> RawRequests.writeForResourceVersion(cluster.client(), "PATCH", path,
                RawRequests.MERGE_PATCH, "{\"data\":{\"step\":\"2\"}}"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(404);
                    assertThat(e.getStatus()).isNotNull();
                    assertThat(e.getStatus().getReason()).isEqualTo("NotFound");
                });
    }
}
