package io.capstan.runtime.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final WorkQueue<String> queue = new WorkQueue<>("test", RateLimiter.controllerDefault(), registry);

    private Optional<String> takeNow() throws InterruptedException {
        return queue.poll(Duration.ofMillis(1));
    }

    @Test
    void aKeyAddedSeveralTimesWhileWaitingIsHandedOutOnce() throws Exception {
        queue.add("a");
        queue.add("b");
        queue.add("a");
        queue.add("a");

        assertThat(takeNow()).contains("a");
        assertThat(takeNow()).contains("b");
        assertThat(takeNow()).isEmpty();
    }

    @Test
    void aKeyAddedWhileProcessingIsProcessedAgainExactlyOnceAfterDone() throws Exception {
        queue.add("a");
        String key = takeNow().orElseThrow();

        queue.add("a");
        queue.add("a");
        assertThat(takeNow()).as("not handed to a second worker while in flight").isEmpty();

        queue.done(key);
        assertThat(takeNow()).contains("a");
        queue.done("a");
        assertThat(takeNow()).isEmpty();
    }

    @Test
    void keysAreHandedOutInTheOrderTheyWereAdded() throws Exception {
        List<String> keys = List.of("c", "a", "d", "b");
        keys.forEach(queue::add);
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            taken.add(takeNow().orElseThrow());
        }
        assertThat(taken).isEqualTo(keys);
    }

    @Test
    void addAfterDelaysTheKey() throws Exception {
        long started = System.nanoTime();
        queue.addAfter("late", Duration.ofMillis(200));
        assertThat(queue.delayedLength()).isEqualTo(1);
        assertThat(queue.poll(Duration.ofSeconds(5))).contains("late");
        assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void aLaterAddAfterCanBringAKeyForwardButNeverPushItBack() throws Exception {
        queue.addAfter("k", Duration.ofSeconds(30));
        queue.addAfter("k", Duration.ofMillis(50));
        assertThat(queue.poll(Duration.ofSeconds(5))).as("brought forward to 50 ms").contains("k");
        queue.done("k");

        queue.addAfter("k", Duration.ofMillis(50));
        queue.addAfter("k", Duration.ofSeconds(30));
        assertThat(queue.poll(Duration.ofSeconds(5))).as("the earlier deadline wins").contains("k");
    }

    @Test
    void addWithoutDelayWhileAKeyWaitsHandsItOutNowAndAgainAtItsDeadline() throws Exception {
        queue.addAfter("k", Duration.ofMillis(100));
        queue.add("k");
        assertThat(takeNow()).contains("k");
        queue.done("k");
        assertThat(queue.poll(Duration.ofSeconds(5))).as("the timer still fires").contains("k");
    }

    @Test
    void rateLimitedAddsBackOffPerKeyUntilForgotten() {
        RateLimiter<String> limiter = new ItemExponentialBackoff<>(Duration.ofMillis(5), Duration.ofSeconds(1000));
        assertThat(limiter.when("x")).isEqualTo(Duration.ofMillis(5));
        assertThat(limiter.when("x")).isEqualTo(Duration.ofMillis(10));
        assertThat(limiter.when("x")).isEqualTo(Duration.ofMillis(20));
        assertThat(limiter.when("y")).as("per key").isEqualTo(Duration.ofMillis(5));
        assertThat(limiter.numRequeues("x")).isEqualTo(3);
        limiter.forget("x");
        assertThat(limiter.numRequeues("x")).isZero();
        assertThat(limiter.when("x")).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void tokenBucketAllowsTheBurstThenItsRate() {
        long[] now = {0};
        TokenBucketRateLimiter<String> bucket = new TokenBucketRateLimiter<>(10, 100, () -> now[0]);
        for (int i = 0; i < 100; i++) {
            assertThat(bucket.when("any")).isZero();
        }
        assertThat(bucket.when("any")).isEqualTo(Duration.ofMillis(100));
        assertThat(bucket.when("any")).isEqualTo(Duration.ofMillis(200));
        now[0] = TimeUnit.SECONDS.toNanos(1);
        assertThat(bucket.when("any")).as("10 tokens refilled, 2 were borrowed").isZero();
    }

    @Test
    void theDefaultLimiterTakesTheLongerOfBackoffAndBucket() {
        RateLimiter<String> limiter = RateLimiter.controllerDefault();
        assertThat(limiter.when("a")).isEqualTo(Duration.ofMillis(5));
        for (int i = 0; i < 20; i++) {
            limiter.when("a");
        }
        assertThat(limiter.when("a")).isEqualTo(Duration.ofSeconds(1000));
    }

    @Test
    void shutDownWithDrainWaitsForKeysInFlightAndRefusesNewOnes() throws Exception {
        queue.add("busy");
        queue.add("queued");
        String busy = takeNow().orElseThrow();
        CountDownLatch drained = new CountDownLatch(1);
        Thread drainer = Thread.ofVirtual().start(() -> {
            try {
                queue.shutDownWithDrain(Duration.ofSeconds(10));
                drained.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().until(queue::isShuttingDown);
        queue.add("refused");
        assertThat(drained.await(100, TimeUnit.MILLISECONDS)).as("still draining").isFalse();

        queue.done(busy);
        String queued = takeNow().orElseThrow();
        assertThat(queued).as("keys queued before the shutdown are still handed out").isEqualTo("queued");
        queue.done(queued);
        assertThat(drained.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(queue.get()).as("nothing more after the drain").isEmpty();
        drainer.join();
    }

    @Test
    void reportsControllerRuntimeMetrics() throws Exception {
        queue.add("a");
        queue.addRateLimited("b");
        String a = takeNow().orElseThrow();
        queue.done(a);

        assertThat(registry.get("workqueue.adds").tag("name", "test").counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(registry.get("workqueue.retries").tag("name", "test").counter().count()).isEqualTo(1);
        assertThat(registry.get("workqueue.queue.duration").tag("name", "test").timer().count()).isEqualTo(1);
        assertThat(registry.get("workqueue.work.duration").tag("name", "test").timer().count()).isEqualTo(1);
        await().untilAsserted(() -> assertThat(registry.get("workqueue.depth").tag("name", "test").gauge().value())
                .as("b arrives after its 5 ms backoff").isEqualTo(1));
        queue.done(takeNow().orElseThrow());
        assertThat(registry.get("workqueue.depth").tag("name", "test").gauge().value()).isZero();
    }
}
