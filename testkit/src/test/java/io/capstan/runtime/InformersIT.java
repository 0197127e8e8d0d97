package io.capstan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.runtime.informer.Informers;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
