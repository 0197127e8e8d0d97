package io.capstan.cli;

import io.capstan.cluster.ControlPlaneException;
import io.capstan.cluster.KubernetesBinaries;
import io.capstan.cluster.LocalCluster;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(header = "Start the embedded cluster (or reuse the running one).", name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) "
                + "and print how to use it with kubectl. Reuses a cluster that is already running.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--detach", description = "Run the cluster in the background and return once it is ready.")
    boolean detach;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Secure port of kube-apiserver (default: a free port, kept across restarts).")
    int port;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        Optional<LocalCluster.State> running = cluster.running();
        if (running.isPresent()) {
            System.out.println("The embedded cluster is already running (supervisor pid " + running.get().pid()
                    + "); reusing it.");
            return StatusCommand.print(cluster, running.get());
        }
        Console console = new Console();
        if (detach) {
            return startDetached(cluster, port, console) ? StatusCommand.print(cluster, cluster.running().orElseThrow()) : 1;
        }
        Logging.setLevel("info");
        String failure = cluster.runInForeground(port, console, Addons::start);
        if (!failure.isEmpty()) {
            System.err.println("error: the embedded cluster stopped: " + failure);
            return 1;
        }
        System.out.println("Embedded cluster stopped.");
        return 0;
    }

    /**
     * Starts {@code capstan up} as a background process in its own session and follows its log until the cluster is
     * ready. The Kubernetes binaries are prepared first, in the foreground, so a first-time build shows its progress.
     */
    static boolean startDetached(LocalCluster cluster, int port, Console console) throws IOException, InterruptedException {
        KubernetesBinaries.locate(console);
        Files.createDirectories(cluster.home());
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", ownJar(), Main.class.getName(), "up"));
        if (port > 0) {
            command.addAll(List.of("--port", Integer.toString(port)));
        }
        Path log = cluster.supervisorLog();
        Process supervisor = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        console.step("Starting the embedded cluster in the background (pid " + supervisor.pid() + ", log " + log + ")");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        long shown = 0;
        while (System.nanoTime() < deadline) {
            shown = echoNewLines(log, shown);
            Optional<LocalCluster.State> state = cluster.running();
            if (state.isPresent() && LocalCluster.READY.equals(state.get().phase())) {
                echoNewLines(log, shown);
                return true;
            }
            if (!supervisor.isAlive()) {
                echoNewLines(log, shown);
                System.err.println("error: the cluster failed to start (exit code " + supervisor.exitValue()
                        + "); see " + log);
                return false;
            }
            Thread.sleep(200);
        }
        supervisor.destroy();
        throw new ControlPlaneException("the embedded cluster was not ready within 5 minutes; see " + log);
    }

    private static long echoNewLines(Path log, long alreadyShown) throws IOException {
        if (!Files.exists(log)) {
            return alreadyShown;
        }
        List<String> lines = Files.readAllLines(log);
        for (int i = (int) alreadyShown; i < lines.size(); i++) {
            System.out.println("  | " + lines.get(i));
        }
        return lines.size();
    }

    static String ownJar() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the Capstan jar", e);
        }
    }
}
