package io.capstan.framework.controller;

import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionStatus;
import io.capstan.framework.api.ExecutionType;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkAttemptCompletionStatus;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.FrameworkSpec;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.Names;
import io.capstan.framework.api.RetryPolicyStatus;
import io.capstan.framework.api.TaskAttemptCompletionStatus;
import io.capstan.framework.api.TaskAttemptStatus;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.model.CompletionPolicy;
import io.capstan.framework.model.PodCreationErrors;
import io.capstan.framework.model.PodFailureClassifier;
import io.capstan.framework.model.QueueAdmission;
import io.capstan.framework.model.RetryDecision;
import io.capstan.framework.model.TaskPods;
import io.capstan.framework.model.Timestamps;
import io.capstan.runtime.controller.ClusterAccess;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.events.EventReason;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync round of one Framework: FrameworkController's state machines (its types.go and pkg/controller/controller.go) applied to a working copy
 * of its status. Every "Pending" state is persisted before the side effect it announces, so a round that decides
 * to act stops and asks for the status to be written first (a round ends with {@link #persist()}); the next round acts.
 */
final class FrameworkSync {

    private static final Logger log = LoggerFactory.getLogger(FrameworkSync.class);

    /**
     * A round that changed the status stops here: the controller writes the status before anything acts on it and
     * then runs the next round at once. It sees the change itself, so no flag says so.
     */
    private static Result persist() {
        return Result.done();
    }

    /** Where the round reports what happened (Events, snapshots, metrics). */
    interface Observer {
        void event(EventReason reason, String message);

        /** A round's state changes, in one message; an observer may gather several rounds into one Event. */
        default void stateChanges(EventReason reason, String message) {
            event(reason, message);
        }

        void frameworkRetry(Framework before);

        void taskRetry(TaskRoleStatus role, TaskStatus before);

        void taskDeleted(TaskRoleStatus role, TaskStatus task);

        void retried(String level, Integer code);

        void taskTransition(TaskState state);
    }

    private final Framework framework;
    private final FrameworkStatus status;
    private final FrameworkSpec spec;
    private final FrameworkConfig config;
    private final ClusterAccess cluster;
    private final Clock clock;
    private final Observer observer;
    private final PodFailureClassifier classifier;
    private final RandomGenerator random;
    private final String namespace;
    private final String name;
    private Result timer = Result.done();

    FrameworkSync(Framework framework, FrameworkStatus status, FrameworkConfig config, ClusterAccess cluster, Clock clock,
            Observer observer, PodFailureClassifier classifier, RandomGenerator random) {
        this.framework = framework;
        this.status = status;
        this.spec = framework.getSpec();
        this.config = config;
        this.cluster = cluster;
        this.clock = clock;
        this.observer = observer;
        this.classifier = classifier;
        this.random = random;
        this.namespace = framework.getMetadata().getNamespace();
        this.name = framework.getMetadata().getName();
    }

    private String now() {
        return Timestamps.format(clock.instant());
    }

    private void after(Duration delay) {
        timer = timer.orSooner(Result.requeueAfter(delay));
    }

    /** An object of the Framework's namespace. */
    private ObjectKey key(String objectName) {
        return new ObjectKey(namespace, objectName);
    }

    // ----- status construction ----------------------------------------------------------------------------------------

    static FrameworkStatus initialStatus(Framework framework, Clock clock) {
        String now = Timestamps.format(clock.instant());
        FrameworkStatus status = new FrameworkStatus();
        status.startTime = now;
        status.state = FrameworkState.AttemptCreationPending;
        status.transitionTime = now;
        status.attemptStatus = newAttempt(framework, 0, now);
        return status;
    }

    private static FrameworkAttemptStatus newAttempt(Framework framework, int id, String now) {
        FrameworkAttemptStatus attempt = new FrameworkAttemptStatus();
        attempt.id = id;
        attempt.startTime = now;
        attempt.configMapName = Names.configMapName(framework.getMetadata().getName());
        for (TaskRoleSpec role : framework.getSpec().effectiveRoles()) {
            attempt.taskRoleStatuses.add(newRole(framework, role, now));
        }
        return attempt;
    }

    private static TaskRoleStatus newRole(Framework framework, TaskRoleSpec spec, String now) {
        TaskRoleStatus role = new TaskRoleStatus();
        role.name = spec.getName();
        role.instanceUID = UUID.randomUUID().toString();
        role.podGracefulDeletionTimeoutSec = spec.getTask().getPodGracefulDeletionTimeoutSec();
        for (int index = 0; index < spec.getTaskNumber(); index++) {
            role.taskStatuses.add(newTask(framework, spec.getName(), index, now));
        }
        return role;
    }

    private static TaskStatus newTask(Framework framework, String role, int index, String now) {
        TaskStatus task = new TaskStatus();
        task.index = index;
        task.instanceUID = UUID.randomUUID().toString();
        task.startTime = now;
        task.state = TaskState.AttemptCreationPending;
        task.transitionTime = now;
        task.attemptStatus = newTaskAttempt(framework, role, index, 0, now);
        return task;
    }

    private static TaskAttemptStatus newTaskAttempt(Framework framework, String role, int index, int id, String now) {
        TaskAttemptStatus attempt = new TaskAttemptStatus();
        attempt.id = id;
        attempt.startTime = now;
        attempt.podName = Names.podName(framework.getMetadata().getName(), role, index);
        return attempt;
    }

    // ----- the round --------------------------------------------------------------------------------------------------

    /** Runs the round on the (non-null) status. */
    Result run() {
        rememberEntryStates();
        if (!completing(status.state) && status.state != FrameworkState.Completed) {
            if (syncScale() || compactScale()) {
                return persist();
            }
        }
        if (copyGracefulDeletionTimeouts()) {
            return persist();
        }
        return syncFrameworkState();
    }

    /** States in which the attempt is ending or over: no rescale, no new pods. */
    private static boolean completing(FrameworkState state) {
        return switch (state) {
            case AttemptDeletionPending, AttemptDeletionRequested, AttemptDeleting, AttemptCompleted, Completed -> true;
            default -> false;
        };
    }

    // ----- rescale ----------------------------------------------------------------------------------------------------

    /** ScaleUp appends tasks (and roles); ScaleDown marks tail tasks (and removed roles) DeletionPending. */
    private boolean syncScale() {
        String now = now();
        boolean changed = false;
        FrameworkAttemptStatus attempt = status.attemptStatus;
        for (TaskRoleSpec role : spec.effectiveRoles()) {
            TaskRoleStatus roleStatus = attempt.role(role.getName());
            if (roleStatus == null) {
                attempt.taskRoleStatuses.add(newRole(framework, role, now));
                changed = true;
                continue;
            }
            for (int index = roleStatus.taskStatuses.size(); index < role.getTaskNumber(); index++) {
                roleStatus.taskStatuses.add(newTask(framework, role.getName(), index, now));
                changed = true;
            }
            for (int index = role.getTaskNumber(); index < roleStatus.taskStatuses.size(); index++) {
                changed |= markDeletionPending(roleStatus.taskStatuses.get(index));
            }
        }
        for (TaskRoleStatus roleStatus : attempt.taskRoleStatuses) {
            if (spec.role(roleStatus.name) == null) {
                for (TaskStatus task : roleStatus.taskStatuses) {
                    changed |= markDeletionPending(task);
                }
            }
        }
        return changed;
    }

    private static boolean markDeletionPending(TaskStatus task) {
        if (task.deletionPending) {
            return false;
        }
        task.deletionPending = true;
        if (task.attemptStatus.completionStatus == null) {
            task.attemptStatus.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                    CompletionCodes.DELETE_TASK_REQUESTED, "User has requested to delete the Task by Framework ScaleDown");
        }
        return true;
    }

    /**
     * Removes the contiguous tail of DeletionPending tasks that are Completed (beyond the spec's taskNumber) and
     * replaces Completed DeletionPending tasks inside it by fresh instances: a DeletionPending task is never revived.
     */
    private boolean compactScale() {
        String now = now();
        boolean changed = false;
        List<TaskRoleStatus> roles = status.attemptStatus.taskRoleStatuses;
        for (int r = 0; r < roles.size(); r++) {
            TaskRoleStatus role = roles.get(r);
            TaskRoleSpec roleSpec = spec.role(role.name);
            int wanted = roleSpec == null ? 0 : roleSpec.getTaskNumber();
            while (role.taskStatuses.size() > wanted) {
                TaskStatus last = role.taskStatuses.getLast();
                if (!last.deletionPending || last.state != TaskState.Completed) {
                    break;
                }
                observer.taskDeleted(role, last);
                role.taskStatuses.removeLast();
                changed = true;
            }
            for (int index = 0; index < Math.min(wanted, role.taskStatuses.size()); index++) {
                TaskStatus task = role.taskStatuses.get(index);
                if (task.deletionPending && task.state == TaskState.Completed) {
                    observer.taskDeleted(role, task);
                    role.taskStatuses.set(index, newTask(framework, role.name, index, now));
                    changed = true;
                }
            }
            if (roleSpec == null && role.taskStatuses.isEmpty()) {
                // Like the peer: the last role takes the removed role's place, so the order can change.
                roles.set(r, roles.getLast());
                roles.removeLast();
                r--;
                changed = true;
            }
        }
        return changed;
    }

    /** The timeout in effect for a role's pods is persisted before any deletion uses it. */
    private boolean copyGracefulDeletionTimeouts() {
        if (status.state == FrameworkState.Completed) {
            return false;
        }
        boolean changed = false;
        for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
            TaskRoleSpec roleSpec = spec.role(role.name);
            if (roleSpec != null && !java.util.Objects.equals(role.podGracefulDeletionTimeoutSec,
                    roleSpec.getTask().getPodGracefulDeletionTimeoutSec())) {
                role.podGracefulDeletionTimeoutSec = roleSpec.getTask().getPodGracefulDeletionTimeoutSec();
                changed = true;
            }
        }
        return changed;
    }

    // ----- framework state machine ------------------------------------------------------------------------------------

    private void transition(FrameworkState to, String message) {
        if (status.state == to) {
            return;
        }
        status.state = to;
        status.transitionTime = now();
        frameworkChanges.add(to + " (" + message + ")");
        reachedState = to;
    }

    private Result syncFrameworkState() {
        FrameworkAttemptStatus attempt = status.attemptStatus;
        ExecutionType execution = spec.execution();
        switch (status.state) {
            case Completed -> {
                return retainOrDelete();
            }
            case AttemptCompleted -> {
                return retryOrComplete();
            }
            case AttemptCreationPending -> {
                if (execution == ExecutionType.Create || framework.getMetadata().getDeletionTimestamp() != null) {
                    return timer;
                }
                if (execution != ExecutionType.Stop && QueueAdmission.awaited(framework)) {
                    // Queued: the admission annotation wakes it.
                    return timer;
                }
                if (execution == ExecutionType.Stop) {
                    deleteLeftoverConfigMap();
                    completeAttempt(stopRequested(), true);
                    return persist();
                }
                return createConfigMap();
            }
            case AttemptCreationRequested -> {
                Optional<ConfigMap> cached = ownConfigMap();
                if (cached.isEmpty()) {
                    if (execution == ExecutionType.Stop) {
                        deleteConfigMapConfirmed();
                        completeAttempt(stopRequested(), true);
                        return persist();
                    }
                    Duration timeout = Duration.ofSeconds(config.objectLocalCacheCreationTimeoutSec);
                    Instant deadline = Timestamps.parse(status.transitionTime).plus(timeout);
                    if (!clock.instant().isBefore(deadline)) {
                        deleteConfigMapConfirmed();
                        completeAttempt(CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                                CompletionCodes.CONFIGMAP_LOCAL_CACHE_CREATION_TIMEOUT, "ConfigMap does not appear in the "
                                        + "local cache within timeout " + timeout.toSeconds() + "s, so consider it was "
                                        + "deleted and explicitly delete it"), true);
                        return persist();
                    }
                    after(Duration.between(clock.instant(), deadline));
                    return timer;
                }
                transition(FrameworkState.AttemptPreparing, "ConfigMap " + attempt.configMapName + " is in the local cache");
                return syncWithConfigMap(cached.get());
            }
            default -> {
                Optional<ConfigMap> cached = ownConfigMap();
                if (cached.isEmpty()) {
                    if (attempt.completionStatus == null) {
                        attempt.completionStatus = CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                                CompletionCodes.CONFIGMAP_EXTERNAL_DELETED, "ConfigMap was deleted by others");
                    }
                    completeAttempt(attempt.completionStatus, true);
                    return persist();
                }
                return syncWithConfigMap(cached.get());
            }
        }
    }

    /** The attempt's ConfigMap in the cache, if it is the one recorded (same UID). */
    private Optional<ConfigMap> ownConfigMap() {
        String uid = status.attemptStatus.configMapUID;
        return cluster.cached(ConfigMap.class, key(Names.configMapName(name)))
                .filter(cm -> uid != null && uid.equals(cm.getMetadata().getUid()));
    }

    private FrameworkAttemptCompletionStatus stopRequested() {
        return CompletionCodes.status(new FrameworkAttemptCompletionStatus(), CompletionCodes.STOP_FRAMEWORK_REQUESTED,
                "User has requested to stop the Framework");
    }

    /** With Stop before a ConfigMap was recorded: a ConfigMap this Framework controls is a leftover; delete it. */
    private void deleteLeftoverConfigMap() {
        cluster.live(ConfigMap.class, key(Names.configMapName(name))).filter(this::controlledByFramework)
                .ifPresent(cm -> cluster.delete(ConfigMap.class, key(cm.getMetadata().getName()), cm.getMetadata().getUid(),
                        null, null));
    }

    private boolean controlledByFramework(ConfigMap configMap) {
        return controllerUid(configMap.getMetadata().getOwnerReferences()).map(framework.getMetadata().getUid()::equals)
                .orElse(false);
    }

    private static Optional<String> controllerUid(List<OwnerReference> owners) {
        if (owners == null) {
            return Optional.empty();
        }
        return owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())).map(OwnerReference::getUid).findFirst();
    }

    private Result createConfigMap() {
        FrameworkAttemptStatus attempt = status.attemptStatus;
        ConfigMap created;
        try {
            created = cluster.create(TaskPods.configMap(framework, attempt.id));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                Optional<ConfigMap> existing = cluster.live(ConfigMap.class, key(Names.configMapName(name)));
                if (existing.isPresent() && controlledByFramework(existing.get())) {
                    observer.event(FrameworkReason.LeakedObjectDeleted, "Deleting ConfigMap " + attempt.configMapName
                            + " (uid " + existing.get().getMetadata().getUid() + ") that this Framework controls but "
                            + "never recorded");
                    cluster.delete(ConfigMap.class, key(attempt.configMapName), existing.get().getMetadata().getUid(),
                            null, null);
                } else {
                    observer.event(FrameworkReason.ObjectNameConflict, "ConfigMap " + attempt.configMapName
                            + " already exists and is not controlled by this Framework; it is left alone and creation "
                            + "is retried");
                }
            } else {
                observer.event(FrameworkReason.ConfigMapCreationFailed, "Failed to create ConfigMap "
                        + attempt.configMapName + ": " + e.getMessage());
            }
            throw e;
        }
        attempt.configMapUID = created.getMetadata().getUid();
        attempt.instanceUID = Names.attemptInstanceUid(attempt.id, attempt.configMapUID);
        transition(FrameworkState.AttemptCreationRequested, "Created ConfigMap " + attempt.configMapName + " (uid "
                + attempt.configMapUID + ")");
        after(Duration.ofSeconds(config.objectLocalCacheCreationTimeoutSec));
        return persist();
    }

    /** Deletes the recorded ConfigMap and makes sure it is gone (by UID, from the API server). */
    private void deleteConfigMapConfirmed() {
        String uid = status.attemptStatus.configMapUID;
        if (uid == null) {
            return;
        }
        cluster.delete(ConfigMap.class, key(Names.configMapName(name)), uid, null, null);
        Optional<ConfigMap> still = cluster.live(ConfigMap.class, key(Names.configMapName(name)))
                .filter(cm -> uid.equals(cm.getMetadata().getUid()));
        if (still.isPresent()) {
            throw new IllegalStateException("ConfigMap " + Names.configMapName(name) + " (uid " + uid
                    + ") still exists after deletion; retrying");
        }
    }

    /** The attempt's ConfigMap exists: Preparing, Running, DeletionPending, DeletionRequested or Deleting. */
    private Result syncWithConfigMap(ConfigMap configMap) {
        FrameworkAttemptStatus attempt = status.attemptStatus;
        if (configMap.getMetadata().getDeletionTimestamp() != null && status.state != FrameworkState.AttemptDeleting) {
            if (attempt.completionStatus == null) {
                attempt.completionStatus = CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                        CompletionCodes.CONFIGMAP_EXTERNAL_DELETED, "ConfigMap is being deleted by others");
                stampUnfinishedTasks();
            }
            transition(FrameworkState.AttemptDeleting, "ConfigMap " + attempt.configMapName + " is being deleted");
        }
        if (status.state == FrameworkState.AttemptPreparing || status.state == FrameworkState.AttemptRunning) {
            if (spec.execution() == ExecutionType.Stop) {
                completeAttempt(stopRequested(), false);
                return persist();
            }
            Optional<FrameworkAttemptCompletionStatus> completion = CompletionPolicy.evaluate(spec, attempt);
            if (completion.isPresent()) {
                completeAttempt(completion.get(), false);
                return persist();
            }
        }
        if (status.state == FrameworkState.AttemptDeletionPending) {
            cluster.delete(ConfigMap.class, key(attempt.configMapName), attempt.configMapUID, null, null);
            transition(FrameworkState.AttemptDeletionRequested, "Requested deletion of ConfigMap " + attempt.configMapName);
            return persist();
        }
        syncTasks(configMap);
        if (status.state == FrameworkState.AttemptPreparing || status.state == FrameworkState.AttemptRunning) {
            Optional<FrameworkAttemptCompletionStatus> completion = CompletionPolicy.evaluate(spec, attempt);
            if (completion.isPresent()) {
                completeAttempt(completion.get(), false);
                return persist();
            }
        }
        if (status.state == FrameworkState.AttemptPreparing && anyTaskRunning()) {
            String now = now();
            attempt.runTime = now;
            if (status.runTime == null) {
                status.runTime = now;
            }
            transition(FrameworkState.AttemptRunning, "A task of the attempt is running");
        }
        return timer;
    }

    private boolean anyTaskRunning() {
        for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                if (!task.deletionPending && task.state == TaskState.AttemptRunning) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Tasks still without a completion status get -220 when their attempt completes. */
    private void stampUnfinishedTasks() {
        for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                if (task.attemptStatus.completionStatus == null) {
                    task.attemptStatus.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                            CompletionCodes.FRAMEWORK_ATTEMPT_COMPLETION, "Stop to complete current FrameworkAttempt");
                }
            }
        }
    }

    /**
     * Decides the attempt's completion status (immutable once set). Without force the Framework only moves to
     * DeletionPending: its pods go with the ConfigMap's foreground deletion. With force (the ConfigMap is gone or was
     * never there) every task is completed at once and the Framework moves to AttemptCompleted.
     */
    private void completeAttempt(FrameworkAttemptCompletionStatus completion, boolean force) {
        FrameworkAttemptStatus attempt = status.attemptStatus;
        if (attempt.completionStatus == null) {
            attempt.completionStatus = completion;
        }
        stampUnfinishedTasks();
        if (!force) {
            transition(FrameworkState.AttemptDeletionPending, "Attempt " + attempt.id + " completes with code "
                    + attempt.completionStatus.code + " (" + attempt.completionStatus.phrase + ")");
            return;
        }
        String now = now();
        for (TaskRoleStatus role : attempt.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                if (task.state != TaskState.Completed) {
                    if (task.attemptStatus.completionTime == null) {
                        task.attemptStatus.completionTime = now;
                    }
                    task.retryPolicyStatus.retryDelaySec = null;
                    task.completionTime = now;
                    taskTransition(role, task, TaskState.Completed, "its attempt ended with the Framework's");
                }
            }
        }
        attempt.completionTime = now;
        transition(FrameworkState.AttemptCompleted, "Attempt " + attempt.id + " completed with code "
                + attempt.completionStatus.code + " (" + attempt.completionStatus.phrase + "): "
                + attempt.completionStatus.diagnostics);
    }

    /** AttemptCompleted: retry as the Framework's RetryPolicy says (possibly after a delay), or complete. */
    private Result retryOrComplete() {
        FrameworkAttemptStatus attempt = status.attemptStatus;
        RetryPolicyStatus retries = status.retryPolicyStatus;
        RetryDecision decision = RetryDecision.decide(spec.getRetryPolicy(), retries, attempt.completionStatus,
                config.frameworkMinRetryDelaySecForTransientConflictFailed,
                config.frameworkMaxRetryDelaySecForTransientConflictFailed, random);
        if (retries.retryDelaySec == null) {
            if (!decision.retry()) {
                String now = now();
                status.completionTime = now;
                transition(FrameworkState.Completed, "Framework completed with code " + attempt.completionStatus.code
                        + " (" + attempt.completionStatus.phrase + "): " + decision.reason());
                after(Duration.ofSeconds(config.frameworkCompletedRetainSec));
                return persist();
            }
            retries.retryDelaySec = decision.delaySec();
            observer.event(FrameworkReason.FrameworkRetryScheduled, "Retrying the Framework in " + decision.delaySec()
                    + "s: " + decision.reason());
            return persist();
        }
        Instant due = Timestamps.parse(status.transitionTime).plusSeconds(retries.retryDelaySec);
        if (spec.execution() != ExecutionType.Stop && clock.instant().isBefore(due)) {
            after(Duration.between(clock.instant(), due));
            return timer;
        }
        observer.frameworkRetry(framework);
        observer.retried("framework", attempt.completionStatus.code);
        retries.totalRetriedCount++;
        if (decision.accountable()) {
            retries.accountableRetriedCount++;
        }
        retries.retryDelaySec = null;
        String now = now();
        status.attemptStatus = newAttempt(framework, retries.totalRetriedCount, now);
        transition(FrameworkState.AttemptCreationPending, "Retrying the Framework: attempt " + status.attemptStatus.id);
        return persist();
    }

    /** Completed: delete the Framework once it was kept for frameworkCompletedRetainSec. */
    private Result retainOrDelete() {
        Instant due = Timestamps.parse(status.transitionTime).plusSeconds(config.frameworkCompletedRetainSec);
        if (clock.instant().isBefore(due)) {
            after(Duration.between(clock.instant(), due));
            return timer;
        }
        String uid = framework.getMetadata().getUid();
        if (framework.getMetadata().getDeletionTimestamp() == null) {
            cluster.delete(Framework.class, key(name), uid, null, DeletionPropagation.FOREGROUND);
            observer.event(FrameworkReason.FrameworkDeleted, "Deleted after being kept "
                    + config.frameworkCompletedRetainSec + "s after completion");
        }
        if (cluster.live(Framework.class, key(name)).filter(f -> uid.equals(f.getMetadata().getUid())).isPresent()) {
            throw new IllegalStateException("Framework " + namespace + "/" + name + " is still being deleted");
        }
        return timer;
    }

    // ----- task state machine -----------------------------------------------------------------------------------------

    /**
     * Syncs every task even when some fail (a name conflict on one pod must not hold up the others); the first failure
     * is rethrown at the end, with the rest suppressed, so the Framework is retried with backoff.
     */
    private void syncTasks(ConfigMap configMap) {
        RuntimeException failure = null;
        for (TaskRoleStatus role : new ArrayList<>(status.attemptStatus.taskRoleStatuses)) {
            TaskRoleSpec roleSpec = spec.role(role.name);
            for (int i = 0; i < role.taskStatuses.size(); i++) {
                try {
                    syncTask(configMap, role, roleSpec, role.taskStatuses.get(i));
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ----- events: one per round, naming every state change of the round --------------------------------------------

    private static final int NAMED_TASKS_PER_STATE = 20;
    private final List<String> frameworkChanges = new ArrayList<>();
    private FrameworkState reachedState;
    private final java.util.Map<TaskState, List<String>> taskChanges = new java.util.EnumMap<>(TaskState.class);

    private void taskTransition(TaskRoleStatus role, TaskStatus task, TaskState to, String message) {
        if (task.state == to) {
            return;
        }
        task.state = to;
        task.transitionTime = now();
        observer.taskTransition(to);
        // Names suffice for most states; how an attempt ended and why it is retried are worth their words.
        boolean explained = to == TaskState.AttemptCompleted || to == TaskState.Completed
                || (to == TaskState.AttemptCreationPending && task.retryPolicyStatus.totalRetriedCount > 0);
        taskChanges.computeIfAbsent(to, k -> new ArrayList<>()).add(role.name + "-" + task.index
                + (explained ? " (" + message + ")" : ""));
    }

    /**
     * One Normal Event for all the state changes of this round: its reason is the Framework's new state if it changed,
     * else the furthest state a task reached. One Event per round instead of one per change keeps a busy controller
     * from spending more API calls on Events than on the work itself.
     */
    void flushEvents() {
        if (frameworkChanges.isEmpty() && taskChanges.isEmpty()) {
            return;
        }
        EventReason reason = reachedState != null ? FrameworkReason.framework(reachedState)
                : FrameworkReason.task(((java.util.EnumMap<TaskState, List<String>>) taskChanges).keySet().stream()
                        .max(java.util.Comparator.naturalOrder()).orElseThrow());
        StringBuilder message = new StringBuilder();
        if (!frameworkChanges.isEmpty()) {
            message.append("Framework ").append(String.join(", then ", frameworkChanges)).append(". ");
        }
        taskChanges.forEach((state, tasks) -> {
            message.append(tasks.size() == 1 ? "Task " : tasks.size() + " tasks ").append(state).append(": ");
            message.append(String.join(", ", tasks.subList(0, Math.min(tasks.size(), NAMED_TASKS_PER_STATE))));
            if (tasks.size() > NAMED_TASKS_PER_STATE) {
                message.append(" and ").append(tasks.size() - NAMED_TASKS_PER_STATE).append(" more");
            }
            message.append(". ");
        });
        observer.stateChanges(reason, message.toString().trim());
        frameworkChanges.clear();
        taskChanges.clear();
        reachedState = null;
    }

    private boolean frameworkCompleting() {
        return completing(status.state);
    }

    private void syncTask(ConfigMap configMap, TaskRoleStatus role, TaskRoleSpec roleSpec, TaskStatus task) {
        TaskAttemptStatus attempt = task.attemptStatus;
        String podName = attempt.podName;
        switch (task.state) {
            case Completed -> {
                return;
            }
            case AttemptCompleted -> {
                retryOrCompleteTask(role, roleSpec, task);
                return;
            }
            case AttemptCreationPending -> {
                if (frameworkCompleting()) {
                    return;
                }
                if (task.deletionPending || roleSpec == null) {
                    // A pod created but never recorded (a crash in between) is in the synced cache: unlike the peer,
                    // no GET per task, which made draining a 1,500-task ScaleDown take seconds.
                    cluster.cached(Pod.class, key(podName)).filter(pod -> controlledBy(pod, configMap))
                            .ifPresent(pod -> cluster.delete(Pod.class, key(podName), pod.getMetadata().getUid(), null,
                                    null));
                    completeTaskAttempt(role, task, CompletionCodes.status(new TaskAttemptCompletionStatus(),
                            CompletionCodes.DELETE_TASK_REQUESTED, "User has requested to delete the Task by Framework "
                                    + "ScaleDown"), true);
                    retryOrCompleteTask(role, roleSpec, task);
                    return;
                }
                if (entryState(task) == TaskState.AttemptCreationPending) {
                    createPod(configMap, role, roleSpec, task);
                }
                return;
            }
            case AttemptCreationRequested -> {
                Optional<Pod> pod = ownPod(task);
                if (pod.isEmpty()) {
                    if (task.deletionPending) {
                        deletePodConfirmed(task);
                        completeTaskAttempt(role, task, attempt.completionStatus, true);
                        return;
                    }
                    Duration timeout = Duration.ofSeconds(config.objectLocalCacheCreationTimeoutSec);
                    Instant deadline = Timestamps.parse(task.transitionTime).plus(timeout);
                    if (!clock.instant().isBefore(deadline)) {
                        deletePodConfirmed(task);
                        completeTaskAttempt(role, task, CompletionCodes.status(new TaskAttemptCompletionStatus(),
                                CompletionCodes.POD_LOCAL_CACHE_CREATION_TIMEOUT, "Pod does not appear in the local cache "
                                        + "within timeout " + timeout.toSeconds() + "s, so consider it was deleted and "
                                        + "explicitly delete it"), true);
                        return;
                    }
                    after(Duration.between(clock.instant(), deadline));
                    return;
                }
                taskTransition(role, task, TaskState.AttemptPreparing, "Pod " + podName + " is in the local cache");
                syncTaskWithPod(role, task, pod.get());
                return;
            }
            default -> {
                Optional<Pod> pod = ownPod(task);
                if (pod.isEmpty()) {
                    if (attempt.completionStatus == null) {
                        attempt.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                                CompletionCodes.POD_EXTERNAL_DELETED, "Pod was deleted by others");
                    }
                    completeTaskAttempt(role, task, attempt.completionStatus, true);
                    return;
                }
                syncTaskWithPod(role, task, pod.get());
            }
        }
    }

    private Optional<Pod> ownPod(TaskStatus task) {
        String uid = task.attemptStatus.podUID;
        return cluster.cached(Pod.class, key(task.attemptStatus.podName))
                .filter(pod -> uid != null && uid.equals(pod.getMetadata().getUid()));
    }

    private static boolean controlledBy(Pod pod, ConfigMap configMap) {
        return controllerUid(pod.getMetadata().getOwnerReferences()).map(configMap.getMetadata().getUid()::equals)
                .orElse(false);
    }

    private void deletePodConfirmed(TaskStatus task) {
        String uid = task.attemptStatus.podUID;
        if (uid == null) {
            return;
        }
        cluster.delete(Pod.class, key(task.attemptStatus.podName), uid, null, null);
        if (cluster.live(Pod.class, key(task.attemptStatus.podName)).filter(p -> uid.equals(p.getMetadata().getUid()))
                .isPresent()) {
            throw new IllegalStateException("Pod " + task.attemptStatus.podName + " (uid " + uid
                    + ") still exists after deletion; retrying");
        }
    }

    private void createPod(ConfigMap configMap, TaskRoleStatus role, TaskRoleSpec roleSpec, TaskStatus task) {
        TaskAttemptStatus attempt = task.attemptStatus;
        Pod pod;
        try {
            pod = TaskPods.build(roleSpec.getTask().getPod(), new TaskPods.Identity(framework, role.name, role, task,
                    status.attemptStatus.id, status.attemptStatus.configMapUID), configMap);
            QueueAdmission.place(pod, framework, role.name);
        } catch (IllegalArgumentException e) {
            completeTaskAttempt(role, task, CompletionCodes.status(new TaskAttemptCompletionStatus(),
                    CompletionCodes.POD_CREATION_PERMANENT_ERROR, "Failed to create Pod: " + e.getMessage()), true);
            return;
        }
        Pod created;
        try {
            created = cluster.create(pod);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                Optional<Pod> existing = cluster.live(Pod.class, key(attempt.podName));
                if (existing.isPresent() && controlledBy(existing.get(), configMap)) {
                    observer.event(FrameworkReason.LeakedObjectDeleted, "Deleting pod " + attempt.podName + " (uid "
                            + existing.get().getMetadata().getUid() + ") that this attempt controls but never recorded");
                    cluster.delete(Pod.class, key(attempt.podName), existing.get().getMetadata().getUid(), null, null);
                } else {
                    observer.event(FrameworkReason.ObjectNameConflict, "Pod " + attempt.podName + " already exists and is "
                            + "not controlled by this Framework; it is left alone and creation is retried");
                }
                throw e;
            }
            CompletionCodes.Info kind = PodCreationErrors.classify(e);
            observer.event(FrameworkReason.PodCreationFailed, "Failed to create pod " + attempt.podName + " ("
                    + kind.phrase() + "): " + e.getMessage());
            if (kind == CompletionCodes.POD_CREATION_TRANSIENT_ERROR) {
                throw e;
            }
            completeTaskAttempt(role, task, CompletionCodes.status(new TaskAttemptCompletionStatus(), kind,
                    "Failed to create Pod: " + errorJson(e)), true);
            return;
        }
        attempt.podUID = created.getMetadata().getUid();
        attempt.instanceUID = Names.attemptInstanceUid(attempt.id, attempt.podUID);
        taskTransition(role, task, TaskState.AttemptCreationRequested, "Created pod " + attempt.podName + " (uid "
                + attempt.podUID + ")");
        after(Duration.ofSeconds(config.objectLocalCacheCreationTimeoutSec));
    }

    private static String errorJson(KubernetesClientException e) {
        if (e.getStatus() != null) {
            return new io.fabric8.kubernetes.client.utils.KubernetesSerialization().asJson(e.getStatus());
        }
        return String.valueOf(e.getMessage());
    }

    /** The pod exists with the recorded UID. */
    private void syncTaskWithPod(TaskRoleStatus role, TaskStatus task, Pod pod) {
        TaskAttemptStatus attempt = task.attemptStatus;
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            if (attempt.completionStatus == null) {
                attempt.completionStatus = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                        CompletionCodes.POD_EXTERNAL_DELETED, "Pod is being deleted by others");
            }
            taskTransition(role, task, TaskState.AttemptDeleting, "Pod " + attempt.podName + " is being deleted");
            forceDeleteAfterTimeout(role, task, pod);
            return;
        }
        attempt.podNodeName = orEmpty(pod.getSpec() == null ? null : pod.getSpec().getNodeName());
        attempt.podIP = orEmpty(pod.getStatus() == null ? null : pod.getStatus().getPodIP());
        attempt.podHostIP = orEmpty(pod.getStatus() == null ? null : pod.getStatus().getHostIP());
        if (task.state == TaskState.AttemptPreparing || task.state == TaskState.AttemptRunning) {
            if (task.deletionPending) {
                taskTransition(role, task, TaskState.AttemptDeletionPending, "The task was removed by ScaleDown");
            } else {
                String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
                switch (phase == null ? "Pending" : phase) {
                    case "Pending" -> taskTransition(role, task, TaskState.AttemptPreparing, "Pod is Pending");
                    case "Running" -> {
                        String now = now();
                        if (attempt.runTime == null) {
                            attempt.runTime = now;
                        }
                        if (task.runTime == null) {
                            task.runTime = now;
                        }
                        taskTransition(role, task, TaskState.AttemptRunning, "Pod is Running");
                    }
                    case "Succeeded" -> {
                        if (attempt.completionStatus == null) {
                            attempt.completionStatus = classifier.succeeded(pod);
                        }
                        taskTransition(role, task, TaskState.AttemptDeletionPending, "Pod succeeded");
                    }
                    case "Failed" -> {
                        if (attempt.completionStatus == null) {
                            attempt.completionStatus = classifier.failed(pod);
                        }
                        taskTransition(role, task, TaskState.AttemptDeletionPending, "Pod failed with code "
                                + attempt.completionStatus.code + " (" + attempt.completionStatus.phrase + ")");
                    }
                    default -> {
                        // Unknown: the node is unreachable; wait for the pod to be deleted or its phase to change.
                    }
                }
            }
        }
        if (task.state == TaskState.AttemptDeletionPending) {
            if (entryState(task) != TaskState.AttemptDeletionPending) {
                return;
            }
            cluster.delete(Pod.class, key(attempt.podName), attempt.podUID, null, null);
            taskTransition(role, task, TaskState.AttemptDeletionRequested, "Requested deletion of pod " + attempt.podName);
        }
    }

    private final java.util.Map<TaskStatus, TaskState> entryStates = new java.util.IdentityHashMap<>();

    /**
     * Records each task's state as the round found it, i.e. as persisted. A task acts on a Pending state (creates or
     * deletes its pod) only if that state was persisted before this round; otherwise the round persists it first.
     */
    private void rememberEntryStates() {
        for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                entryStates.put(task, task.state);
            }
        }
    }

    private TaskState entryState(TaskStatus task) {
        return entryStates.get(task);
    }

    /** With podGracefulDeletionTimeoutSec set, a pod still terminating after it is deleted again with grace 0. */
    private void forceDeleteAfterTimeout(TaskRoleStatus role, TaskStatus task, Pod pod) {
        Long timeout = role.podGracefulDeletionTimeoutSec;
        if (timeout == null) {
            return;
        }
        Instant deletionStart = Timestamps.parse(pod.getMetadata().getDeletionTimestamp())
                .minusSeconds(pod.getMetadata().getDeletionGracePeriodSeconds() == null ? 0
                        : pod.getMetadata().getDeletionGracePeriodSeconds());
        Instant due = deletionStart.plusSeconds(timeout);
        if (clock.instant().isBefore(due)) {
            after(Duration.between(clock.instant(), due));
            return;
        }
        observer.event(FrameworkReason.PodForceDeleted, "Force deleting pod " + task.attemptStatus.podName
                + ": its graceful deletion did not finish within podGracefulDeletionTimeoutSec " + timeout + "s");
        cluster.delete(Pod.class, key(task.attemptStatus.podName), task.attemptStatus.podUID, 0L, null);
        if (cluster.live(Pod.class, key(task.attemptStatus.podName))
                .filter(p -> task.attemptStatus.podUID.equals(p.getMetadata().getUid())).isPresent()) {
            throw new IllegalStateException("pod " + task.attemptStatus.podName + " still exists after force deletion "
                    + "(finalizers?); retrying");
        }
    }

    private void completeTaskAttempt(TaskRoleStatus role, TaskStatus task, TaskAttemptCompletionStatus completion,
            boolean force) {
        if (task.attemptStatus.completionStatus == null) {
            task.attemptStatus.completionStatus = completion;
        }
        task.attemptStatus.completionTime = now();
        CompletionStatus done = task.attemptStatus.completionStatus;
        taskTransition(role, task, TaskState.AttemptCompleted, "attempt " + task.attemptStatus.id + " completed with code "
                + done.code + " (" + done.phrase + ")");
    }

    /** AttemptCompleted: retry immediately as the task's RetryPolicy says, or complete the task. */
    private void retryOrCompleteTask(TaskRoleStatus role, TaskRoleSpec roleSpec, TaskStatus task) {
        TaskAttemptStatus attempt = task.attemptStatus;
        RetryDecision decision = roleSpec == null
                ? new RetryDecision(false, false, 0, "the task's role was removed")
                : RetryDecision.decide(roleSpec.getTask().getRetryPolicy(), task.retryPolicyStatus, attempt.completionStatus,
                        0, 0, random);
        if (!decision.retry() || frameworkCompleting()) {
            String now = now();
            task.completionTime = now;
            taskTransition(role, task, TaskState.Completed, "completed with code " + attempt.completionStatus.code + " ("
                    + attempt.completionStatus.phrase + "): " + decision.reason());
            return;
        }
        observer.taskRetry(role, task);
        observer.retried("task", attempt.completionStatus.code);
        task.retryPolicyStatus.totalRetriedCount++;
        if (decision.accountable()) {
            task.retryPolicyStatus.accountableRetriedCount++;
        }
        task.attemptStatus = newTaskAttempt(framework, role.name, task.index, task.retryPolicyStatus.totalRetriedCount, now());
        taskTransition(role, task, TaskState.AttemptCreationPending, "retrying as attempt " + task.attemptStatus.id + ": "
                + decision.reason());
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
