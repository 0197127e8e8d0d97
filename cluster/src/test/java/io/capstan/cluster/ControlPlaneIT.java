package io.capstan.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlPlaneIT {

    @TempDir
    Path state;

    @Test
    void startsStopsAndRestartsWithItsDataIntact() {
        KubernetesBinaries binaries = KubernetesBinaries.locate(System.out::println);
        try (ControlPlane plane = ControlPlane.start(ControlPlane.Spec.of(state, binaries).withProgress(System.out::println))) {
            assertThat(plane.components()).extracting(Component::name)
                    .containsExactly("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");
            try (KubernetesClient client = client(plane)) {
                client.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata()
                        .withName("survivor").endMetadata().withData(Map.of("k", "v")).build()).create();
            }
        }
        try (ControlPlane plane = ControlPlane.start(ControlPlane.Spec.of(state, binaries))) {
            try (KubernetesClient client = client(plane)) {
                assertThat(client.configMaps().inNamespace("default").withName("survivor").get().getData())
                        .containsEntry("k", "v");
            }
        }
    }

    private static KubernetesClient client(ControlPlane plane) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(plane.kubeconfigYaml())).build();
    }
}
