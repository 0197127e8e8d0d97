package io.capstan.runtime.queue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A rate-limited, delaying work queue with the semantics of client-go's workqueue:
 * <ul>
 *   <li>a key waiting in the queue is held once, however often it is added (de-duplication);</li>
 *   <li>a key is handed to at most one worker at a time; a key added while it is being processed is
 *       processed once more after {@link #done};</li>
 *   <li>{@link #addAfter} delays a key; a later call can only bring a waiting key forward, never push it back;</li>
 *   <li>{@link #addRateLimited} delays by the {@link RateLimiter}'s backoff, which {@link #forget} resets;</li>
 *   <li>{@link #shutDownWithDrain} refuses new keys and waits for keys in flight to be done.</li>
 * </ul>
 * Metrics follow controller-runtime's names ({@code workqueue_depth}, {@code workqueue_adds_total}, ...).
 */
public final class WorkQueue<K> {

    private static final ScheduledExecutorService DELAYS = delayScheduler();

    private final String name;
    private final RateLimiter<? super K> rateLimiter;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    private final ArrayDeque<K> queue = new ArrayDeque<>();
    private final Set<K> dirty = new HashSet<>();
    private final Map<K, Long> processing = new HashMap<>();
    private final Map<K, Long> queuedAt = new HashMap<>();
    private final Map<K, Waiting> waiting = new HashMap<>();
    private boolean shuttingDown;

    private final Counter adds;
    private final Counter retries;
    private final Timer queueDuration;
    private final Timer workDuration;

    private record Waiting(long readyAtNanos, ScheduledFuture<?> timer) {
    }

    public WorkQueue(String name, RateLimiter<? super K> rateLimiter, MeterRegistry registry) {
        this.name = name;
        this.rateLimiter = rateLimiter;
        this.adds = Counter.builder("workqueue.adds").description("Total number of adds handled by workqueue")
                .tag("name", name).register(registry);
        this.retries = Counter.builder("workqueue.retries").description("Total number of retries handled by workqueue")
                .tag("name", name).register(registry);
        this.queueDuration = latencyTimer("workqueue.queue.duration",
                "How long an item stays in workqueue before being requested", registry);
        this.workDuration = latencyTimer("workqueue.work.duration",
                "How long processing an item from workqueue takes", registry);
        Gauge.builder("workqueue.depth", this, WorkQueue::length).description("Current depth of workqueue")
                .tag("name", name).register(registry);
        Gauge.builder("workqueue.unfinished.work", this, q -> q.inFlightSeconds(false)).baseUnit("seconds")
                .description("Seconds of work in progress that has not been observed by work_duration")
                .tag("name", name).register(registry);
        Gauge.builder("workqueue.longest.running.processor", this, q -> q.inFlightSeconds(true)).baseUnit("seconds")
                .description("Seconds the longest running processor for workqueue has been running")
                .tag("name", name).register(registry);
    }

    private Timer latencyTimer(String metric, String description, MeterRegistry registry) {
        return Timer.builder(metric).description(description).tag("name", name)
                .serviceLevelObjectives(latencyBuckets()).register(registry);
    }

    /** The buckets controller-runtime uses for work queue latencies: 1 µs .. 10 s, ×10 apart. */
    private static Duration[] latencyBuckets() {
        Duration[] buckets = new Duration[8];
        long micros = 1;
        for (int i = 0; i < buckets.length; i++, micros *= 10) {
            buckets[i] = Duration.ofNanos(micros * 1000);
        }
        return buckets;
    }

    public String name() {
        return name;
    }

    /** Adds a key now. A key already waiting is not added twice; a key in flight is processed again later. */
    public void add(K key) {
        lock.lock();
        try {
            addLocked(key);
        } finally {
            lock.unlock();
        }
    }

    private void addLocked(K key) {
        if (shuttingDown || dirty.contains(key)) {
            return;
        }
        adds.increment();
        dirty.add(key);
        if (processing.containsKey(key)) {
            return;
        }
        queue.addLast(key);
        queuedAt.put(key, System.nanoTime());
        changed.signal();
    }

    /** Adds a key once the delay has passed; an earlier pending deadline for the same key wins. */
    public void addAfter(K key, Duration delay) {
        if (delay.isNegative() || delay.isZero()) {
            add(key);
            return;
        }
        lock.lock();
        try {
            if (shuttingDown) {
                return;
            }
            long readyAt = System.nanoTime() + delay.toNanos();
            Waiting current = waiting.get(key);
            if (current != null) {
                if (current.readyAtNanos() <= readyAt) {
                    return;
                }
                current.timer().cancel(false);
            }
            ScheduledFuture<?> timer = DELAYS.schedule(() -> fire(key, readyAt), delay.toNanos(), TimeUnit.NANOSECONDS);
            waiting.put(key, new Waiting(readyAt, timer));
        } finally {
            lock.unlock();
        }
    }

    private void fire(K key, long readyAt) {
        lock.lock();
        try {
            Waiting current = waiting.get(key);
            if (current != null && current.readyAtNanos() == readyAt) {
                waiting.remove(key);
                addLocked(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Adds a key after the rate limiter's delay for it (its backoff grows until {@link #forget}). */
    public void addRateLimited(K key) {
        retries.increment();
        addAfter(key, rateLimiter.when(key));
    }

    /** The key was processed successfully: reset its backoff. */
    public void forget(K key) {
        rateLimiter.forget(key);
    }

    public int numRequeues(K key) {
        return rateLimiter.numRequeues(key);
    }

    /**
     * Takes the next key, waiting for one. Returns empty once the queue is shut down and has nothing left to
     * hand out. The caller must call {@link #done} with the key when it has finished with it.
     */
    public Optional<K> get() throws InterruptedException {
        return poll(null);
    }

    /**
     * Like {@link #get()}, but gives up and returns empty when no key arrives within the timeout
     * ({@code null} waits forever).
     */
    public Optional<K> poll(Duration timeout) throws InterruptedException {
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (queue.isEmpty() && !shuttingDown) {
                if (timeout == null) {
                    changed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return Optional.empty();
                    }
                    changed.awaitNanos(left);
                }
            }
            if (queue.isEmpty()) {
                return Optional.empty();
            }
            K key = queue.pollFirst();
            long now = System.nanoTime();
            Long enqueued = queuedAt.remove(key);
            if (enqueued != null) {
                queueDuration.record(now - enqueued, TimeUnit.NANOSECONDS);
            }
            processing.put(key, now);
            dirty.remove(key);
            return Optional.of(key);
        } finally {
            lock.unlock();
        }
    }

    /** Marks a key as finished; if it was added again meanwhile it goes back into the queue. */
    public void done(K key) {
        lock.lock();
        try {
            Long started = processing.remove(key);
            if (started != null) {
                workDuration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
            if (dirty.contains(key)) {
                queue.addLast(key);
                queuedAt.put(key, System.nanoTime());
                changed.signalAll();
            } else if (processing.isEmpty()) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Keys ready to be handed out (not counting delayed ones or ones in flight). */
    public int length() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Keys waiting for a delay to pass. */
    public int delayedLength() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** Keys handed to workers and not yet done. */
    public int inFlight() {
        lock.lock();
        try {
            return processing.size();
        } finally {
            lock.unlock();
        }
    }

    public boolean isShuttingDown() {
        lock.lock();
        try {
            return shuttingDown;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new keys and wakes every waiting {@link #get}; keys already queued are still handed out. */
    public void shutDown() {
        lock.lock();
        try {
            shuttingDown = true;
            waiting.values().forEach(w -> w.timer().cancel(false));
            waiting.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Shuts down, then waits until the workers have taken and finished every key that was already queued or in
     * flight, or the timeout passes; true if drained.
     */
    public boolean shutDownWithDrain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            shutDown();
            while (!queue.isEmpty() || !processing.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private double inFlightSeconds(boolean longestOnly) {
        lock.lock();
        try {
            long now = System.nanoTime();
            long total = 0;
            long longest = 0;
            for (long started : processing.values()) {
                total += now - started;
                longest = Math.max(longest, now - started);
            }
            return (longestOnly ? longest : total) / 1e9;
        } finally {
            lock.unlock();
        }
    }

    private static ScheduledExecutorService delayScheduler() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("workqueue-delays").daemon().factory());
        scheduler.setRemoveOnCancelPolicy(true);
        return Executors.unconfigurableScheduledExecutorService(scheduler);
    }
}
