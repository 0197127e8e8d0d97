package io.capstan.runtime.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ClientGoRequestsTest {

    /** Records the options the informer's lists would carry (its watches are tested against a server: InformersIT). */
    private static final class Recording implements ListerWatcher<Pod, PodList> {
        final List<ListOptions> lists = new ArrayList<>();

        @Override
        public CompletableFuture<AbstractWatchManager<Pod>> submitWatch(ListOptions options, Watcher<Pod> watcher) {
            throw new UnsupportedOperationException("lists only");
        }

        @Override
        public CompletableFuture<PodList> submitList(ListOptions options) {
            lists.add(options);
            return CompletableFuture.completedFuture(new PodList());
        }

        @Override
        public Long getLimit() {
            return 500L;
        }

        @Override
        public int getWatchReconnectInterval() {
            return 1000;
        }

        @Override
        public String getApiEndpointPath() {
            return "/api/v1/pods";
        }

        @Override
        public Config getConfig() {
            return null;
        }
    }

    private final Recording server = new Recording();
    private final ClientGoRequests<Pod, PodList> lists = new ClientGoRequests<>(server);

    @Test
    void theFirstPageIsServedFromTheWatchCacheAndKeepsItsLimitAndSelectors() {
        lists.submitList(new ListOptionsBuilder().withLimit(500L).withFieldSelector("spec.nodeName=n1").build());

        ListOptions sent = server.lists.getFirst();
        assertThat(sent.getResourceVersion()).isEqualTo("0");
        assertThat(sent.getLimit()).isEqualTo(500L);
        assertThat(sent.getFieldSelector()).isEqualTo("spec.nodeName=n1");
    }

    @Test
    void laterPagesAndExplicitVersionsGoThroughUnchanged() {
        lists.submitList(new ListOptionsBuilder().withLimit(500L).withContinue("token").build());
        lists.submitList(new ListOptionsBuilder().withLimit(500L).withResourceVersion("42").build());

        assertThat(server.lists).extracting(ListOptions::getResourceVersion).containsExactly(null, "42");
        assertThat(server.lists.getFirst().getContinue()).isEqualTo("token");
    }
}
