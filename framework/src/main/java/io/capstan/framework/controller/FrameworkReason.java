package io.capstan.framework.controller;

import io.capstan.runtime.events.EventReason;

/**
 * Every Event the Framework controller records on a Framework. State changes use the new state's name, prefixed
 * with Framework or Task; problems are Warnings with their own reasons.
 */
public enum FrameworkReason implements EventReason {
    FrameworkAttemptCreationPending(Type.Normal),
    FrameworkAttemptCreationRequested(Type.Normal),
    FrameworkAttemptPreparing(Type.Normal),
    FrameworkAttemptRunning(Type.Normal),
    FrameworkAttemptDeletionPending(Type.Normal),
    FrameworkAttemptDeletionRequested(Type.Normal),
    FrameworkAttemptDeleting(Type.Normal),
    FrameworkAttemptCompleted(Type.Normal),
    FrameworkCompleted(Type.Normal),
    FrameworkRetryScheduled(Type.Normal),
    FrameworkDeleted(Type.Normal),
    TaskAttemptCreationPending(Type.Normal),
    TaskAttemptCreationRequested(Type.Normal),
    TaskAttemptPreparing(Type.Normal),
    TaskAttemptRunning(Type.Normal),
    TaskAttemptDeletionPending(Type.Normal),
    TaskAttemptDeletionRequested(Type.Normal),
    TaskAttemptDeleting(Type.Normal),
    TaskAttemptCompleted(Type.Normal),
    TaskCompleted(Type.Normal),
    PodCreationFailed(Type.Warning),
    ConfigMapCreationFailed(Type.Warning),
    ObjectNameConflict(Type.Warning),
    LeakedObjectDeleted(Type.Warning),
    PodForceDeleted(Type.Warning),
    InvalidSpec(Type.Warning);

    private final Type type;

    FrameworkReason(Type type) {
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

    static FrameworkReason framework(io.capstan.framework.api.FrameworkState state) {
        return state == io.capstan.framework.api.FrameworkState.Completed ? FrameworkCompleted
                : valueOf("Framework" + state.name());
    }

    static FrameworkReason task(io.capstan.framework.api.TaskState state) {
        return state == io.capstan.framework.api.TaskState.Completed ? TaskCompleted : valueOf("Task" + state.name());
    }
}
