package io.capstan.cli;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.LocalCluster;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.metrics.Metrics;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@code capstan up} runs next to the control plane: the node "local", whose pods are host processes. */
final class Addons {

    static final String LOCAL_NODE = "local";

    private Addons() {
    }

    static List<LocalCluster.Addon> start(ControlPlane plane) {
        List<LocalCluster.Addon> started = new ArrayList<>();
        try {
            started.add(localNode(plane));
            return started;
        } catch (Exception e) {
            started.forEach(LocalCluster.Addon::close);
            throw new IllegalStateException("cannot start the embedded cluster's node: " + e.getMessage(), e);
        }
    }

    /** The node every workload of the embedded cluster runs on, without the virtual-node taint. */
    static LocalCluster.Addon localNode(ControlPlane plane) throws Exception {
        KubernetesClient client = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
        Path pods = plane.stateDir().getParent().resolve("nodes").resolve(LOCAL_NODE);
        ProcessProvider provider = new ProcessProvider(ProcessProvider.Settings.detect(pods));
        var ca = plane.certificateAuthority();
        VirtualNode node = VirtualNode.start(client, VirtualNode.Config.defaults(LOCAL_NODE, provider,
                ServingCertificate.issuedBy(ca, LOCAL_NODE, "127.0.0.1"), ca.certificate(), null), new Metrics().registry());
        String detail = "process provider, kubelet API on 127.0.0.1:" + node.kubeletPort()
                + (provider.settings().bubblewrap() ? ", bubblewrap sandboxes" : ", no sandbox (bwrap missing)");
        return new LocalCluster.Addon() {
            @Override
            public String name() {
                return "node/" + LOCAL_NODE;
            }

            @Override
            public String detail() {
                return detail;
            }

            @Override
            public void close() {
                node.close();
                client.close();
            }
        };
    }
}
