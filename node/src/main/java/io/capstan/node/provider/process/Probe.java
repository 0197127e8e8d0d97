package io.capstan.node.provider.process;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Runs one of a container's probes with the kubelet's semantics: after {@code initialDelaySeconds}, every
 * {@code periodSeconds} a check with a {@code timeoutSeconds} deadline; {@code successThreshold} consecutive
 * successes make it pass, {@code failureThreshold} consecutive failures make it fail.
 */
final class Probe {

    enum Kind {
        STARTUP,
        LIVENESS,
        READINESS
    }

    /** Reacts to the probe's verdicts. */
    interface Listener {
        void passed(Kind kind);

        void failed(Kind kind, String reason);
    }

    /** Runs an exec probe's command in the container; returns the exit code. */
    interface Executor {
        int run(List<String> command, Duration timeout) throws Exception;
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .sslContext(trustAll()).build();

    private final Kind kind;
    private final io.fabric8.kubernetes.api.model.Probe spec;
    private final List<ContainerPort> ports;
    private final Executor executor;
    private final Listener listener;
    private volatile boolean stopped;
    private Thread loop;

    Probe(Kind kind, io.fabric8.kubernetes.api.model.Probe spec, List<ContainerPort> ports, Executor executor,
            Listener listener) {
        this.kind = kind;
        this.spec = spec;
        this.ports = ports == null ? List.of() : ports;
        this.executor = executor;
        this.listener = listener;
    }

    void start() {
        loop = Thread.ofVirtual().name("probe-" + kind.name().toLowerCase(Locale.ROOT)).start(this::run);
    }

    void stop() {
        stopped = true;
        if (loop != null) {
            loop.interrupt();
        }
    }

    private void run() {
        int period = positive(spec.getPeriodSeconds(), 10);
        int successThreshold = positive(spec.getSuccessThreshold(), 1);
        int failureThreshold = positive(spec.getFailureThreshold(), 3);
        int successes = 0;
        int failures = 0;
        try {
            Thread.sleep(Duration.ofSeconds(spec.getInitialDelaySeconds() == null ? 0 : spec.getInitialDelaySeconds()));
            while (!stopped) {
                String failure = check();
                if (failure == null) {
                    failures = 0;
                    if (++successes >= successThreshold) {
                        listener.passed(kind);
                        if (kind == Kind.STARTUP) {
                            return;
                        }
                    }
                } else {
                    successes = 0;
                    if (++failures >= failureThreshold) {
                        listener.failed(kind, failure);
                        if (kind != Kind.READINESS) {
                            return;
                        }
                    }
                }
                Thread.sleep(Duration.ofSeconds(period));
            }
        } catch (InterruptedException e) {
            // stopped
        }
    }

    /** One check: null when it succeeded, else why it failed. */
    String check() throws InterruptedException {
        Duration timeout = Duration.ofSeconds(positive(spec.getTimeoutSeconds(), 1));
        try {
            if (spec.getExec() != null) {
                int code = executor.run(spec.getExec().getCommand(), timeout);
                return code == 0 ? null : "command " + spec.getExec().getCommand() + " exited with " + code;
            }
            if (spec.getHttpGet() != null) {
                var get = spec.getHttpGet();
                String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase(Locale.ROOT);
                String host = get.getHost() == null || get.getHost().isEmpty() ? "127.0.0.1" : get.getHost();
                String path = get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath();
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://" + host + ":"
                        + port(get.getPort()) + (path.startsWith("/") ? path : "/" + path))).timeout(timeout);
                request.header("User-Agent", "kube-probe/capstan");
                for (HTTPHeader header : get.getHttpHeaders() == null ? List.<HTTPHeader>of() : get.getHttpHeaders()) {
                    request.header(header.getName(), header.getValue());
                }
                int status = HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                return status >= 200 && status < 400 ? null : "HTTP probe failed with statuscode: " + status;
            }
            if (spec.getTcpSocket() != null) {
                var tcp = spec.getTcpSocket();
                String host = tcp.getHost() == null || tcp.getHost().isEmpty() ? "127.0.0.1" : tcp.getHost();
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(host, port(tcp.getPort())), (int) timeout.toMillis());
                }
                return null;
            }
            return "the probe has no handler (exec, httpGet or tcpSocket)";
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** A numeric port, or a named container port. */
    private int port(IntOrString port) throws IOException {
        if (port == null) {
            throw new IOException("the probe names no port");
        }
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        for (ContainerPort candidate : ports) {
            if (port.getStrVal().equals(candidate.getName())) {
                return candidate.getContainerPort();
            }
        }
        throw new IOException("the container has no port named " + port.getStrVal());
    }

    private static int positive(Integer value, int fallback) {
        return value == null || value < 1 ? fallback : value;
    }

    /** Probes, like the kubelet's, do not verify certificates. */
    private static SSLContext trustAll() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
