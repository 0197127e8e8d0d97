package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.HttpClientUtils;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenRefreshTest {

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @Test
    void aClientWithoutTokenReadsItsKubeconfigAtMostOnceAMinute() throws Exception {
        Path kubeconfig = writeKubeconfig(null);
        TokenRefresh refresh = new TokenRefresh(KubeClients.loadConfig(kubeconfig), HttpClientUtils.getHttpClientFactory(),
                clock::get);

        assertThat(authorization(refresh)).isNull();
        writeKubeconfig("second");
        advance(Duration.ofSeconds(59));
        // fabric8's own interceptor re-read the file here, and before every request after its first minute
        assertThat(authorization(refresh)).as("not re-read within the minute").isNull();

        advance(Duration.ofSeconds(2));
        assertThat(authorization(refresh)).as("re-read once the minute has passed").isEqualTo("Bearer second");

        writeKubeconfig("third");
        advance(Duration.ofSeconds(30));
        assertThat(authorization(refresh)).as("the token found is used until the next minute").isEqualTo("Bearer second");
        advance(Duration.ofSeconds(31));
        assertThat(authorization(refresh)).isEqualTo("Bearer third");
    }

    @Test
    void aRefusalWith401RefreshesAtOnce() throws Exception {
        Path kubeconfig = writeKubeconfig(null);
        TokenRefresh refresh = new TokenRefresh(KubeClients.loadConfig(kubeconfig), HttpClientUtils.getHttpClientFactory(),
                clock::get);
        writeKubeconfig("rotated");

        Headers retry = new Headers();
        assertThat(refresh.afterFailure(retry, response(401), null).get()).as("retry with the new token").isTrue();
        assertThat(retry.values.get("Authorization")).isEqualTo("Bearer rotated");
        assertThat(authorization(refresh)).isEqualTo("Bearer rotated");
        assertThat(refresh.afterFailure(new Headers(), response(409), null).get()).as("other refusals are not retried")
                .isFalse();
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    private static String authorization(TokenRefresh refresh) {
        Headers headers = new Headers();
        refresh.before(headers, null, null);
        return headers.values.get("Authorization");
    }

    /** A kubeconfig whose user has a client certificate and, when given, a token. */
    private Path writeKubeconfig(String token) throws Exception {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: c
                  cluster:
                    server: https://127.0.0.1:6443
                contexts:
                - name: c
                  context:
                    cluster: c
                    user: u
                current-context: c
                users:
                - name: u
                  user:
                    client-certificate-data: Y2VydA==
                    client-key-data: a2V5
                """ + (token == null ? "" : "    token: " + token + "\n"));
        return file;
    }

    private static final class Headers implements BasicBuilder {
        final Map<String, String> values = new HashMap<>();

        @Override
        public BasicBuilder uri(URI uri) {
            return this;
        }

        @Override
        public BasicBuilder header(String name, String value) {
            values.put(name, value);
            return this;
        }

        @Override
        public BasicBuilder setHeader(String name, String value) {
            values.put(name, value);
            return this;
        }
    }

    private static HttpResponse<String> response(int code) {
        return new HttpResponse<>() {
            @Override
            public int code() {
                return code;
            }

            @Override
            public String body() {
                return "";
            }

            @Override
            public HttpRequest request() {
                return null;
            }

            @Override
            public Optional<HttpResponse<?>> previousResponse() {
                return Optional.empty();
            }

            @Override
            public List<String> headers(String key) {
                return List.of();
            }

            @Override
            public Map<String, List<String>> headers() {
                return Map.of();
            }
        };
    }
}
