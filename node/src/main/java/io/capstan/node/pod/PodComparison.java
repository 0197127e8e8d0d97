package io.capstan.node.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** The pod comparisons that decide what the pod controller does (Virtual Kubelet's rules). */
final class PodComparison {

    private static final Comparator<EnvVar> BY_NAME_AND_VALUE = Comparator.comparing(EnvVar::getName,
            Comparator.nullsFirst(Comparator.naturalOrder())).thenComparing(EnvVar::getValue,
            Comparator.nullsFirst(Comparator.naturalOrder()));

    private PodComparison() {
    }

    /**
     * True when the fields a provider may be asked to update are equal: containers, init and ephemeral containers
     * (resolved env compared regardless of order), activeDeadlineSeconds, tolerations, labels and annotations.
     */
    static boolean updatableFieldsEqual(Pod a, Pod b) {
        return containersEqual(a.getSpec().getContainers(), b.getSpec().getContainers())
                && containersEqual(a.getSpec().getInitContainers(), b.getSpec().getInitContainers())
                && ephemeralEqual(a.getSpec().getEphemeralContainers(), b.getSpec().getEphemeralContainers())
                && Objects.equals(a.getSpec().getActiveDeadlineSeconds(), b.getSpec().getActiveDeadlineSeconds())
                && Objects.equals(emptyIfNull(a.getSpec().getTolerations()), emptyIfNull(b.getSpec().getTolerations()))
                && Objects.equals(emptyIfNull(a.getMetadata().getLabels()), emptyIfNull(b.getMetadata().getLabels()))
                && Objects.equals(emptyIfNull(a.getMetadata().getAnnotations()), emptyIfNull(b.getMetadata().getAnnotations()));
    }

    /** Whether an informer update should trigger a pod sync: status-only changes and resyncs do not. */
    static boolean shouldSync(Pod oldPod, Pod newPod) {
        return !updatableFieldsEqual(oldPod, newPod)
                || !Objects.equals(oldPod.getMetadata().getDeletionGracePeriodSeconds(),
                        newPod.getMetadata().getDeletionGracePeriodSeconds())
                || !Objects.equals(oldPod.getMetadata().getDeletionTimestamp(), newPod.getMetadata().getDeletionTimestamp());
    }

    /** Equal apart from resourceVersion, managedFields and status. */
    static boolean effectivelyEqual(Pod a, Pod b) {
        return Objects.equals(comparableMeta(a.getMetadata()), comparableMeta(b.getMetadata()))
                && Objects.equals(a.getSpec(), b.getSpec());
    }

    /** At least one container is running (neither waiting nor terminated). */
    static boolean running(PodStatus status) {
        if (status == null || status.getContainerStatuses() == null) {
            return false;
        }
        for (ContainerStatus container : status.getContainerStatuses()) {
            if (container.getState() != null && container.getState().getRunning() != null) {
                return true;
            }
        }
        return false;
    }

    static boolean terminal(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    private static ObjectMeta comparableMeta(ObjectMeta meta) {
        return new ObjectMetaBuilder(meta).withResourceVersion(null).withManagedFields().build();
    }

    private static boolean containersEqual(List<Container> a, List<Container> b) {
        List<Container> left = emptyIfNull(a);
        List<Container> right = emptyIfNull(b);
        if (left.size() != right.size()) {
            return false;
        }
        for (int i = 0; i < left.size(); i++) {
            // Copies with sorted env: cached pods are shared between threads and must never be modified.
            Container x = new ContainerBuilder(left.get(i)).withEnv(sortedEnv(left.get(i).getEnv())).build();
            Container y = new ContainerBuilder(right.get(i)).withEnv(sortedEnv(right.get(i).getEnv())).build();
            if (!x.equals(y)) {
                return false;
            }
        }
        return true;
    }

    private static boolean ephemeralEqual(List<EphemeralContainer> a, List<EphemeralContainer> b) {
        return Objects.equals(emptyIfNull(a), emptyIfNull(b));
    }

    private static List<EnvVar> sortedEnv(List<EnvVar> env) {
        List<EnvVar> sorted = new ArrayList<>(emptyIfNull(env));
        sorted.sort(BY_NAME_AND_VALUE);
        return sorted;
    }

    private static <T> List<T> emptyIfNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static <K, V> java.util.Map<K, V> emptyIfNull(java.util.Map<K, V> map) {
        return map == null ? java.util.Map.of() : map;
    }
}
