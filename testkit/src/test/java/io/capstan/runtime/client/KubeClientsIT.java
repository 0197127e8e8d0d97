package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The protocol Capstan's clients speak to the API server. */
@EmbeddedCluster
class KubeClientsIT {

    private static final int WATCHES = 8;

    @Test
    void watchesOneAfterAnotherShareOneHttp2Connection(TestCluster cluster, TestNamespace namespace) throws Exception {
        try (KubernetesClient client = KubeClients.create(cluster.config(), 0, 0)) {
            assertThat(connectionsWhileWatching(client, cluster, namespace, WATCHES)).isEqualTo(1);
            // and the connection carries ordinary requests as well
            assertCarriesRequests(client, namespace, "over-http2");
        }
    }

    @Test
    void streamsBeyondOneConnectionsCapOpenASecond(TestCluster cluster, TestNamespace namespace) throws Exception {
        int watches = ClientTransport.STREAMS_PER_CONNECTION + WATCHES;
        try (KubernetesClient client = KubeClients.create(cluster.config(), 0, 0)) {
            assertThat(connectionsWhileWatching(client, cluster, namespace, watches)).isEqualTo(2);
        }
    }

    /**
     * A burst of concurrent requests spreads over a few connections, so that one connection's event loop (and the
     * server's goroutine for it) does not serialise a busy client, but never over more than {@link
     * ClientTransport#CONNECTIONS}; ordinary requests still get through while the burst's watches hold their streams.
     */
    @Test
    void aBurstSpreadsOverAFewHttp2Connections(TestCluster cluster, TestNamespace namespace) throws Exception {
        try (KubernetesClient client = KubeClients.create(cluster.config(), 0, 0)) {
            int apiServerPort = URI.create(cluster.config().getMasterUrl()).getPort();
            long before = establishedConnections(apiServerPort);
            int watches = ClientTransport.STREAMS_PER_CONNECTION + WATCHES;
            List<InputStream> open = new ArrayList<>();
            try (var threads = Executors.newFixedThreadPool(watches)) {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<InputStream>> opening = new ArrayList<>();
                for (int i = 0; i < watches; i++) {
                    opening.add(threads.submit(() -> {
                        start.await();
                        return watch(client, cluster, namespace);
                    }));
                }
                start.countDown();
                for (Future<InputStream> watch : opening) {
                    open.add(watch.get(30, TimeUnit.SECONDS));
                }
                assertThat(establishedConnections(apiServerPort) - before).isBetween(2L,
                        (long) ClientTransport.CONNECTIONS);
                assertCarriesRequests(client, namespace, "spread-over-http2");
            } finally {
                closeAll(open);
            }
        }
    }

    @Test
    void fabric8sHttp2DisableGivesOneConnectionPerConcurrentRequest(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        var http11 = new ConfigBuilder(cluster.config()).withHttp2Disable(true).build();
        try (KubernetesClient client = KubeClients.create(http11, 0, 0)) {
            assertThat(connectionsWhileWatching(client, cluster, namespace, WATCHES)).isEqualTo(WATCHES);
        }
    }

    @Test
    void theEnvironmentSwitchWorksForAKubeconfigGivenToTheClient(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        // fabric8 reads KUBERNETES_HTTP2_DISABLE, or this system property, only when it auto-configures
        System.setProperty("kubernetes.http2.disable", "true");
        try (KubernetesClient client = KubeClients.create(cluster.config(), 0, 0)) {
            assertThat(connectionsWhileWatching(client, cluster, namespace, WATCHES)).isEqualTo(WATCHES);
        } finally {
            System.clearProperty("kubernetes.http2.disable");
        }
    }

    private static void assertCarriesRequests(KubernetesClient client, TestNamespace namespace, String name) {
        client.configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(name).endMetadata().build()).create();
        assertThat(client.configMaps().inNamespace(namespace.name()).withName(name).get()).isNotNull();
    }

    /**
     * The connections to the API server this JVM opened while the client opened {@code watches} watches, one after
     * the other (the shared test client has its own connections).
     */
    private static long connectionsWhileWatching(KubernetesClient client, TestCluster cluster, TestNamespace namespace,
            int watches) throws Exception {
        int apiServerPort = URI.create(cluster.config().getMasterUrl()).getPort();
        long before = establishedConnections(apiServerPort);
        List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < watches; i++) {
                open.add(watch(client, cluster, namespace));
            }
            return establishedConnections(apiServerPort) - before;
        } finally {
            closeAll(open);
        }
    }

    private static void closeAll(List<InputStream> watches) throws IOException {
        for (InputStream watch : watches) {
            watch.close();
        }
    }

    /** A watch of the namespace's ConfigMaps: its answer's head arrives at once, its body stays open. */
    private static InputStream watch(KubernetesClient client, TestCluster cluster, TestNamespace namespace)
            throws Exception {
        var http = client.getHttpClient();
        URI uri = URI.create(cluster.config().getMasterUrl()).resolve("/api/v1/namespaces/" + namespace.name()
                + "/configmaps?watch=1&timeoutSeconds=60");
        return http.sendAsync(http.newHttpRequestBuilder().uri(uri).build(), InputStream.class)
                .get(30, TimeUnit.SECONDS).body();
    }

    /** Established TCP connections of this process to a local port, from its socket file descriptors and /proc/net. */
    private static long establishedConnections(int remotePort) throws IOException {
        Set<String> ownSockets = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        ownSockets.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor listing's own descriptor, or one closed since
                }
            });
        }
        String port = String.format(Locale.ROOT, ":%04X", remotePort);
        long count = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) {
                String[] columns = line.trim().split("\\s+");
                // columns: sl, local, remote, state (01 = established), …, inode at index 9
                if (columns[2].endsWith(port) && columns[3].equals("01") && ownSockets.contains(columns[9])) {
                    count++;
                }
            }
        }
        return count;
    }
}
