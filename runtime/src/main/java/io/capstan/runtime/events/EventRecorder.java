package io.capstan.runtime.events;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.queue.TokenBucketRateLimiter;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code core/v1} Events about objects, like client-go's recorder:
 * <ul>
 *   <li>an Event identical to a recent one (same object, type, reason, message, source) increments that Event's
 *       {@code count} and {@code lastTimestamp} instead of creating a new object;</li>
 *   <li>a spam filter allows each object a burst of 25 Events, refilled at one per 5 minutes, so a hot loop
 *       cannot flood the API server;</li>
 *   <li>Events are written asynchronously; callers never wait for the API server, and when the backlog is
 *       full new Events are dropped (and logged);</li>
 *   <li>one object's Events are written by one writer, in the order recorded, so identical Events recorded in a
 *       burst aggregate into one instead of racing to create several;</li>
 *   <li>optionally, all writes share a token bucket ({@link WriteRate}), as the kubelet's {@code eventRecordQPS}
 *       and {@code eventBurst} do, so a burst of Events cannot crowd out more important writes to the same API
 *       server; what waits stays in the backlog;</li>
 *   <li>optionally, Events give way to more important writes ({@link #yieldTo}): while a node's pod status writes
 *       queue they go first, and its {@code ProviderCreateSuccess} Events follow.</li>
 * </ul>
 */
public final class EventRecorder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
    private static final int SPAM_BURST = 25;
    private static final long SPAM_REFILL_NANOS = TimeUnit.MINUTES.toNanos(5);
    private static final int CACHE_SIZE = 4096;
    /** Room for a 10,000-pod node start's Events twice over, all held back while its status writes go first. */
    private static final int BACKLOG = 20_000;
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ISO_INSTANT;
    private static final Duration YIELD_POLL = Duration.ofMillis(20);

    private final KubernetesClient client;
    private final String component;
    private final String host;
    private final List<BlockingQueue<Pending>> backlogs = new ArrayList<>();
    /** Events in all backlogs together: the bound is on the total, so one busy writer's share cannot drop Events. */
    private final AtomicInteger queued = new AtomicInteger();
    private final Map<String, Aggregate> recent = lru(CACHE_SIZE);
    private final Map<String, Bucket> spam = lru(CACHE_SIZE);
    private final AtomicLong dropped = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean warnedForbidden = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    private final List<Thread> writers = new ArrayList<>();
    private final TokenBucketRateLimiter<Object> rate;
    private volatile boolean closed;
    private volatile BooleanSupplier busy = () -> false;
    private volatile Duration longestYield = Duration.ZERO;

    /** Concurrent writers, so a burst of Events (one per pod, say) does not queue behind one API call at a time. */
    private static final int WRITERS = 8;

    /**
     * The API writes per second (creates and count patches) all writers together may make, with a burst; a
     * {@code perSecond} of 0 means no limit.
     */
    public record WriteRate(double perSecond, int burst) {
        public static final WriteRate UNLIMITED = new WriteRate(0, 0);

        public WriteRate {
            if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
                throw new IllegalArgumentException("Event write rate must be 0 (no limit) or positive, not "
                        + perSecond);
            }
            if (perSecond > 0 && burst < 1) {
                throw new IllegalArgumentException("Event burst must be at least 1 when the write rate is limited, not "
                        + burst);
            }
        }

        public boolean limited() {
            return perSecond > 0;
        }
    }

    private record Pending(ObjectReference subject, EventReason reason, String message, Instant at) {
    }

    private static final class Aggregate {
        final String namespace;
        final String name;
        int count;

        Aggregate(String namespace, String name, int count) {
            this.namespace = namespace;
            this.name = name;
            this.count = count;
        }
    }

    private static final class Bucket {
        double tokens = SPAM_BURST;
        long lastNanos = System.nanoTime();

        boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(SPAM_BURST, tokens + (double) (now - lastNanos) / SPAM_REFILL_NANOS);
            lastNanos = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    /**
     * @param component the source component shown by {@code kubectl describe}, e.g. {@code framework-controller}
     * @param host the source host (node or pod name), may be null
     */
    public EventRecorder(KubernetesClient client, String component, String host) {
        this(client, component, host, WriteRate.UNLIMITED);
    }

    /** @param rate how fast Events may be written; {@link WriteRate#UNLIMITED} for as fast as the server answers */
    public EventRecorder(KubernetesClient client, String component, String host, WriteRate rate) {
        this.client = client;
        this.component = component;
        this.host = host;
        this.rate = rate.limited() ? new TokenBucketRateLimiter<>(rate.perSecond(), rate.burst()) : null;
        for (int i = 0; i < WRITERS; i++) {
            BlockingQueue<Pending> backlog = new LinkedBlockingQueue<>();
            backlogs.add(backlog);
            writers.add(Thread.ofVirtual().name("events-" + component + "-" + i).start(() -> drain(backlog)));
        }
    }

    /** Records an Event about an object; {@code message} may use {@link String#format} placeholders. */
    public void record(HasMetadata subject, EventReason reason, String message, Object... args) {
        record(referenceTo(subject), reason, args.length == 0 ? message : String.format(message, args));
    }

    public void record(ObjectReference subject, EventReason reason, String message) {
        if (closed) {
            return;
        }
        int writer = Math.floorMod(Objects.hash(subject.getNamespace(), subject.getName()), WRITERS);
        if (queued.incrementAndGet() > BACKLOG) {
            queued.decrementAndGet();
            if (dropped.incrementAndGet() % 1000 == 1) {
                log.warn("Event backlog full; dropped {} Events so far (latest: {} {} on {}/{})", dropped.get(),
                        reason.reason(), message, subject.getNamespace(), subject.getName());
            }
            return;
        }
        backlogs.get(writer).add(new Pending(subject, reason, message, Instant.now()));
    }

    /**
     * Events wait while {@code busy} says more important writes to the same API server are queued, each at most
     * {@code atMost} after it was recorded (Warnings too: one object's Events are written in order). Their
     * timestamps stay when they were recorded.
     */
    public void yieldTo(BooleanSupplier busy, Duration atMost) {
        this.longestYield = atMost;
        this.busy = busy;
    }

    /** Events recorded but not written yet. */
    public int backlog() {
        return queued.get();
    }

    public static ObjectReference referenceTo(HasMetadata object) {
        return new ObjectReferenceBuilder()
                .withApiVersion(object.getApiVersion())
                .withKind(object.getKind())
                .withNamespace(object.getMetadata().getNamespace())
                .withName(object.getMetadata().getName())
                .withUid(object.getMetadata().getUid())
                .withResourceVersion(object.getMetadata().getResourceVersion())
                .build();
    }

    private void drain(BlockingQueue<Pending> backlog) {
        while (!closed || !backlog.isEmpty()) {
            try {
                Pending next = backlog.poll(200, TimeUnit.MILLISECONDS);
                if (next != null) {
                    try {
                        write(next);
                    } finally {
                        queued.decrementAndGet();
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (KubernetesClientException e) {
                // Missing RBAC for events is a deployment mistake worth one warning; other failures are transient, and
                // an object in a namespace being deleted cannot get Events any more (also 403).
                if ((e.getCode() == 401 || e.getCode() == 403) && !namespaceTerminating(e)
                        && !warnedForbidden.getAndSet(true)) {
                    log.warn("Cannot write Events (HTTP {}): grant this component create/patch on events; further "
                            + "failures are logged at debug level. {}", e.getCode(), e.getMessage());
                } else {
                    log.debug("Writing an Event failed: {}", e.getMessage());
                }
            } catch (RuntimeException e) {
                log.debug("Writing an Event failed: {}", ApiErrors.describe(e));
            }
        }
    }

    private static boolean namespaceTerminating(KubernetesClientException e) {
        var status = e.getStatus();
        return status != null && status.getDetails() != null && status.getDetails().getCauses() != null
                && status.getDetails().getCauses().stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()));
    }

    private void write(Pending event) throws InterruptedException {
        Instant until = event.at().plus(longestYield);
        while (!closed && busy.getAsBoolean() && Instant.now().isBefore(until)) {
            Thread.sleep(YIELD_POLL);
        }
        ObjectReference subject = event.subject();
        String namespace = subject.getNamespace() == null || subject.getNamespace().isEmpty() ? "default"
                : subject.getNamespace();
        String objectKey = subject.getKind() + "/" + namespace + "/" + subject.getName() + "/" + subject.getUid();
        String eventKey = objectKey + "/" + event.reason().type() + "/" + event.reason().reason() + "/" + event.message();
        String at = TIMESTAMP.format(event.at().truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));

        Aggregate previous;
        int count;
        synchronized (recent) {
            previous = recent.get(eventKey);
            count = previous == null ? 0 : ++previous.count;
        }
        if (previous != null) {
            String patch = "{\"count\":" + count + ",\"lastTimestamp\":\"" + at + "\"}";
            awaitRate();
            try {
                RawRequests.write(client, "PATCH", RawRequests.path(Event.class, previous.namespace, previous.name),
                        RawRequests.MERGE_PATCH, patch);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
                synchronized (recent) {
                    recent.remove(eventKey);
                }
            }
        }
        boolean allowed;
        synchronized (spam) {
            allowed = spam.computeIfAbsent(objectKey, k -> new Bucket()).take();
        }
        if (!allowed) {
            log.debug("Event {} on {} suppressed by the spam filter", event.reason().reason(), objectKey);
            return;
        }
        Event created = new EventBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(subject.getName() + "." + Long.toHexString(
                        event.at().getEpochSecond() * 1_000_000_000L + event.at().getNano() + sequence.incrementAndGet()))
                .endMetadata()
                .withInvolvedObject(subject)
                .withType(event.reason().type().name())
                .withReason(event.reason().reason())
                .withMessage(truncate(event.message()))
                .withSource(new EventSource(component, host))
                .withReportingComponent(component)
                .withReportingInstance(host == null ? "" : host)
                .withFirstTimestamp(at)
                .withLastTimestamp(at)
                .withCount(1)
                .build();
        // The created Event is not read back: its name is ours, and decoding answers is a busy recorder's main cost.
        awaitRate();
        RawRequests.write(client, "POST", RawRequests.path(Event.class, namespace, null), RawRequests.JSON,
                client.getKubernetesSerialization().asJson(created));
        synchronized (recent) {
            recent.put(eventKey, new Aggregate(namespace, created.getMetadata().getName(), 1));
        }
    }

    /** Waits for the write rate's next token; an interrupt (from close) ends the wait. */
    private void awaitRate() {
        if (rate != null) {
            rate.acquire();
        }
    }

    /** Keeps messages within the 1 KiB that events.k8s.io allows, so they read the same through both APIs. */
    private static String truncate(String message) {
        return message.length() <= 1024 ? message : message.substring(0, 1021) + "...";
    }

    private static <V> Map<String, V> lru(int size) {
        return new LinkedHashMap<>(size, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > size;
            }
        };
    }

    /** Writes what is still queued (for up to 5 seconds), then stops. */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (Thread writer : writers) {
            try {
                writer.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            writer.interrupt();
        }
    }

    @Override
    public String toString() {
        return "EventRecorder[" + Objects.requireNonNullElse(component, "") + "]";
    }
}
