package io.capstan.testkit;

import io.capstan.cluster.ControlPlane;
import io.capstan.runtime.client.KubeClients;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The shared embedded control plane and a cluster-admin client for it. */
public final class TestCluster {

    private final ControlPlane controlPlane;
    private final KubernetesClient client;

    TestCluster(ControlPlane controlPlane) {
        this.controlPlane = controlPlane;
        this.client = newClient();
    }

    public ControlPlane controlPlane() {
        return controlPlane;
    }

    /** A shared cluster-admin client; do not close it. */
    public KubernetesClient client() {
        return client;
    }

    /** A new cluster-admin client (e.g. for a component under test that closes its own client). */
    public KubernetesClient newClient() {
        return KubeClients.create(config(), 0, 0);
    }

    public Config config() {
        return Config.fromKubeconfig(controlPlane.kubeconfigYaml());
    }

    /** The control plane's kubectl, configured for this cluster as its admin. */
    public Kubectl kubectl() {
        return new Kubectl(controlPlane.binaries().kubectl()
                .orElseThrow(() -> new IllegalStateException("the Kubernetes binaries have no kubectl")),
                controlPlane.kubeconfig());
    }

    public String kubeconfigYaml() {
        return controlPlane.kubeconfigYaml();
    }

    void close() {
        client.close();
        controlPlane.stop();
    }
}
