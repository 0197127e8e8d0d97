package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import io.capstan.framework.api.Framework;
import io.capstan.runtime.client.KubeClients;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(header = "Start the embedded cluster and run a sample Framework on it (the first thing to run).", name = "demo",
        mixinStandardHelpOptions = true,
        description = "Fresh machine to a running example: prepares and starts the embedded cluster (in the background), "
                + "shows its health, then runs the sample Framework of examples/framework/demo.yaml (a server and three "
                + "workers running shell commands as host processes) and follows it until it completes. Exits 0 when "
                + "the Framework succeeded.")
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        Console console = new Console();
        if (cluster.running().isEmpty()) {
            if (!UpCommand.startDetached(cluster, 0, console)) {
                return 1;
            }
        } else {
            console.step("Reusing the embedded cluster that is already running");
        }
        int health = StatusCommand.print(cluster, cluster.running().orElseThrow());
        if (health != 0) {
            return health;
        }
        System.out.println();
        console.step("Running the sample Framework 'demo' (examples/framework/demo.yaml)");
        Framework demo;
        try (InputStream manifest = DemoCommand.class.getResourceAsStream("demo.yaml")) {
            demo = new KubernetesSerialization().unmarshal(manifest, Framework.class);
        }
        demo.getMetadata().setNamespace("default");
        int outcome;
        try (KubernetesClient client = KubeClients.create(KubeClients.loadConfig(cluster.kubeconfig()), 0, 0)) {
            RunCommand run = new RunCommand();
            run.replace = true;
            outcome = run.createAndFollow(client, demo);
        }
        System.out.println();
        System.out.println(outcome == 0 ? "The demo Framework succeeded." : "The demo Framework did not succeed (see above).");
        System.out.println("Next: './capstan run -f examples/framework/batchwithservicesucceeded.yaml', "
                + "'./capstan kubectl get frameworks', and './capstan down' to stop the cluster.");
        return outcome;
    }
}
