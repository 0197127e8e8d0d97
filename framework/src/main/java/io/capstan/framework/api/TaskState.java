package io.capstan.framework.api;

/** The states of a Task; the same names as {@link FrameworkState}. */
public enum TaskState {
    AttemptCreationPending,
    AttemptCreationRequested,
    AttemptPreparing,
    AttemptRunning,
    AttemptDeletionPending,
    AttemptDeletionRequested,
    AttemptDeleting,
    AttemptCompleted,
    Completed
}
