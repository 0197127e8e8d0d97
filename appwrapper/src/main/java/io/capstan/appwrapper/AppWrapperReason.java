package io.capstan.appwrapper;

import io.capstan.runtime.events.EventReason;

/** The Events recorded on AppWrappers: one per phase entered, and the problems a user must see. */
public enum AppWrapperReason implements EventReason {
    Suspended(Type.Normal),
    Resuming(Type.Normal),
    Running(Type.Normal),
    Suspending(Type.Normal),
    /** A failure that may be retried: everything is removed, and deployed again after the retry pause. */
    Resetting(Type.Warning),
    Succeeded(Type.Normal),
    Failed(Type.Warning),
    /** A deleted AppWrapper whose wrapped objects and pods are being removed. */
    Terminating(Type.Normal),
    /** A fault-tolerance annotation that cannot be read; the default holds. */
    InvalidAnnotation(Type.Warning);

    private final Type type;

    AppWrapperReason(Type type) {
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
