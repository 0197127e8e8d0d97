package io.capstan.lambda;

import io.capstan.runtime.events.EventReason;

/** The Events lambda controllers record: Metacontroller's reasons. */
public enum LambdaReason implements EventReason {
    /** On a CompositeController: its controller is being (re)started. */
    Starting(Type.Normal),
    Started(Type.Normal),
    Stopping(Type.Normal),
    Stopped(Type.Normal),
    /** On a CompositeController whose spec cannot work (unknown kind, parent without a status subresource, …). */
    CreateError(Type.Warning),
    /**
     * On a CompositeController or DecoratorController whose hook is named by a Service that does not resolve here:
     * which endpoint of the Service its calls go to, told again when that changes.
     */
    HookEndpoint(Type.Normal),
    /** On a parent whose sync failed (the hook, the children, or the status write). */
    SyncError(Type.Warning);

    private final Type type;

    LambdaReason(Type type) {
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
