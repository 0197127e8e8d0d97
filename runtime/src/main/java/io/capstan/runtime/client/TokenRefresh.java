package io.capstan.runtime.client;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.utils.TokenRefreshInterceptor;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * fabric8's token refresh, at most once a minute, whatever the refresh finds.
 *
 * <p>fabric8's {@link TokenRefreshInterceptor} re-reads the client's configuration when a minute has passed since
 * it last found a token. A client that authenticates with a certificate never finds one, so from its second minute on
 * it re-read the configuration before every request: the kubeconfig file parsed as YAML for each status write took
 * 16 % of a busy node's CPU. Here the refresh is due once a minute from the previous attempt; in between, fabric8's
 * interceptor only sets the header from the token already known. A refusal with 401 still refreshes at once.
 */
final class TokenRefresh implements Interceptor {

    static final Duration INTERVAL = Duration.ofMinutes(1);

    /** Far enough ahead that the steady interceptor never finds its own refresh due. */
    private static final Instant NEVER = Instant.parse("9999-01-01T00:00:00Z");

    private final Config config;
    private final HttpClient.Factory factory;
    private final LongSupplier nanoClock;
    private final TokenRefreshInterceptor steady;
    private final AtomicLong nextRefresh;

    TokenRefresh(Config config, HttpClient.Factory factory) {
        this(config, factory, System::nanoTime);
    }

    TokenRefresh(Config config, HttpClient.Factory factory, LongSupplier nanoClock) {
        this.config = config;
        this.factory = factory;
        this.nanoClock = nanoClock;
        this.steady = new TokenRefreshInterceptor(config, factory, NEVER);
        this.nextRefresh = new AtomicLong(nanoClock.getAsLong() + INTERVAL.toNanos());
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        long now = nanoClock.getAsLong();
        long due = nextRefresh.get();
        if (now - due >= 0 && nextRefresh.compareAndSet(due, now + INTERVAL.toNanos())) {
            refreshingNow().before(builder, request, tags);
        } else {
            steady.before(builder, request, tags);
        }
    }

    @Override
    public CompletableFuture<Boolean> afterFailure(BasicBuilder builder, HttpResponse<?> response, RequestTags tags) {
        return refreshingNow().afterFailure(builder, response, tags);
    }

    /** An interceptor whose refresh is due: it refreshes on its first use (it is used once). */
    private TokenRefreshInterceptor refreshingNow() {
        return new TokenRefreshInterceptor(config, factory, Instant.EPOCH);
    }
}
