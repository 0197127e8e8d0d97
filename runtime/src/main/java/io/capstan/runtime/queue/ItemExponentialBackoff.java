package io.capstan.runtime.queue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Per-item exponential backoff: the n-th failure of an item waits {@code base * 2^(n-1)}, capped at {@code max}. */
public final class ItemExponentialBackoff<K> implements RateLimiter<K> {

    private final long baseNanos;
    private final long maxNanos;
    private final Map<K, Integer> failures = new HashMap<>();

    public ItemExponentialBackoff(Duration base, Duration max) {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 < base <= max, got base=" + base + " max=" + max);
        }
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
    }

    @Override
    public synchronized Duration when(K item) {
        int exponent = failures.merge(item, 1, Integer::sum) - 1;
        // Past 2^62 the product overflows; anything that large is capped anyway.
        if (exponent >= 62 || baseNanos > (maxNanos >> exponent)) {
            return Duration.ofNanos(maxNanos);
        }
        return Duration.ofNanos(baseNanos << exponent);
    }

    @Override
    public synchronized void forget(K item) {
        failures.remove(item);
    }

    @Override
    public synchronized int numRequeues(K item) {
        return failures.getOrDefault(item, 0);
    }
}
