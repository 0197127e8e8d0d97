package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(header = "Start the embedded cluster and show its health (the first thing to run).", name = "demo", mixinStandardHelpOptions = true,
        description = "Fresh machine to a running example: prepares and starts the embedded cluster "
                + "(in the background) and shows its health.")
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
        if (health == 0) {
            System.out.println();
            System.out.println("Stop it with './capstan down'.");
        }
        return health;
    }
}
