package io.capstan.runtime.queue;

import java.time.Duration;
import java.util.List;

/** Combines limiters: an item waits for the longest of their delays. */
final class MaxOfRateLimiter<K> implements RateLimiter<K> {

    private final List<RateLimiter<K>> limiters;

    MaxOfRateLimiter(List<RateLimiter<K>> limiters) {
        if (limiters.isEmpty()) {
            throw new IllegalArgumentException("at least one rate limiter is needed");
        }
        this.limiters = List.copyOf(limiters);
    }

    @Override
    public Duration when(K item) {
        Duration longest = Duration.ZERO;
        for (RateLimiter<K> limiter : limiters) {
            Duration delay = limiter.when(item);
            if (delay.compareTo(longest) > 0) {
                longest = delay;
            }
        }
        return longest;
    }

    @Override
    public void forget(K item) {
        limiters.forEach(limiter -> limiter.forget(item));
    }

    @Override
    public int numRequeues(K item) {
        int most = 0;
        for (RateLimiter<K> limiter : limiters) {
            most = Math.max(most, limiter.numRequeues(item));
        }
        return most;
    }
}
