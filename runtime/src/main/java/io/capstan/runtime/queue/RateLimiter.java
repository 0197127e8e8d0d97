package io.capstan.runtime.queue;

import java.time.Duration;
import java.util.List;

/**
 * Decides how long an item must wait before it is processed again, in the manner of client-go's
 * {@code workqueue.TypedRateLimiter}. {@link #when} records one more failure of the item; {@link #forget}
 * clears its history once it has been processed successfully.
 */
public interface RateLimiter<K> {

    Duration when(K item);

    void forget(K item);

    int numRequeues(K item);

    /**
     * client-go's {@code DefaultTypedControllerRateLimiter}: the larger of a per-item exponential backoff
     * (5 ms doubling up to 1000 s) and an overall token bucket (10 per second, burst 100).
     */
    static <K> RateLimiter<K> controllerDefault() {
        return maxOf(List.of(
                new ItemExponentialBackoff<>(Duration.ofMillis(5), Duration.ofSeconds(1000)),
                new TokenBucketRateLimiter<>(10, 100)));
    }

    static <K> RateLimiter<K> maxOf(List<RateLimiter<K>> limiters) {
        return new MaxOfRateLimiter<>(limiters);
    }
}
