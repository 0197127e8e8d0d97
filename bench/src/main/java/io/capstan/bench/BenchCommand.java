package io.capstan.bench;

import io.capstan.cli.Console;
import io.capstan.cli.Logging;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code capstan bench}: the benchmarks, in a jar of their own (bench/target/capstan-bench.jar) that the launcher runs,
 * so the operator's jar and image do not carry them.
 */
@Command(header = "Run a benchmark and print its figures.", name = "capstan bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that print figures, each with the API server's own ceiling measured in the same run.",
        subcommands = {BenchCommand.ApiServer.class, BenchCommand.NodeBench.class, BenchCommand.WatchBench.class,
                BenchCommand.FrameworkBench.class, BenchCommand.LambdaBench.class, BenchCommand.QueueBench.class})
public final class BenchCommand implements Runnable {

    public static void main(String[] args) {
        Logging.setLevel("warn");
        picocli.CommandLine commandLine = new picocli.CommandLine(new BenchCommand()).setUsageHelpWidth(100);
        commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
            cmd.getErr().println("error: " + io.capstan.runtime.client.ApiErrors.describe(error));
            return 1;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "node", header = "A mock virtual node under load.", mixinStandardHelpOptions = true,
            description = "Pods from bound to Running (burst and steady creation), create-to-Running latency, the "
                    + "node's status-write throughput as a ratio to the API server's ceiling, heap per tracked pod.")
    static final class NodeBench implements Callable<Integer> {

        @Option(names = "--pods", split = ",", defaultValue = "1000,10000",
                description = "Pod counts to run, comma-separated (default: ${DEFAULT-VALUE}).")
        java.util.List<Integer> sizes;

        @Option(names = "--workers", defaultValue = "" + io.capstan.node.pod.PodController.DEFAULT_WORKERS,
                paramLabel = "N", description = "The node's workers per pod queue (default: ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--split-cores", description = "Give the control plane half of the machine's cores and the "
                + "benchmark's JVM (writers, nodes) the other half, as a node and its API server have different "
                + "machines: the ratio then shows what the node's requests cost the server, not its own CPU.")
        boolean splitCores;

        @Option(names = "--parts", defaultValue = "6", paramLabel = "N", description = "Before the sizes: the "
                + "status ratio in N parts, each a fresh node's burst between two ceilings of its size, alternately "
                + "with and without Normal Events; 0 for none (default: ${DEFAULT-VALUE}).")
        int parts;

        // 2,000-pod parts read 60–124 % of their ceilings over five runs, 5,000-pod parts 69–89 % (docs/benchmarks.md).
        @Option(names = "--part-pods", defaultValue = "5000", paramLabel = "N",
                description = "Pods in each part; smaller parts are quicker and spread more (default: ${DEFAULT-VALUE}).")
        int partPods;

        @Override
        public Integer call() throws Exception {
            if (workers < 1) {
                throw new IllegalArgumentException("--workers must be at least 1, not " + workers);
            }
            if (parts < 0 || partPods < 1) {
                throw new IllegalArgumentException("--parts must be at least 0 and --part-pods at least 1, not "
                        + parts + " and " + partPods);
            }
            var report = NodeBenchmark.runOnFreshCluster(sizes,
                    new NodeBenchmark.Parts(parts, partPods), workers, splitCores, new Console());
            System.out.println();
            if (report.inParts() != null) {
                System.out.println(report.inParts().table());
                System.out.println();
            }
            System.out.println(NodeBenchmark.header());
            report.sizes().forEach(r -> System.out.println(r.row()));
            return 0;
        }
    }

    @Command(name = "watch", header = "What watching pods costs the API server's status writes.",
            mixinStandardHelpOptions = true,
            description = "The node's status patch written by 64 writers, in turns within each round: bare, while a "
                    + "raw watch stream of the pods is read and thrown away, and while Capstan's informer watches them; "
                    + "each ratio is to the bare writer of the same round.")
    static final class WatchBench implements Callable<Integer> {

        @Option(names = "--pods", defaultValue = "5000", description = "Status writes per turn (default: ${DEFAULT-VALUE}).")
        int pods;

        @Option(names = "--rounds", defaultValue = "3", description = "Rounds of three turns (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--split-cores", description = "Give the control plane half of the machine's cores and the "
                + "benchmark's JVM the other half.")
        boolean splitCores;

        @Override
        public Integer call() throws Exception {
            if (pods < 1 || rounds < 1) {
                throw new IllegalArgumentException("--pods and --rounds must be at least 1");
            }
            var results = WatchCostBenchmark.runOnFreshCluster(pods, rounds, splitCores, new Console());
            System.out.println();
            System.out.println(WatchCostBenchmark.header());
            for (int i = 0; i < results.size(); i++) {
                System.out.println(results.get(i).row(i + 1));
            }
            return 0;
        }
    }

