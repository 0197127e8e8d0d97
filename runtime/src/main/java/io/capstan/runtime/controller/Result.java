package io.capstan.runtime.controller;

import java.time.Duration;

/** What a reconcile asks the controller to do with its key next. */
public record Result(Kind kind, Duration after) {

    public enum Kind {
        /** Finished; forget the key's backoff. */
        DONE,
        /** Try again with the key's growing backoff. */
        REQUEUE,
        /** Finished for now; look again after a fixed delay (a timer). */
        REQUEUE_AFTER
    }

    private static final Result DONE = new Result(Kind.DONE, Duration.ZERO);
    private static final Result REQUEUE = new Result(Kind.REQUEUE, Duration.ZERO);

    public static Result done() {
        return DONE;
    }

    public static Result requeue() {
        return REQUEUE;
    }

    public static Result requeueAfter(Duration after) {
        return after.isNegative() || after.isZero() ? new Result(Kind.REQUEUE_AFTER, Duration.ZERO)
                : new Result(Kind.REQUEUE_AFTER, after);
    }

    /** The earlier of two results' requeue needs, so several sub-steps can each ask for a timer. */
    public Result orSooner(Result other) {
        if (kind == Kind.REQUEUE || other.kind == Kind.REQUEUE) {
            return REQUEUE;
        }
        if (kind == Kind.DONE) {
            return other;
        }
        if (other.kind == Kind.DONE) {
            return this;
        }
        return after.compareTo(other.after) <= 0 ? this : other;
    }
}
