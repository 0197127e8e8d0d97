package io.capstan.framework.api;

/** The states of a Framework (and, with the same names, of a Task), exactly as FrameworkController spells them. */
public enum FrameworkState {
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
