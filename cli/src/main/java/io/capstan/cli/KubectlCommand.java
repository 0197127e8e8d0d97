package io.capstan.cli;

import io.capstan.cluster.KubernetesBinaries;
import io.capstan.cluster.LocalCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(header = "Run kubectl against the embedded cluster.", name = "kubectl",
        description = "Run the embedded cluster's kubectl against it (KUBECONFIG set for you), e.g. 'capstan kubectl get pods -A'.")
final class KubectlCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ARGS", description = "Arguments passed to kubectl unchanged.")
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        if (cluster.running().isEmpty()) {
            System.err.println("error: no embedded cluster is running; start it with './capstan up --detach'");
            return 1;
        }
        KubernetesBinaries binaries = KubernetesBinaries.locate(System.getenv(), KubernetesBinaries.defaultCache(),
                new Console(), false);
        List<String> command = new ArrayList<>();
        command.add(binaries.kubectl().map(Object::toString).orElse("kubectl"));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        return builder.start().waitFor();
    }
}
