package io.capstan.lambda.hook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.capstan.lambda.api.CompositeControllerSpec.Webhook;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls a lambda controller's hook as Metacontroller does (its pkg/hooks/webhook.go): {@code POST} of the JSON body
 * with {@code Content-Type: application/json} and a fixed {@code Content-Length} over HTTP/1.1 (the peer's Python
 * example hooks read exactly that many bytes), one timeout for the whole call (10 s unless the hook says otherwise),
 * no retry within a call: a {@code 429} asks for a later call after {@code Retry-After}, anything else but
 * {@code 200} fails the sync.
 */
public final class HookClient {

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = newClient(null);
    /** A client per webhook TLS context (a CA bundle or client certificate of its own). */
    private final Map<javax.net.ssl.SSLContext, HttpClient> tlsClients = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper();
    private final MeterRegistry metrics;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    /**
     * Which call this is, for the metrics Metacontroller exports per hook: {@code metacontroller_<hook>_requests_total
     * {code, method}}, {@code metacontroller_<hook>_request_duration_histogram_seconds{method}} and
     * {@code metacontroller_<hook>_in_flight_requests}, each with the labels {@code url}, {@code controller_name} and
     * {@code controller_type}.
     *
     * @param hook {@code sync}, {@code finalize} or {@code customize}
     * @param controllerType {@code CompositeController} or {@code DecoratorController}
     */
    public record Call(String hook, String controllerType, String controllerName) {
    }

    /** A hook's last answer with its ETag, per object. */
    private record Cached(String etag, String body, long until) {
    }

    private final Map<String, Cached> etags = new ConcurrentHashMap<>();
    private final ServiceRoutes routes;
    private final RouteListener routeListener;
    private final ExchangeListener exchanges;
    /** The address each hook of each controller was last called at, to tell when it changes. */
    private final Map<String, URI> lastTargets = new ConcurrentHashMap<>();

    /** Told when a hook is first called at a Service endpoint, and each time that endpoint changes. */
    public interface RouteListener {
        void routed(Call call, URI url, ServiceRoutes.Route route);
    }

    /** A client that calls every URL as it is. */
    public HookClient(MeterRegistry metrics) {
        this(metrics, new ServiceRoutes(null), (call, url, route) -> { });
    }

    /**
     * @param metrics where the per-hook metrics go
     * @param routes how a hook named by a Service is reached where its name does not resolve
     * @param routeListener told which address such a hook is called at
     */
    public HookClient(MeterRegistry metrics, ServiceRoutes routes, RouteListener routeListener) {
        this(metrics, routes, routeListener, null);
    }

    /** Shown every call's request and answer ({@code capstan hook-test} prints them). */
    public interface ExchangeListener {
        void exchanged(Call call, URI url, JsonNode request, String answer);
    }

    /** @param exchanges shown every request and answer, or null */
    public HookClient(MeterRegistry metrics, ServiceRoutes routes, RouteListener routeListener, ExchangeListener exchanges) {
        this.metrics = metrics;
        this.routes = routes;
        this.routeListener = routeListener;
        this.exchanges = exchanges;
    }

    /** Calls a webhook with its URL, timeout, TLS and authorization, counted as {@code call}. */
    public String call(Webhook webhook, HookSecurity security, JsonNode request, Call call) throws TooManyRequests,
            HookException, InterruptedException {
        return call(webhook, security, request, call, null);
    }

