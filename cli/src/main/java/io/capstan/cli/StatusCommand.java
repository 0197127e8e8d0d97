package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(header = "Show the embedded cluster: components, ports, pids, kubeconfig.", name = "status", mixinStandardHelpOptions = true,
        description = "Show the embedded cluster: components, ports, pids, kubeconfig and how to use kubectl.")
final class StatusCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        Optional<LocalCluster.State> state = cluster.running();
        if (state.isEmpty()) {
            System.out.println("No embedded cluster is running. Start one with './capstan up' (or 'up --detach').");
            return 3;
        }
        return print(cluster, state.get());
    }

    static int print(LocalCluster cluster, LocalCluster.State state) {
        boolean healthy = LocalCluster.READY.equals(state.phase()) && apiServerReady(state);
        System.out.printf("Embedded cluster: %s (supervisor pid %d, started %s)%n",
                healthy ? "running" : state.phase() + (LocalCluster.READY.equals(state.phase()) ? ", API server not answering" : ""),
                state.pid(), state.startedAt());
        System.out.printf("  %-26s %-8s %-7s %s%n", "COMPONENT", "PID", "PORT", "STATE");
        for (LocalCluster.ComponentState component : state.components()) {
            boolean alive = ProcessHandle.of(component.pid()).map(ProcessHandle::isAlive).orElse(false);
            System.out.printf("  %-26s %-8d %-7d %s%n", component.name(), component.pid(), component.port(),
                    alive ? "running" : "exited (log: " + component.log() + ")");
        }
        for (LocalCluster.AddonState addon : state.addons()) {
            System.out.printf("  %-26s %-8s %-7s %s%n", addon.name(), "-", "-", addon.detail());
        }
        if (state.apiServer() != null) {
            System.out.println("API server:  " + state.apiServer() + (healthy ? " (ready)" : ""));
        }
        System.out.println("Kubeconfig:  " + state.kubeconfig());
        System.out.println("Use kubectl:");
        System.out.println("  export KUBECONFIG=" + state.kubeconfig());
        System.out.println("  " + (state.kubectl() != null ? state.kubectl() : "kubectl") + " get nodes");
        System.out.println("  (or './capstan kubectl get nodes', which sets KUBECONFIG for you)");
        return healthy ? 0 : 1;
    }

    private static boolean apiServerReady(LocalCluster.State state) {
        if (state.kubeconfig() == null || !Files.exists(java.nio.file.Path.of(state.kubeconfig()))) {
            return false;
        }
        try {
            Config config = new ConfigBuilder(Config.fromKubeconfig(Files.readString(java.nio.file.Path.of(state.kubeconfig()))))
                    .withRequestRetryBackoffLimit(0).withRequestTimeout(3000).withConnectionTimeout(2000).build();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                return "ok".equals(client.raw("/readyz"));
            }
        } catch (Exception e) {
            return false;
        }
    }
}
