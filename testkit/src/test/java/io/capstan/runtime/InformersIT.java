package io.capstan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.runtime.informer.Informers;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import io.fabric8.kubernetes.client.http.WebSocket;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** What the shared informers ask of the API server. */
@EmbeddedCluster
class InformersIT {

    /** Records the timeout of every LIST of ConfigMaps a client sends (watches and other requests aside). */
    private static final class ListTimeouts implements Interceptor {
        final List<Duration> seen = new CopyOnWriteArrayList<>();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
            if ("GET".equals(request.method()) && request.uri().getPath().endsWith("/configmaps")
                    && !query.contains("watch=true") && request instanceof StandardHttpRequest standard) {
                seen.add(standard.getTimeout());
            }
        }
    }

    /** Records whether each watch of ConfigMaps a client starts is a WebSocket or a plain HTTP stream. */
    private static final class WatchTransports implements Interceptor {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
            if (request.uri().getPath().endsWith("/configmaps") && query.contains("watch=true")) {
                seen.add(builder instanceof WebSocket.Builder ? "websocket" : "http");
            }
        }
    }

    /**
     * The informers watch over HTTP streams, as client-go does, and every change arrives intact: events larger than
     * one chunk, characters split between chunks, updates in quick succession, deletions, and only what the selector
     * asks for.
     */
    @Test
    void watchesAreHttpStreamsThatCarryEveryChangeIntact(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        WatchTransports transports = new WatchTransports();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.config())
                .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("watches", transports)).build();
                Informers informers = new Informers(client, namespace.name())) {
            SharedIndexInformer<ConfigMap> watched = informers.informer(ConfigMap.class, Selectors.labels("watched=yes"));
            informers.startAndSync(Duration.ofSeconds(30));
            var configMaps = client.configMaps().inNamespace(namespace.name());
            String text = "grüße – 数据 ".repeat(4_000); // ~76 KB, multi-byte characters throughout
            int count = 40;
            for (int i = 0; i < count; i++) {
                configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("cm-" + i)
                        .addToLabels("watched", i % 4 == 3 ? "no" : "yes").endMetadata()
                        .addToData("text", text).build()).create();
            }
            for (int i = 0; i < count; i++) {
                String name = "cm-" + i;
                for (int version = 1; version <= 3; version++) {
                    int v = version;
                    configMaps.withName(name).edit(cm -> new ConfigMapBuilder(cm).addToData("version", "v" + v)
                            .addToData("text", v + text).build());
                }
                if (i % 4 == 1) {
                    configMaps.withName(name).delete();
                }
            }

            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                var cached = watched.getStore().list();
                assertThat(cached).extracting(cm -> cm.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, count).filter(i -> i % 4 == 0 || i % 4 == 2).mapToObj(i -> "cm-" + i)
                                .toList());
                assertThat(cached).allSatisfy(cm -> {
                    assertThat(cm.getData()).containsEntry("version", "v3").containsEntry("text", 3 + text);
                    assertThat(cm.getMetadata().getResourceVersion()).isEqualTo(
                            configMaps.withName(cm.getMetadata().getName()).get().getMetadata().getResourceVersion());
                });
            });
            assertThat(transports.seen).as("the informer's watches").isNotEmpty().containsOnly("http");
        }
    }

    /**
     * A LIST of thousands of objects on a saturated server can take longer than the client's 10 s request timeout;
     * the informers wait as long as the server itself allows a request (one minute), and nothing else changes.
     */
    @Test
    void listsWaitAsLongAsTheApiServerAllowsARequest(TestCluster cluster, TestNamespace namespace) throws Exception {
        ListTimeouts timeouts = new ListTimeouts();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.config())
                .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("list-timeouts", timeouts)).build();
                Informers informers = new Informers(client, namespace.name())) {
            informers.informer(ConfigMap.class);
            informers.startAndSync(Duration.ofSeconds(30));
            assertThat(timeouts.seen).as("the informer's list").isNotEmpty().allMatch(Duration.ofMinutes(1)::equals);

            timeouts.seen.clear();
            client.configMaps().inNamespace(namespace.name()).list();
            assertThat(timeouts.seen).as("the client's own list").containsExactly(Duration.ofSeconds(10));
        }
    }
}
