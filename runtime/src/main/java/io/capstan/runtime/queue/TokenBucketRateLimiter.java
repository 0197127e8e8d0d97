package io.capstan.runtime.queue;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * An overall token bucket shared by all items, with reservation semantics like Go's {@code rate.Limiter}:
 * every call takes a token, possibly one that only becomes available in the future, and returns how long
 * to wait for it. Items have no individual history.
 */
public final class TokenBucketRateLimiter<K> implements RateLimiter<K> {

    private final double tokensPerNano;
    private final int burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastNanos;

    public TokenBucketRateLimiter(double perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    TokenBucketRateLimiter(double perSecond, int burst, LongSupplier nanoClock) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("need perSecond > 0 and burst >= 1");
        }
        this.tokensPerNano = perSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.lastNanos = nanoClock.getAsLong();
    }

    @Override
    public synchronized Duration when(K item) {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - lastNanos) * tokensPerNano);
        lastNanos = now;
        tokens -= 1;
        return tokens >= 0 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil(-tokens / tokensPerNano));
    }

    /** Takes a token, sleeping until it is due; an interrupt ends the wait early (the flag stays set). */
    public void acquire() {
        Duration wait = when(null);
        if (!wait.isZero()) {
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void forget(K item) {
    }

    @Override
    public int numRequeues(K item) {
        return 0;
    }
}