    @Command(name = "framework", header = "The Framework controller under load on a mock node.",
            mixinStandardHelpOptions = true,
            description = "Frameworks of several tasks created at once: pods created per second as a ratio to the API "
                    + "server's pod-create ceiling, latency from a pod's phase change to the Framework status reflecting "
                    + "it, heap per 1,000 Frameworks, Frameworks completed per second.")
    static final class FrameworkBench implements Callable<Integer> {

        @Option(names = "--sizes", split = ",", defaultValue = "1000x4,10000x1",
                description = "FRAMEWORKSxTASKS runs, comma-separated (default: ${DEFAULT-VALUE}).")
        java.util.List<String> sizes;

        @Override
        public Integer call() throws Exception {
            var results = FrameworkBenchmark.runOnFreshCluster(
                    sizes.stream().map(FrameworkBenchmark.Size::parse).toList(), new Console());
            System.out.println();
            System.out.println(FrameworkBenchmark.header());
            results.forEach(r -> System.out.println(r.row()));
            return 0;
        }
    }

    @Command(name = "lambda", header = "A CompositeController under load.", mixinStandardHelpOptions = true,
            description = "Parents of a CompositeController created at once, then each changed once: parents converged "
                    + "per second, children written per second as a ratio to the API server's create ceiling, p50/p99 "
                    + "from a parent change to its children reflecting it, hook calls per change, heap per 1,000 "
                    + "parents. Hooks in this JVM and as a Python process; ConfigMap children, and Pods on a mock node.")
    static final class LambdaBench implements Callable<Integer> {

        @Option(names = "--parents", defaultValue = "1000", description = "Parents per run (default: ${DEFAULT-VALUE}).")
        int parents;

        @Option(names = "--children", defaultValue = "4", description = "Children per parent (default: ${DEFAULT-VALUE}).")
        int children;

        @Option(names = "--variants", split = ",", defaultValue = "configmaps,configmaps-python,pods",
                description = "Runs, comma-separated: configmaps (in-JVM hook), configmaps-python (a Python hook "
                        + "process), pods (in-JVM hook, on a mock node) (default: ${DEFAULT-VALUE}).")
        java.util.List<String> variants;

        @Override
        public Integer call() throws Exception {
            var results = LambdaBenchmark.runOnFreshCluster(parents, children,
                    variants.stream().map(LambdaBenchmark.Variant::parse).toList(), new Console());
            System.out.println();
            System.out.println(LambdaBenchmark.header());
            results.forEach(r -> System.out.println(r.row()));
            return 0;
        }
    }

    @Command(name = "queue", header = "Kueue's scheduler performance scenario through Capstan's queue.",
            mixinStandardHelpOptions = true,
            description = "5 cohorts × 6 ClusterQueues, per queue 70 % small, 20 % medium and 10 % large workloads "
                    + "created at Kueue's intervals, as bare Workloads finished by a runner (Kueue's own harness), as "
                    + "AppWrappers and as Frameworks on a mock node: wall time, admissions per second, mean time to "
                    + "admission per size, mean quota usage, API writes per workload, heap per 1,000 pending workloads.")
    static final class QueueBench implements Callable<Integer> {

        @Option(names = "--per-queue", defaultValue = "500",
                description = "Workloads per ClusterQueue; 500 is Kueue's 15,000 in all (default: ${DEFAULT-VALUE}).")
        int perQueue;

        @Option(names = "--kinds", split = ",", defaultValue = "workloads,appwrappers,frameworks",
                description = "What is queued, comma-separated: workloads, appwrappers, frameworks "
                        + "(default: ${DEFAULT-VALUE}).")
        java.util.List<String> kinds;

        @Override
        public Integer call() throws Exception {
            var results = QueueBenchmark.runOnFreshCluster(perQueue, kinds.stream()
                    .map(k -> QueueBenchmark.Kind.valueOf(k.trim().toUpperCase(java.util.Locale.ROOT))).toList(),
                    new Console());
            System.out.println();
            System.out.println(QueueBenchmark.header());
            results.forEach(r -> System.out.println(r.row()));
            return 0;
        }
    }

    @Command(name = "apiserver", header = "Raw ceiling of the embedded API server.", mixinStandardHelpOptions = true,
            description = "Raw ceiling of the embedded API server: pod create, status update and delete throughput "
                    + "with 1, 8 and 64 writers; informer cold-sync time and heap per cached pod.")
    static final class ApiServer implements Callable<Integer> {

        @Option(names = "--pods", defaultValue = "2000", description = "Pods per write phase (default: ${DEFAULT-VALUE}).")
        int pods;

        @Option(names = "--informer-pods", defaultValue = "10000",
                description = "Pods for the informer cold-sync measurement (default: ${DEFAULT-VALUE}).")
        int informerPods;

        @Override
        public Integer call() throws Exception {
            ApiServerBenchmark.Report report = ApiServerBenchmark.runOnFreshCluster(pods, informerPods, new Console());
            System.out.println();
            System.out.println(report.toMarkdown());
            return 0;
        }
    }
}
