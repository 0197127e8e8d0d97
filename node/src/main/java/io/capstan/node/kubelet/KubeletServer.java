package io.capstan.node.kubelet;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.node.api.ContainerLogOptions;
import io.capstan.node.api.InvalidInputException;
import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.NotImplementedException;
import io.capstan.node.api.Provider;
import io.capstan.node.api.StatsSummary;
import io.capstan.runtime.http.HttpExchange;
import io.capstan.runtime.http.HttpHandler;
import io.capstan.runtime.http.HttpServer;
import io.capstan.runtime.http.HttpStatusException;
import io.capstan.runtime.http.Router;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The kubelet HTTPS API of a virtual node, on the process's Netty server: {@code /pods}, {@code /runningpods/},
 * {@code /containerLogs}, {@code /exec}, {@code /attach}, {@code /portForward}, {@code /stats/summary} and
 * {@code /metrics/resource}. The API server reaches it for {@code kubectl logs/exec/attach/port-forward} and
 * {@code nodes/<node>/proxy}. Every request is authenticated and authorized by {@link KubeletAuth}. A hook the
 * provider does not offer answers 501; an unknown path 404.
 */
public final class KubeletServer implements AutoCloseable {

    /** Exec/attach protocols in order of preference; the client's order decides among them. */
    static final List<String> STREAM_PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
            "v2.channel.k8s.io", "channel.k8s.io");
    static final String PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
    /** The same over WebSocket, as the kubelet offers them (fabric8's clients ask for v4.channel.k8s.io). */
    static final List<String> WEBSOCKET_STREAM_PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io",
            "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io");
    static final List<String> WEBSOCKET_PORT_FORWARD_PROTOCOLS = List.of("v4.channel.k8s.io",
            "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io");
    private static final Set<String> TRUE = Set.of("true", "1", "t", "True", "TRUE");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Provider provider;
    private final Supplier<List<Pod>> nodePods;
    private final KubeletAuth auth;
    private final String nodeName;
    private final KubernetesSerialization serialization;
    private final Duration streamCreationTimeout;
    private final HttpServer server;

    public KubeletServer(InetSocketAddress bind, Supplier<SslContext> tls, Provider provider, Supplier<List<Pod>> nodePods,
            KubeletAuth auth, String nodeName, KubernetesSerialization serialization, Duration streamCreationTimeout)
            throws IOException {
        this.provider = provider;
        this.nodePods = nodePods;
        this.auth = auth;
        this.nodeName = nodeName;
        this.serialization = serialization;
        this.streamCreationTimeout = streamCreationTimeout;
        Set<HttpMethod> getOrPost = Set.of(HttpMethod.GET, HttpMethod.POST);
        Router router = new Router()
                .get("/pods", guarded(this::pods))
                .get("/runningpods", guarded(this::runningPods))
                .get("/containerLogs/{namespace}/{pod}/{container}", guarded(this::logs))
                .route(getOrPost, "/exec/{namespace}/{pod}/{container}", guarded(e -> stream(e, true)))
                .route(getOrPost, "/attach/{namespace}/{pod}/{container}", guarded(e -> stream(e, false)))
                .route(getOrPost, "/portForward/{namespace}/{pod}", guarded(this::portForward))
                .get("/stats/summary", guarded(this::statsSummary))
                .get("/metrics/resource", guarded(this::metricsResource));
        this.server = HttpServer.startTls(bind, router, tls);
    }

    public int port() {
        return server.port();
    }

    /** Authenticates and authorizes, then maps provider errors to HTTP statuses. */
    private HttpHandler guarded(HttpHandler handler) {
        return exchange -> {
            auth.check(exchange);
            try {
                handler.handle(exchange);
            } catch (NotFoundException e) {
                throw new HttpStatusException(404, e.getMessage());
            } catch (InvalidInputException e) {
                throw new HttpStatusException(400, e.getMessage());
            } catch (NotImplementedException e) {
                throw new HttpStatusException(501, e.getMessage());
            }
        };
    }

    private void pods(HttpExchange exchange) {
        exchange.respondJson(200, serialization.asJson(new PodListBuilder().withItems(nodePods.get()).build()));
    }

    private void runningPods(HttpExchange exchange) throws Exception {
        exchange.respondJson(200, serialization.asJson(new PodListBuilder().withItems(provider.getPods()).build()));
    }

    private void logs(HttpExchange exchange) throws Exception {
        ContainerLogOptions options = logOptions(exchange);
        InputStream log = provider.containerLogs(exchange.pathVariable("namespace"), exchange.pathVariable("pod"),
                exchange.pathVariable("container"), options);
        try (log; OutputStream out = exchange.stream(200, "text/plain")) {
            exchange.onClose(() -> closeQuietly(log));
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = log.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // the client stopped following
        }
    }

    /** The kubelet's log query parameters, validated the same way: bad values are a 400. */
    static ContainerLogOptions logOptions(HttpExchange exchange) {
        Integer tail = intParam(exchange, "tailLines", 0);
        Long limit = exchange.queryParam("limitBytes") == null ? null : (long) intParam(exchange, "limitBytes", 1);
        Integer sinceSeconds = intParam(exchange, "sinceSeconds", 1);
        String sinceTime = exchange.queryParam("sinceTime");
        if (sinceSeconds != null && sinceTime != null) {
            throw HttpStatusException.badRequest("at most one of sinceTime or sinceSeconds may be specified");
        }
        Instant since = null;
        if (sinceSeconds != null) {
            since = Instant.now().minusSeconds(sinceSeconds);
        } else if (sinceTime != null) {
            try {
                since = Instant.parse(sinceTime);
            } catch (DateTimeParseException e) {
                throw HttpStatusException.badRequest("sinceTime '" + sinceTime + "' is not an RFC 3339 time");
            }
        }
        return new ContainerLogOptions(tail, limit, since, flag(exchange, "timestamps"), flag(exchange, "follow"),
                flag(exchange, "previous"));
    }

    private static Integer intParam(HttpExchange exchange, String name, int minimum) {
        String value = exchange.queryParam(name);
        if (value == null) {
            return null;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < minimum) {
                throw HttpStatusException.badRequest(name + " must be >= " + minimum + ", got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw HttpStatusException.badRequest(name + " must be an integer, got '" + value + "'");
        }
    }

    private static boolean flag(HttpExchange exchange, String name) {
        String value = exchange.queryParam(name);
        return value != null && TRUE.contains(value);
    }

    private void stream(HttpExchange exchange, boolean exec) {
        List<String> command = exchange.queryParams("command");
        if (exec && command.isEmpty()) {
            throw HttpStatusException.badRequest("you must specify at least one command for the container");
        }
        boolean stdin = flag(exchange, "input");
        boolean stdout = flag(exchange, "output");
        boolean stderr = flag(exchange, "error");
        boolean tty = flag(exchange, "tty");
        if (!stdin && !stdout && !stderr) {
            throw HttpStatusException.badRequest("you must specify at least 1 of stdin, stdout, stderr");
        }
        if (tty && stderr) {
            // kubectl never asks for both; with a TTY the output is one stream
            stderr = false;
        }
        RemoteCommand.Request request = new RemoteCommand.Request(exchange.pathVariable("namespace"),
                exchange.pathVariable("pod"), exchange.pathVariable("container"), exec ? command : List.of(), stdin,
                stdout, stderr, tty);
        if (WebSocketChannels.isUpgrade(exchange)) {
            WebSocketChannels.accept(exchange, WEBSOCKET_STREAM_PROTOCOLS,
                    (protocol, ws) -> WebSocketSessions.exec(provider, request, protocol, ws));
            return;
        }
        String protocol = negotiate(exchange, STREAM_PROTOCOLS, "channel.k8s.io");
        upgrade(exchange, protocol, pipeline -> SpdyConnection.install(pipeline,
                new ExecSession(provider, request, protocol, pipeline.channel(), streamCreationTimeout)));
    }

    private void portForward(HttpExchange exchange) {
        String namespace = exchange.pathVariable("namespace");
        String pod = exchange.pathVariable("pod");
        if (WebSocketChannels.isUpgrade(exchange)) {
            List<Integer> ports = webSocketPorts(exchange);
            WebSocketChannels.accept(exchange, WEBSOCKET_PORT_FORWARD_PROTOCOLS,
                    (protocol, ws) -> WebSocketSessions.portForward(provider, namespace, pod, ports, ws));
            return;
        }
        String protocol = negotiate(exchange, List.of(PORT_FORWARD_PROTOCOL), PORT_FORWARD_PROTOCOL);
        upgrade(exchange, protocol, pipeline -> SpdyConnection.install(pipeline,
                new PortForwardSession(provider, namespace, pod, pipeline.channel())));
    }

    /** The ports of a WebSocket port-forward: query parameters {@code port} (the kubelet's) or {@code ports}. */
    static List<Integer> webSocketPorts(HttpExchange exchange) {
        List<String> values = new ArrayList<>(exchange.queryParams("port"));
        values.addAll(exchange.queryParams("ports"));
        if (values.isEmpty()) {
            throw HttpStatusException.badRequest("query parameter \"port\" is required");
        }
        List<Integer> ports = new ArrayList<>();
        for (String value : values) {
            for (String part : value.split(",")) {
                try {
                    int port = Integer.parseInt(part.trim());
                    if (port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                    ports.add(port);
                } catch (NumberFormatException e) {
                    throw HttpStatusException.badRequest("unable to parse \"" + value + "\" as a port (1-65535)");
                }
            }
        }
        return ports;
    }

    /** Picks the client's most preferred protocol that is supported; none offered means the legacy default. */
    private static String negotiate(HttpExchange exchange, List<String> supported, String legacy) {
        String upgrade = exchange.headers().get("Upgrade");
        if (upgrade == null || !upgrade.equalsIgnoreCase("SPDY/3.1")) {
            throw HttpStatusException.badRequest("unable to upgrade: only SPDY/3.1 and WebSocket upgrades are supported, got '"
                    + upgrade + "'");
        }
        List<String> offered = new ArrayList<>();
        for (String header : exchange.headers().getAll("X-Stream-Protocol-Version")) {
            for (String value : header.split(",")) {
                if (!value.isBlank()) {
                    offered.add(value.trim());
                }
            }
        }
        if (offered.isEmpty()) {
            return legacy;
        }
        return offered.stream().filter(supported::contains).findFirst().orElseThrow(() -> new HttpStatusException(403,
                "unable to upgrade: unable to negotiate protocol: client supports " + offered + ", server supports "
                        + supported));
    }

    private static void upgrade(HttpExchange exchange, String protocol,
            java.util.function.Consumer<io.netty.channel.ChannelPipeline> installer) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set("Connection", "Upgrade");
        headers.set("Upgrade", "SPDY/3.1");
        headers.set("X-Stream-Protocol-Version", protocol);
        exchange.upgrade(headers, installer);
    }

    private void statsSummary(HttpExchange exchange) throws Exception {
        exchange.respondJson(200, JSON.writeValueAsString(provider.statsSummary()));
    }

    private void metricsResource(HttpExchange exchange) throws Exception {
        exchange.respond(200, "text/plain; version=0.0.4",
                ResourceMetrics.render(provider.statsSummary()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    String nodeName() {
        return nodeName;
    }

    @Override
    public void close() {
        server.close();
    }

    /** Prometheus rendering of a summary, with the kubelet's metric and label names (what metrics-server reads). */
    static final class ResourceMetrics {
        private ResourceMetrics() {
        }

        static String render(StatsSummary summary) {
            StringBuilder out = new StringBuilder();
            long now = System.currentTimeMillis();
            header(out, "container_cpu_usage_seconds_total", "Cumulative cpu time consumed by the container in core-seconds", "counter");
            for (var pod : summary.pods()) {
                for (var container : pod.containers()) {
                    if (container.cpu() != null && container.cpu().usageCoreNanoSeconds() != null) {
                        sample(out, "container_cpu_usage_seconds_total", containerLabels(pod, container.name()),
                                container.cpu().usageCoreNanoSeconds() / 1e9, now);
                    }
                }
            }
            header(out, "container_memory_working_set_bytes", "Current working set of the container in bytes", "gauge");
            for (var pod : summary.pods()) {
                for (var container : pod.containers()) {
                    if (container.memory() != null && container.memory().workingSetBytes() != null) {
                        sample(out, "container_memory_working_set_bytes", containerLabels(pod, container.name()),
                                container.memory().workingSetBytes(), now);
                    }
                }
            }
            header(out, "node_cpu_usage_seconds_total", "Cumulative cpu time consumed by the node in core-seconds", "counter");
            if (summary.node().cpu() != null && summary.node().cpu().usageCoreNanoSeconds() != null) {
                sample(out, "node_cpu_usage_seconds_total", "", summary.node().cpu().usageCoreNanoSeconds() / 1e9, now);
            }
            header(out, "node_memory_working_set_bytes", "Current working set of the node in bytes", "gauge");
            if (summary.node().memory() != null && summary.node().memory().workingSetBytes() != null) {
                sample(out, "node_memory_working_set_bytes", "", summary.node().memory().workingSetBytes(), now);
            }
            header(out, "pod_cpu_usage_seconds_total", "Cumulative cpu time consumed by the pod in core-seconds", "counter");
            for (var pod : summary.pods()) {
                if (pod.cpu() != null && pod.cpu().usageCoreNanoSeconds() != null) {
                    sample(out, "pod_cpu_usage_seconds_total", podLabels(pod), pod.cpu().usageCoreNanoSeconds() / 1e9, now);
                }
            }
            header(out, "pod_memory_working_set_bytes", "Current working set of the pod in bytes", "gauge");
            for (var pod : summary.pods()) {
                if (pod.memory() != null && pod.memory().workingSetBytes() != null) {
                    sample(out, "pod_memory_working_set_bytes", podLabels(pod), pod.memory().workingSetBytes(), now);
                }
            }
            header(out, "scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", "gauge");
            out.append("scrape_error 0\n");
            return out.toString();
        }

        private static void header(StringBuilder out, String name, String help, String type) {
            out.append("# HELP ").append(name).append(" [ALPHA] ").append(help).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        }

        private static void sample(StringBuilder out, String name, String labels, double value, long timestamp) {
            out.append(name);
            if (!labels.isEmpty()) {
                out.append('{').append(labels).append('}');
            }
            out.append(' ').append(value).append(' ').append(timestamp).append('\n');
        }

        private static String containerLabels(StatsSummary.PodStats pod, String container) {
            return "container=\"" + container + "\"," + podLabels(pod);
        }

        private static String podLabels(StatsSummary.PodStats pod) {
            return "namespace=\"" + pod.podRef().namespace() + "\",pod=\"" + pod.podRef().name() + "\"";
        }
    }
}
