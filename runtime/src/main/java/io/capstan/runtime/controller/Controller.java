package io.capstan.runtime.controller;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.queue.RateLimiter;
import io.capstan.runtime.queue.WorkQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A work queue drained by a fixed number of workers on virtual threads, each calling the {@link Reconciler}
 * for one key at a time. Errors and {@link Result#requeue()} back off per key; success forgets the backoff.
 * Every log line written during a reconcile carries {@code Kind(ns/name) #n} in the MDC key
 * {@value #LOG_CONTEXT_KEY}.
 */
public final class Controller<K> implements LeaderWork {

    public static final String LOG_CONTEXT_KEY = "reconcile";
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    /** How often an idle worker checks whether it should stop. */
    private static final Duration IDLE_POLL = Duration.ofMillis(250);

    private final String name;
    private final String kind;
    private final Reconciler<K> reconciler;
    private final WorkQueue<K> queue;
    private final int workers;
    private final int maxRetries;
    private final AtomicLong reconcileCount = new AtomicLong();
    private final AtomicInteger activeWorkers = new AtomicInteger();
    private final Map<Result.Kind, Counter> outcomes = new EnumMap<>(Result.Kind.class);
    private final Counter errors;
    private final Counter errorResults;
    private final Timer reconcileTime;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    private Controller(Builder<K> builder) {
        this.name = builder.name;
        this.kind = builder.kind;
        this.reconciler = builder.reconciler;
        this.workers = builder.workers;
        this.maxRetries = builder.maxRetries;
        MeterRegistry registry = builder.registry;
        this.queue = new WorkQueue<>(name, builder.rateLimiter, registry);
        for (Result.Kind outcome : Result.Kind.values()) {
            String label = switch (outcome) {
                case DONE -> "success";
                case REQUEUE -> "requeue";
                case REQUEUE_AFTER -> "requeue_after";
            };
            outcomes.put(outcome, reconcileCounter(registry, label));
        }
        this.errorResults = reconcileCounter(registry, "error");
        this.errors = Counter.builder("controller.runtime.reconcile.errors").tag("controller", name)
                .description("Total number of reconciliation errors per controller").register(registry);
        this.reconcileTime = Timer.builder("controller.runtime.reconcile.time").tag("controller", name)
                .description("Length of time per reconciliation per controller")
                .serviceLevelObjectives(reconcileBuckets()).register(registry);
        Gauge.builder("controller.runtime.max.concurrent.reconciles", () -> workers).tag("controller", name)
                .description("Maximum number of concurrent reconciles per controller").register(registry);
        Gauge.builder("controller.runtime.active.workers", activeWorkers, AtomicInteger::get).tag("controller", name)
                .description("Number of currently used workers per controller").register(registry);
    }

    private Counter reconcileCounter(MeterRegistry registry, String result) {
        return Counter.builder("controller.runtime.reconcile").tag("controller", name).tag("result", result)
                .description("Total number of reconciliations per controller").register(registry);
    }

    private static Duration[] reconcileBuckets() {
        double[] seconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7,
            0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60};
        Duration[] buckets = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            buckets[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return buckets;
    }

    public static <K> Builder<K> builder(String name, Reconciler<K> reconciler) {
        return new Builder<>(name, reconciler);
    }

    public String name() {
        return name;
    }

    /** The queue to feed with keys (from informer handlers, timers, other controllers). */
    public WorkQueue<K> queue() {
        return queue;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (int i = 0; i < workers; i++) {
            threads.add(Thread.ofVirtual().name(name + "-worker-" + i).start(this::work));
        }
        log.info("Started controller {} with {} workers", name, workers);
    }

    /**
     * Stops taking keys and waits for reconciles in flight to finish. Keys stay queued, so a later
     * {@link #start()} (leadership regained) picks up where this one left off.
     */
    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        try {
            for (Thread thread : threads) {
                if (!thread.join(Duration.ofSeconds(30))) {
                    log.warn("Controller {}: {} still reconciling after 30s; interrupting it", name, thread.getName());
                    thread.interrupt();
                    thread.join(Duration.ofSeconds(5));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.clear();
        log.info("Stopped controller {}", name);
    }

    /** Stops for good: no more keys are accepted. */
    public void close() {
        stop();
        queue.shutDown();
    }

    public boolean isRunning() {
        return running;
    }

    private void work() {
        try {
            while (running) {
                Optional<K> next = queue.poll(IDLE_POLL);
                if (next.isEmpty()) {
                    if (queue.isShuttingDown()) {
                        return;
                    }
                    continue;
                }
                K key = next.get();
                activeWorkers.incrementAndGet();
                try {
                    process(key);
                } finally {
                    activeWorkers.decrementAndGet();
                    queue.done(key);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void process(K key) {
        MDC.put(LOG_CONTEXT_KEY, kind + "(" + key + ") #" + reconcileCount.incrementAndGet());
        long started = System.nanoTime();
        try {
            Result result = Objects.requireNonNull(reconciler.reconcile(key), "reconciler returned null");
            outcomes.get(result.kind()).increment();
            switch (result.kind()) {
                case DONE -> queue.forget(key);
                case REQUEUE -> queue.addRateLimited(key);
                case REQUEUE_AFTER -> {
                    queue.forget(key);
                    queue.addAfter(key, result.after());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | LinkageError | AssertionError e) {
            errorResults.increment();
            errors.increment();
            int retries = queue.numRequeues(key);
            if (retries >= maxRetries) {
                log.warn("Reconcile failed and {} retries are used up; dropping the key until it changes again: {}",
                        maxRetries, ApiErrors.describe(e), e);
                queue.forget(key);
                return;
            }
            log.warn("Reconcile failed (retry {}): {}", retries + 1, ApiErrors.describe(e), retries >= 3 ? e : null);
            queue.addRateLimited(key);
        } finally {
            reconcileTime.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            MDC.remove(LOG_CONTEXT_KEY);
        }
    }

    public static final class Builder<K> {
        private final String name;
        private final Reconciler<K> reconciler;
        private String kind;
        private int workers = 1;
        private int maxRetries = Integer.MAX_VALUE;
        private RateLimiter<? super K> rateLimiter = RateLimiter.controllerDefault();
        private MeterRegistry registry = new io.micrometer.core.instrument.composite.CompositeMeterRegistry();

        private Builder(String name, Reconciler<K> reconciler) {
            this.name = Objects.requireNonNull(name);
            this.reconciler = Objects.requireNonNull(reconciler);
            this.kind = name;
        }

        /** The kind named in log context lines, e.g. {@code Framework}. */
        public Builder<K> kind(String kind) {
            this.kind = kind;
            return this;
        }

        public Builder<K> workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("a controller needs at least one worker, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /** After this many failed retries in a row a key is dropped (until something enqueues it again). */
        public Builder<K> maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        public Builder<K> rateLimiter(RateLimiter<? super K> rateLimiter) {
            this.rateLimiter = rateLimiter;
            return this;
        }

        public Builder<K> metrics(MeterRegistry registry) {
            this.registry = registry;
            return this;
        }

        public Controller<K> build() {
            return new Controller<>(this);
        }
    }
}
