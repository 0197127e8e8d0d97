package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.Progress;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Gives the control plane and the benchmark's JVM (the writers, the node) cores of their own, with {@code taskset}.
 * A virtual node runs on other machines than the API server does; on a shared two-core machine every millisecond of
 * the node's CPU is taken from the API server, so a ratio to the server's ceiling measured the node's CPU as much as
 * what its requests cost the server. Split, the ceiling's writer and the node each have the same cores the server
 * does not use, and the ratio is what the node's requests (status writes, its watches, Events) cost the server.
 */
final class CoreSplit {

    private CoreSplit() {
    }

    /**
     * Pins the control plane's processes (all their threads) to the first half of the cores and this JVM to the rest,
     * and says so; where it cannot (one core, no taskset) it says why, and the run goes on with shared cores.
     */
    static void apply(ControlPlane plane, Progress progress) throws IOException, InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores < 2) {
            progress.step("Cores shared: the machine has one");
            return;
        }
        String controlPlaneCores = cores == 2 ? "0" : "0-" + (cores / 2 - 1);
        String jvmCores = cores == 2 ? "1" : cores / 2 + "-" + (cores - 1);
        for (var component : plane.components()) {
            if (!pin(component.pid(), controlPlaneCores)) {
                progress.step("Cores shared: taskset could not pin " + component.name() + " (install util-linux)");
                return;
            }
        }
        if (!pin(ProcessHandle.current().pid(), jvmCores)) {
            progress.step("Cores shared: taskset could not pin the benchmark's JVM");
            return;
        }
        progress.step(String.format(Locale.ROOT, "Cores split: the control plane on %s, the benchmark's JVM (writers, "
                + "nodes) on %s", controlPlaneCores, jvmCores));
    }

    private static boolean pin(long pid, String cores) throws IOException, InterruptedException {
        List<String> command = List.of("taskset", "--all-tasks", "--cpu-list", "--pid", cores, Long.toString(pid));
        try {
            Process taskset = new ProcessBuilder(command).redirectErrorStream(true).start();
            taskset.getInputStream().readAllBytes();
            return taskset.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
