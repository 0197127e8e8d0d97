package io.capstan.queue;

import io.capstan.runtime.events.EventReason;

/** The Events the admission queue records on what it queues. */
public enum QueueReason implements EventReason {
    /** Its Workload was admitted: the AppWrapper may run, with the flavors it was given. */
    Admitted(Type.Normal),
    /** Its Workload waits: why (told again when the reason changes). */
    Pending(Type.Normal),
    /** Its Workload was evicted (preempted): the AppWrapper is suspended, and queues again once it holds nothing. */
    Evicted(Type.Warning);

    private final Type type;

    QueueReason(Type type) {
        this.type = type;
    }

    @Override
    public String reason() {
        return name();
    }

    @Override
    public Type type() {
        return type;
    }
}
