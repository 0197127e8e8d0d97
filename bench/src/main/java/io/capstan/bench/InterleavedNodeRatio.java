package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.Progress;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The node's status-write ratio measured at a finer grain than this machine's drift: its speed moved by a factor of
 * two within minutes, and a 10,000-pod burst sits minutes from the ceilings either side of it (creating its pods, its
 * Event backlog). Here the node runs in parts of a few thousand pods, each on a fresh node, with the API server's
 * ceiling (the node's own patch, a bare client with 64 writers, as many pods as the part) measured right before and
 * right after every part: ceiling, part, ceiling, part, …, ceiling. Each part's ratio is to the mean of the two
 * ceilings either side of it. Parts alternate between a node with Normal Events and one without.
 */
public final class InterleavedNodeRatio {

    private InterleavedNodeRatio() {
    }

    /** One part: its node's status writes per second, and the bare ceilings right before and after it. */
    public record Part(boolean normalEvents, double ceilingBefore, double node, double ceilingAfter) {

        public double ratio() {
            return node / ((ceilingBefore + ceilingAfter) / 2);
        }

        String row(int number) {
            return String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f | %.0f | %.0f %% |", number,
                    normalEvents ? "yes" : "no", ceilingBefore, node, ceilingAfter, 100 * ratio());
        }
    }

    /** The parts of one run, {@code pods} pods each. */
    public record Result(int pods, List<Part> parts) {

        public String table() {
            StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                    "| part (%,d pods) | Normal Events | ceiling before, status writes/s | node, status writes/s "
                            + "| ceiling after | ratio to the mean of the two |\n|---:|---|---:|---:|---:|---:|\n", pods));
            for (int i = 0; i < parts.size(); i++) {
                table.append(parts.get(i).row(i + 1)).append('\n');
            }
            table.append(summary("with Normal Events", Part::normalEvents)).append('\n');
            table.append(summary("without Normal Events", part -> !part.normalEvents()));
            return table.toString();
        }

        private String summary(String which, Predicate<Part> filter) {
            List<Double> ratios = parts.stream().filter(filter).map(Part::ratio).sorted().toList();
            if (ratios.isEmpty()) {
                return "No part " + which + ".";
            }
            return String.format(Locale.ROOT, "Parts %s: ratio %.0f %% on average (%.0f–%.0f %%, %d part%s).", which,
                    100 * ratios.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), 100 * ratios.getFirst(),
                    100 * ratios.getLast(), ratios.size(), ratios.size() == 1 ? "" : "s");
        }
    }

    static Result run(ControlPlane plane, KubernetesClient client, ControlPlaneLoad load, int pods, int parts,
            int workers, Progress progress) throws Exception {
        progress.step(String.format(Locale.ROOT, "The status ratio in %d parts of %,d pods, each between two ceilings "
                + "of its size", parts, pods));
        String ceilingNamespace = NodeBenchmark.namespace(client, "capstan-bench-ceiling");
        // A Node without an agent: the pod garbage collector leaves the ceiling's pods alone (see nodePatchCeiling).
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NodeBenchmark.CEILING_NODE).endMetadata()
                .build()).serverSideApply();
        double ceiling = ceiling(client, load, ceilingNamespace, "p0", pods, progress);
        List<Part> results = new ArrayList<>();
        for (int part = 1; part <= parts; part++) {
            boolean normalEvents = part % 2 == 1;
            String namespace = NodeBenchmark.namespace(client, "capstan-bench-part-" + part);
            String node = "bench-part-" + part;
            NodeBenchmark.Burst burst = NodeBenchmark.burst(plane, client, load, namespace, node, pods, normalEvents,
                    workers, progress);
            NodeBenchmark.deleteNamespace(client, namespace, progress);
            NodeBenchmark.deleteNode(client, node);
            double after = ceiling(client, load, ceilingNamespace, "p" + part, pods, progress);
            results.add(new Part(normalEvents, ceiling, burst.statusWritesPerSecond(), after));
            progress.step(results.getLast().row(part));
            ceiling = after;
        }
        return new Result(pods, results);
    }

    private static double ceiling(KubernetesClient client, ControlPlaneLoad load, String namespace, String prefix,
            int pods, Progress progress) throws Exception {
        NodeBenchmark.WriterRun run = NodeBenchmark.nodePatchThroughput(client, namespace, prefix, pods);
        progress.step(String.format(Locale.ROOT, "  API server ceiling now: %.0f status updates/s with the node's patch "
                + "(%,d pods); the writer's JVM used %.2f ms of CPU per write; cores: %s", run.perSecond(), pods,
                run.cpuMillisPerWrite(), load.average(run.from(), run.to())));
        return run.perSecond();
    }
}
