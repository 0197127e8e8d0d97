package io.capstan.bench;

import io.capstan.cluster.Progress;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.informer.Informers;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * What watching the pods costs the API server's status-update throughput: the node's patch, 64 writers, measured in
 * turns — bare, while a raw stream of the pods' watch events is read and thrown away, and while Capstan's informers
 * watch them (decoding every event, as a node does). The turns of one round are a minute or two apart, and the
 * comparison is within a round: this machine's speed drifted by a factor of two within minutes, which one ceiling
 * before and one after a burst cannot tell from the burst's own cost.
 */
public final class WatchCostBenchmark {

    private WatchCostBenchmark() {
    }

    /** Status writes per second in one round's three turns. */
    public record Round(double bare, double rawWatch, double informer) {

        public String row(int number) {
            return String.format(Locale.ROOT, "| %d | %.0f | %.0f (%.0f %%) | %.0f (%.0f %%) |", number, bare, rawWatch,
                    100 * rawWatch / bare, informer, 100 * informer / bare);
        }
    }

    public static String header() {
        return "| round | bare writer, status writes/s | while a raw watch stream is read (ratio to bare) "
                + "| while Capstan's informer watches (ratio to bare) |\n|---:|---:|---:|---:|";
    }

    public static List<Round> runOnFreshCluster(int pods, int rounds, boolean splitCores, Progress progress)
            throws Exception {
        try (FreshCluster cluster = FreshCluster.start("watch", splitCores, progress)) {
            KubernetesClient client = cluster.client;
            ControlPlaneLoad load = cluster.load;
            NodeBenchmark.minimalCeiling(client, progress);
            String namespace = NodeBenchmark.namespace(client, "capstan-bench-watch");
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NodeBenchmark.CEILING_NODE)
                    .endMetadata().build()).serverSideApply();
            progress.step(String.format(Locale.ROOT, "Warming up: %,d status writes", pods));
            NodeBenchmark.nodePatchThroughput(client, namespace, "warm", pods);
            List<Round> results = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                double bare = turn(client, namespace, "b" + round, pods, "bare", load, progress);
                double raw;
                try (RawWatch watch = new RawWatch(client, namespace)) {
                    raw = turn(client, namespace, "r" + round, pods, "a raw watch stream read", load, progress);
                }
                double informer;
                try (Informers informers = new Informers(client, namespace)) {
                    informers.informer(Pod.class);
                    informers.startAndSync(Duration.ofMinutes(1));
                    informer = turn(client, namespace, "i" + round, pods, "Capstan's informer watching", load,
                            progress);
                }
                results.add(new Round(bare, raw, informer));
                progress.step(results.getLast().row(round));
            }
            return results;
        }
    }

    private static double turn(KubernetesClient client, String namespace, String prefix, int pods, String what,
            ControlPlaneLoad load, Progress progress) throws Exception {
        var run = NodeBenchmark.nodePatchThroughput(client, namespace, prefix, pods);
        progress.step(String.format(Locale.ROOT, "  %s: %.0f status writes/s; cores: %s", what, run.perSecond(),
                load.average(run.from(), run.to())));
        return run.perSecond();
    }

    /** The namespace's pod watch as bytes, read as they come and thrown away: the server's side of a watch only. */
    private static final class RawWatch implements AutoCloseable {
        private final CompletableFuture<HttpResponse<AsyncBody>> call;

        RawWatch(KubernetesClient client, String namespace) {
            var http = client.getHttpClient();
            URI watch = URI.create(client.getMasterUrl().toString())
                    .resolve(RawRequests.path(Pod.class, namespace, null) + "?watch=1");
            call = http.consumeBytes(http.newHttpRequestBuilder().uri(watch).forStreaming().build(),
                    (chunks, body) -> body.consume());
            call.thenAccept(response -> response.body().consume());
        }

        @Override
        public void close() {
            call.thenAccept(response -> response.body().cancel());
        }
    }
}