    /**
     * The same, with the webhook's ETag caching when it enables it: the answer for {@code object} (the parent or
     * decorated object, as {@code kind/namespace/name}) is kept with its ETag, the next call sends it as
     * {@code If-None-Match}, and a {@code 304} or {@code 412} answer reuses the kept body.
     */
    public String call(Webhook webhook, HookSecurity security, JsonNode request, Call call, String object)
            throws TooManyRequests, HookException, InterruptedException {
        URI url = url(webhook);
        Tags tags = Tags.of("url", url.toString(), "controller_name", call.controllerName(),
                "controller_type", call.controllerType());
        String prefix = "metacontroller." + call.hook();
        AtomicInteger active = inFlight.computeIfAbsent(prefix + "|" + tags, k -> {
            AtomicInteger gauge = new AtomicInteger();
            Gauge.builder(prefix + ".in.flight.requests", gauge, AtomicInteger::get).tags(tags)
                    .description("In-flight requests of the " + call.hook() + " hook").register(metrics);
            return gauge;
        });
        long started = System.nanoTime();
        String code = "error";
        active.incrementAndGet();
        try {
            boolean etag = object != null && webhook.etag() != null && webhook.etag().on();
            String cacheKey = call.controllerType() + "/" + call.controllerName() + "/" + call.hook() + "/" + object;
            Cached cached = etag ? etags.get(cacheKey) : null;
            if (cached != null && cached.until() < System.nanoTime()) {
                etags.remove(cacheKey);
                cached = null;
            }
            ServiceRoutes.Route route = routes.route(url);
            if (route.via() != null) {
                URI previous = lastTargets.put(call.controllerType() + "/" + call.controllerName() + "/" + call.hook(),
                        route.target());
                if (!route.target().equals(previous)) {
                    routeListener.routed(call, url, route);
                }
            }
            Answer answer;
            try {
                answer = call(route, url, timeout(webhook), security, request, cached == null ? null : cached.etag());
            } catch (HookException failed) {
                if (failed.code() == 0) {
                    routes.forget(url);
                }
                throw failed;
            }
            code = String.valueOf(answer.code());
            String body = answer.code() == 304 || answer.code() == 412 ? cached.body() : answer.body();
            if (exchanges != null) {
                exchanges.exchanged(call, url, request, body);
            }
            if (answer.code() == 304 || answer.code() == 412) {
                return body;
            }
            if (etag && answer.etag() != null) {
                Integer timeout = webhook.etag().cacheTimeoutSeconds();
                long until = timeout == null || timeout <= 0 ? Long.MAX_VALUE
                        : System.nanoTime() + Duration.ofSeconds(timeout).toNanos();
                etags.put(cacheKey, new Cached(answer.etag(), answer.body(), until));
            }
            return answer.body();
        } catch (TooManyRequests busy) {
            code = "429";
            throw busy;
        } catch (HookException failed) {
            code = failed.code() == 0 ? "error" : String.valueOf(failed.code());
            throw failed;
        } finally {
            active.decrementAndGet();
            Counter.builder(prefix + ".requests").tags(tags).tag("code", code).tag("method", "POST")
                    .description("Requests to the " + call.hook() + " hook by status code").register(metrics).increment();
            Timer.builder(prefix + ".request.duration.histogram").tags(tags).tag("method", "POST")
                    .publishPercentileHistogram().description("Latency of the " + call.hook() + " hook")
                    .register(metrics).record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** What a hook asked for instead of an answer. */
    public static final class TooManyRequests extends Exception {
        private final Duration retryAfter;

        TooManyRequests(Duration retryAfter) {
            super("the hook answered 429 Too Many Requests; calling again after " + retryAfter.toMillis() + " ms");
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A call that failed: unreachable, timed out, refused, or answered with something that is not a response. */
    public static final class HookException extends Exception {
        private final int code;

        HookException(String message, Throwable cause) {
            this(message, cause, 0);
        }

        HookException(String message, Throwable cause, int code) {
            super(message, cause);
            this.code = code;
        }

        /** The HTTP status the hook answered with, or 0 when it did not answer. */
        public int code() {
            return code;
        }
    }

    /** The URL a webhook names: {@code url}, else {@code <protocol>://<service>.<namespace>:<port><path>}. */
    public static URI url(Webhook webhook) {
        if (webhook == null) {
            throw new IllegalArgumentException("invalid webhook config: must specify either a full 'url', or both "
                    + "'service' and 'path'");
        }
        if (webhook.url() != null && !webhook.url().isEmpty()) {
            return URI.create(webhook.url());
        }
        if (webhook.service() == null || webhook.path() == null) {
            throw new IllegalArgumentException("invalid webhook config: must specify either a full 'url', or both "
                    + "'service' and 'path'");
        }
        var service = webhook.service();
        String protocol = service.protocol() == null || service.protocol().isEmpty() ? "http" : service.protocol();
        int port = service.port() == null ? 80 : service.port();
        return URI.create(protocol + "://" + service.name() + "." + service.namespace() + ":" + port + webhook.path());
    }

    /** The call's timeout: the webhook's Go duration when positive, else 10 s. */
    public static Duration timeout(Webhook webhook) {
        if (webhook == null || webhook.timeout() == null || webhook.timeout().isBlank()) {
            return DEFAULT_TIMEOUT;
        }
        Duration parsed = parseGoDuration(webhook.timeout());
        return parsed.isNegative() || parsed.isZero() ? DEFAULT_TIMEOUT : parsed;
    }

    static Duration parseGoDuration(String text) {
        try {
            return io.capstan.runtime.GoDurations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid webhook timeout '" + text + "': expected a duration such as 10s "
                    + "or 500ms", e);
        }
    }

    /** A hook's answer: its status, body and ETag. */
    record Answer(int code, String body, String etag) {
    }

    /** One POST to {@code url}; {@code ifNoneMatch} (an ETag, or null) makes a 304 or 412 answer acceptable. */
    Answer call(URI url, Duration timeout, HookSecurity security, JsonNode request, String ifNoneMatch)
            throws TooManyRequests, HookException, InterruptedException {
        return call(ServiceRoutes.Route.direct(url), url, timeout, security, request, ifNoneMatch);
    }

    private Answer call(ServiceRoutes.Route route, URI url, Duration timeout, HookSecurity security, JsonNode request,
            String ifNoneMatch) throws TooManyRequests, HookException, InterruptedException {
        byte[] body;
        try {
            body = json.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new HookException("cannot write the hook request: " + e.getMessage(), e);
        }
        HttpResponse<String> response;
        try {
            HttpRequest.Builder post = HttpRequest.newBuilder(route.target()).timeout(timeout)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (security.authorization() != null) {
                post.header("Authorization", security.authorization());
            }
            if (ifNoneMatch != null) {
                post.header("If-None-Match", ifNoneMatch);
            }
            response = client(security).send(post.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException e) {
            throw new HookException("http error: POST " + route.describe(url) + ": no answer within " + timeout.toMillis()
                    + " ms", e);
        } catch (IOException e) {
            throw new HookException("http error: POST " + route.describe(url) + ": " + describe(e), e);
        }
        if (response.statusCode() == 429) {
            throw new TooManyRequests(retryAfter(response.headers().firstValue("Retry-After")));
        }
        boolean unchanged = ifNoneMatch != null && (response.statusCode() == 304 || response.statusCode() == 412);
        if (response.statusCode() != 200 && !unchanged) {
            throw new HookException("unsupported status code: " + response.statusCode() + " body: " + response.body(),
                    null, response.statusCode());
        }
        return new Answer(response.statusCode(), response.body(), response.headers().firstValue("ETag").orElse(null));
    }

    private HttpClient client(HookSecurity security) {
        return security.tls() == null ? http : tlsClients.computeIfAbsent(security.tls(), HookClient::newClient);
    }

    /** HTTP/1.1, TLS 1.2 at least (Metacontroller's minimum). */
    private static HttpClient newClient(javax.net.ssl.SSLContext tls) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(DEFAULT_TIMEOUT).sslParameters(new javax.net.ssl.SSLParameters(null,
                        new String[] {"TLSv1.3", "TLSv1.2"}));
        if (tls != null) {
            builder.sslContext(tls);
        }
        return builder.build();
    }

    /** Integer seconds, or an HTTP date; missing or unreadable means at once. */
    static Duration retryAfter(Optional<String> header) {
        if (header.isEmpty()) {
            return Duration.ZERO;
        }
        String value = header.get().trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                long millis = Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis();
                return Duration.ofSeconds(Math.max(0, (millis + 999) / 1000));
            } catch (RuntimeException notADate) {
                return Duration.ZERO;
            }
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        if (e instanceof java.net.ConnectException) {
            return "connection refused" + (message == null ? "" : " (" + message + ")");
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }

}
