package io.capstan.runtime.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class WorkQueuePropertiesTest {

    /**
     * Concurrent producers and workers: no key is ever held by two workers at once, and every key is processed
     * at least once after its last add.
     */
    @Property(tries = 60)
    void noKeyIsProcessedTwiceAtOnceAndNoAddIsLost(
            @ForAll @Size(min = 1, max = 300) List<@IntRange(min = 0, max = 7) Integer> adds,
            @ForAll @IntRange(min = 1, max = 8) int workers) throws Exception {
        WorkQueue<Integer> queue = new WorkQueue<>("prop", RateLimiter.controllerDefault(), new CompositeMeterRegistry());
        Map<Integer, Boolean> active = new ConcurrentHashMap<>();
        Map<Integer, Long> lastAdd = new ConcurrentHashMap<>();
        Map<Integer, Long> lastStart = new ConcurrentHashMap<>();
        AtomicLong clock = new AtomicLong();
        AtomicBoolean overlap = new AtomicBoolean();
        AtomicBoolean producing = new AtomicBoolean(true);

        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Optional<Integer> key = queue.poll(Duration.ofMillis(20));
                        if (key.isEmpty()) {
                            if (!producing.get() && queue.length() == 0 && queue.inFlight() == 0) {
                                return;
                            }
                            continue;
                        }
                        int k = key.get();
                        if (active.putIfAbsent(k, true) != null) {
                            overlap.set(true);
                        }
                        lastStart.put(k, clock.incrementAndGet());
                        Thread.yield();
                        active.remove(k);
                        queue.done(k);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (int key : adds) {
            lastAdd.put(key, clock.incrementAndGet());
            queue.add(key);
            if (key % 3 == 0) {
                Thread.yield();
            }
        }
        producing.set(false);
        for (Thread thread : threads) {
            thread.join(Duration.ofSeconds(20));
        }

        assertThat(overlap).as("a key was processed by two workers at once").isFalse();
        lastAdd.forEach((key, added) -> assertThat(lastStart.get(key)).as("key %d processed after its last add", key)
                .isNotNull().isGreaterThan(added));
    }

    /** The n-th failure of a key waits min(5 ms * 2^(n-1), 1000 s); forget starts over. */
    @Property
    void backoffDoublesFromFiveMillisecondsToTheCapAndResetsOnForget(@ForAll @IntRange(min = 1, max = 80) int failures) {
        ItemExponentialBackoff<String> backoff = new ItemExponentialBackoff<>(Duration.ofMillis(5), Duration.ofSeconds(1000));
        Duration last = Duration.ZERO;
        for (int n = 1; n <= failures; n++) {
            Duration delay = backoff.when("key");
            double expectedMillis = Math.min(5 * Math.pow(2, n - 1), 1_000_000);
            assertThat(delay.toNanos() / 1e6).isCloseTo(expectedMillis, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(delay).isGreaterThanOrEqualTo(last);
            last = delay;
        }
        assertThat(backoff.numRequeues("key")).isEqualTo(failures);
        backoff.forget("key");
        assertThat(backoff.when("key")).isEqualTo(Duration.ofMillis(5));
    }

    /** However a key's adds interleave with processing, it is queued at most once. */
    @Property
    void aKeyIsNeverQueuedTwice(@ForAll @Size(max = 100) List<@IntRange(min = 0, max = 3) Integer> operations)
            throws Exception {
        WorkQueue<String> queue = new WorkQueue<>("dedupe", RateLimiter.controllerDefault(), new CompositeMeterRegistry());
        String held = null;
        for (int operation : operations) {
            switch (operation) {
                case 0, 1 -> queue.add("k");
                case 2 -> {
                    if (held == null) {
                        held = queue.poll(Duration.ZERO).orElse(null);
                    }
                }
                default -> {
                    if (held != null) {
                        queue.done(held);
                        held = null;
                    }
                }
            }
            assertThat(queue.length()).isLessThanOrEqualTo(1);
            assertThat(queue.length() + queue.inFlight()).isLessThanOrEqualTo(held == null ? 1 : 2);
        }
    }
}
