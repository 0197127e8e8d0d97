package io.capstan.node.pod;

import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.Provider;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.api.model.ContainerStateTerminatedBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For providers that do not notify: every few seconds asks the provider for the status of each live pod and feeds
 * it to the same path notifications take. A pod the provider no longer knows, and that Kubernetes did not delete,
 * is reported Failed with reason {@code NotFound} (so its owner can replace it), after a one-minute grace period
 * for pods still starting.
 */
final class StatusPoller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusPoller.class);
    private static final Duration CREATION_GRACE = Duration.ofMinutes(1);

    private final Provider provider;
    private final SharedIndexInformer<Pod> pods;
    private final Consumer<Pod> notify;
    private final Duration interval;
    private final Set<ObjectKey> deletedThroughNode = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private Thread loop;

    StatusPoller(Provider provider, SharedIndexInformer<Pod> pods, Consumer<Pod> notify, Duration interval) {
        this.provider = provider;
        this.pods = pods;
        this.notify = notify;
        this.interval = interval;
    }

    void start() {
        loop = Thread.ofVirtual().name("pod-status-poller").start(() -> {
            while (!closed) {
                pollOnce();
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** The node deleted this pod through the provider; its absence is expected. */
    void markDeleted(ObjectKey key) {
        deletedThroughNode.add(key);
    }

    void forgetDeleted(ObjectKey key) {
        deletedThroughNode.remove(key);
    }

    void pollOnce() {
        for (Pod pod : pods.getStore().list()) {
            if (PodComparison.terminal(pod)) {
                continue;
            }
            ObjectKey key = PodController.key(pod);
            try {
                Optional<PodStatus> status = provider.getPodStatus(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
                if (status.isPresent()) {
                    notify.accept(new PodBuilder(pod).withStatus(status.get()).build());
                    continue;
                }
            } catch (NotFoundException e) {
                // handled below like an empty answer
            } catch (Exception e) {
                log.warn("Polling the status of pod {} failed: {}", key, PodController.describe(e));
                continue;
            }
            if (deletedThroughNode.contains(key) || pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            boolean starting = !"Running".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())
                    && Instant.parse(pod.getMetadata().getCreationTimestamp()).plus(CREATION_GRACE).isAfter(Instant.now());
            if (!starting) {
                notify.accept(new PodBuilder(pod).withStatus(notFoundStatus(pod)).build());
            }
        }
    }

    static PodStatus notFoundStatus(Pod pod) {
        String now = Instant.now().toString();
        List<ContainerStatus> containers = new ArrayList<>();
        for (ContainerStatus status : pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.<ContainerStatus>of()
                : pod.getStatus().getContainerStatuses()) {
            if (status.getState() != null && status.getState().getRunning() != null) {
                containers.add(new ContainerStatusBuilder(status).withReady(false).withNewState()
                        .withTerminated(new ContainerStateTerminatedBuilder().withExitCode(-137).withReason("NotFound")
                                .withMessage("Container was not found and was likely deleted").withFinishedAt(now)
                                .withStartedAt(status.getState().getRunning().getStartedAt()).build())
                        .endState().build());
            } else {
                containers.add(status);
            }
        }
        return new PodStatusBuilder(pod.getStatus() == null ? new PodStatus() : pod.getStatus()).withPhase("Failed")
                .withReason("NotFound").withMessage("The pod status was not found and may have been deleted from the provider")
                .withContainerStatuses(containers).build();
    }

    /** What a polled provider's deleted pod is reported as: every container terminated, the pod Succeeded. */
    static PodStatus terminatedStatus(Pod pod) {
        String now = Instant.now().toString();
        List<ContainerStatus> containers = new ArrayList<>();
        for (ContainerStatus status : pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.<ContainerStatus>of()
                : pod.getStatus().getContainerStatuses()) {
            String started = status.getState() != null && status.getState().getRunning() != null
                    ? status.getState().getRunning().getStartedAt() : null;
            containers.add(new ContainerStatusBuilder(status).withReady(false).withNewState()
                    .withTerminated(new ContainerStateTerminatedBuilder().withExitCode(0).withReason("Terminated")
                            .withMessage("Container was terminated. The exit code may not reflect the real exit code")
                            .withStartedAt(started).withFinishedAt(now).build())
                    .endState().build());
        }
        return new PodStatusBuilder(pod.getStatus() == null ? new PodStatus() : pod.getStatus()).withPhase("Succeeded")
                .withReason("Terminated").withContainerStatuses(containers).build();
    }

    @Override
    public void close() {
        closed = true;
        if (loop != null) {
            loop.interrupt();
        }
    }
}
