package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(header = "Stop the embedded cluster.", name = "down", mixinStandardHelpOptions = true,
        description = "Stop the embedded cluster. Its objects are kept for the next 'up' unless --purge is given.")
final class DownCommand implements Callable<Integer> {

    @Option(names = "--purge", description = "Also delete the cluster's data (etcd, certificates, kubeconfig, logs).")
    boolean purge;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        if (cluster.stop(Duration.ofSeconds(90))) {
            System.out.println("Embedded cluster stopped.");
        } else {
            System.out.println("No embedded cluster is running.");
        }
        if (purge && Files.exists(cluster.stateDir())) {
            deleteTree(cluster.stateDir());
            System.out.println("Deleted " + cluster.stateDir());
        }
        return 0;
    }

    private static void deleteTree(java.nio.file.Path root) throws java.io.IOException {
        try (var walk = Files.walk(root)) {
            for (var path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
