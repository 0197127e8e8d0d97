package io.capstan.runtime.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompactObjectsTest {

    private static final String POD = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"app":"a"}},
             "spec":{"nodeName":"n","containers":[{"name":"main","image":"busybox","args":["sleep","1"]}],
                     "tolerations":[{"key":"k","operator":"Exists"}]},
             "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
                       "containerStatuses":[{"name":"main","ready":true,"state":{"running":{}}}]}}
            """;

    private final KubernetesSerialization json = new KubernetesSerialization();

    @Test
    void emptyCollectionsBecomeTheSharedEmptiesAndTheObjectStaysEqual() {
        Pod pod = json.unmarshal(POD, Pod.class);
        Pod original = json.unmarshal(POD, Pod.class);

        CompactObjects.compact(pod);

        assertThat(pod).isEqualTo(original);
        assertThat(json.asJson(pod)).isEqualTo(json.asJson(original));
        assertThat(pod.getAdditionalProperties()).isSameAs(Collections.emptyMap());
        assertThat(pod.getSpec().getContainers().get(0).getAdditionalProperties()).as("nested in lists")
                .isSameAs(Collections.emptyMap());
        assertThat(pod.getSpec().getContainers().get(0).getEnv()).isSameAs(Collections.emptyList());
        assertThat(pod.getStatus().getContainerStatuses().get(0).getState().getRunning().getAdditionalProperties())
                .as("deeply nested").isSameAs(Collections.emptyMap());
        assertThat(pod.getSpec().getContainers().get(0).getArgs()).containsExactly("sleep", "1");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "a").doesNotContainKey(null);
    }

    @Test
    void modifyingACompactedObjectFailsInsteadOfChangingTheCacheQuietly() {
        Pod pod = json.unmarshal(POD, Pod.class);

        CompactObjects.compact(pod);

        assertThatThrownBy(() -> pod.getSpec().getVolumes().add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void objectsThatAreNotApiObjectsAreLeftAlone() {
        List<String> plain = new ArrayList<>();

        CompactObjects.compact(plain);
        CompactObjects.compact(null);

        plain.add("still modifiable");
        assertThat(plain).containsExactly("still modifiable");
    }
}
