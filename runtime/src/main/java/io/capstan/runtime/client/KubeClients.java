package io.capstan.runtime.client;

import io.capstan.runtime.queue.TokenBucketRateLimiter;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.utils.TokenRefreshInterceptor;
import io.fabric8.kubernetes.client.utils.Utils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Builds API clients the way Go controllers find their cluster: {@code --kubeconfig}, then {@code $KUBECONFIG},
 * then {@code ~/.kube/config}, then the in-cluster service account. No client-side rate limit unless asked for
 * (like controller-runtime since v0.21, relying on API Priority and Fairness).
 */
public final class KubeClients {

    private static final String HTTP2_DISABLE = "kubernetes." + Config.KUBERNETES_HTTP2_DISABLE;

    private KubeClients() {
    }

    /**
     * @param kubeconfig an explicit kubeconfig file, or null to search as described above
     * @param qps client-side requests per second, or 0 for none
     * @param burst client-side burst when {@code qps > 0}
     */
    public static KubernetesClient create(Path kubeconfig, double qps, int burst) {
        return create(loadConfig(kubeconfig), qps, burst);
    }

    public static KubernetesClient create(Config config, double qps, int burst) {
        if (qps <= 0) {
            return builder(config).build();
        }
        TokenBucketRateLimiter<Object> bucket = new TokenBucketRateLimiter<>(qps, Math.max(1, burst));
        return builder(config, http -> http.addOrReplaceInterceptor("capstan-qps", new Throttle(bucket))).build();
    }

    /**
     * A builder with Capstan's client settings: {@link ClientSerialization}, {@link TokenRefresh}, and HTTP/2 where the
     * server offers it ({@link ClientTransport}) unless the config disables it ({@code KUBERNETES_HTTP2_DISABLE}).
     */
    public static KubernetesClientBuilder builder(Config config) {
        return builder(config, http -> {
        });
    }

    /**
     * The same, for callers that add to the HTTP client (interceptors): fabric8's builder keeps one such consumer, so
     * it is given here rather than set on the builder returned.
     */
    public static KubernetesClientBuilder builder(Config config, Consumer<HttpClient.Builder> http) {
        HttpClient.Factory factory = new ClientTransport(!http2Disabled(config));
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(factory)
                .withKubernetesSerialization(ClientSerialization.serialization())
                .withHttpClientBuilderConsumer(builder -> {
                    builder.addOrReplaceInterceptor(TokenRefreshInterceptor.NAME, new TokenRefresh(config, factory));
                    http.accept(builder);
                });
    }

    /**
     * fabric8's switch, in the config or as {@code KUBERNETES_HTTP2_DISABLE=true} (which fabric8 itself reads only when
     * it auto-configures, not for a kubeconfig given to it).
     */
    private static boolean http2Disabled(Config config) {
        return config.isHttp2Disable() || Utils.getSystemPropertyOrEnvVar(HTTP2_DISABLE, false);
    }

    public static Config loadConfig(Path kubeconfig) {
        if (kubeconfig == null) {
            Config config = Config.autoConfigure(null);
            return withoutClientThrottling(config);
        }
        if (!Files.isRegularFile(kubeconfig)) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " does not exist or is not a file");
        }
        try {
            return withoutClientThrottling(Config.fromKubeconfig(null, Files.readString(kubeconfig),
                    kubeconfig.toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, e);
        }
    }

    /** Raises fabric8's default of 64 concurrent requests, which would otherwise act as a hidden throttle. */
    private static Config withoutClientThrottling(Config config) {
        return new ConfigBuilder(config).withMaxConcurrentRequests(4096).withMaxConcurrentRequestsPerHost(4096).build();
    }

    /**
     * Fails fast, with a message a user can act on, when the configured API server cannot be reached.
     *
     * @throws ClusterUnreachableException if no answer arrives within the timeout
     */
    public static void verifyReachable(Config config, Duration timeout) {
        Config probe = new ConfigBuilder(config)
                .withRequestRetryBackoffLimit(0)
                .withConnectionTimeout((int) timeout.toMillis())
                .withRequestTimeout((int) timeout.toMillis())
                .build();
        try (KubernetesClient client = builder(probe).build()) {
            client.getKubernetesVersion();
        } catch (RuntimeException e) {
            throw new ClusterUnreachableException(config.getMasterUrl(), rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** Blocks each request until the token bucket allows it. */
    private record Throttle(TokenBucketRateLimiter<Object> bucket) implements Interceptor {
        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            bucket.acquire();
        }
    }
}
