package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The patch computed from model objects does what the patch computed from their JSON trees does. */
class MergePatchModelPropertiesTest {

    private static final KubernetesSerialization json = new KubernetesSerialization();

    @Property(tries = 500)
    void applyingThePatchTurnsOneStatusIntoTheOther(@ForAll("statuses") PodStatus from, @ForAll("statuses") PodStatus to) {
        JsonNode patch = tree(MergePatch.diff(json, from, to));

        assertThat(MergePatchTest.apply(tree(from), patch)).isEqualTo(tree(to));
    }

    @Property(tries = 500)
    void thePatchNamesOnlyWhatChanged(@ForAll("statuses") PodStatus from, @ForAll("statuses") PodStatus to) {
        JsonNode patch = tree(MergePatch.diff(json, from, to));
        JsonNode before = tree(from);
        JsonNode after = tree(to);

        patch.fieldNames().forEachRemaining(name -> assertThat(present(before.get(name)))
                .as(name).isNotEqualTo(present(after.get(name))));
        assertThat(MergePatch.isEmpty(patch)).isEqualTo(before.equals(after));
    }

    @Property(tries = 100)
    void nothingAbsentIsWritten(@ForAll("statuses") PodStatus to) {
        assertThat(tree(MergePatch.diff(json, null, to))).isEqualTo(tree(to));
        assertThat(MergePatch.isEmpty(tree(MergePatch.diff(json, to, to)))).isTrue();
    }

    @Provide
    Arbitrary<PodStatus> statuses() {
        Arbitrary<String> phase = Arbitraries.of("", "Pending", "Running").injectNull(0.3);
        Arbitrary<String> message = Arbitraries.of("", "pulling", "crashed").injectNull(0.3);
        Arbitrary<Long> generation = Arbitraries.of(1L, 2L).injectNull(0.5);
        Arbitrary<List<PodCondition>> conditions = Arbitraries.of(
                condition("Ready", "True"), condition("Ready", "False"), condition("PodScheduled", "True"))
                .list().ofMaxSize(3);
        Arbitrary<List<ContainerStatus>> containers = Arbitraries.of(
                container("main", true, 0), container("main", false, 1), container("side", true, 0))
                .list().ofMaxSize(2).injectNull(0.2);
        Arbitrary<Map<String, Quantity>> allocated = Arbitraries.of(
                Map.<String, Quantity>of(), Map.of("cpu", new Quantity("1")),
                Map.of("cpu", new Quantity("2"), "memory", new Quantity("1Gi")));
        Arbitrary<Object> extra = Arbitraries.<Object>of("text", 7, List.of("a"), Map.of("a", 1), Map.of("a", 2, "b", 3))
                .injectNull(0.4);
        Arbitrary<String> limit = Arbitraries.of("1", "2").injectNull(0.4);
        return Combinators.combine(phase, message, generation, conditions, containers, allocated, extra, limit)
                .as((p, m, g, c, cs, a, x, l) -> {
                    PodStatusBuilder status = new PodStatusBuilder().withPhase(p).withMessage(m)
                            .withObservedGeneration(g).withConditions(c).withContainerStatuses(cs)
                            .withAllocatedResources(a);
                    if (l != null) {
                        status.withResources(new ResourceRequirementsBuilder().addToLimits("cpu", new Quantity(l))
                                .build());
                    }
                    if (x != null) {
                        status.addToAdditionalProperties("extra", x);
                    }
                    return status.build();
                });
    }

    private static PodCondition condition(String type, String value) {
        return new PodCondition(null, null, null, null, "reason", value, type);
    }

    private static ContainerStatus container(String name, boolean ready, int restarts) {
        return new ContainerStatusBuilder().withName(name).withReady(ready).withRestartCount(restarts)
                .withNewState().withNewRunning().withStartedAt("2026-12-01T00:00:00Z").endRunning().endState().build();
    }

    private static JsonNode tree(Object value) {
        return json.unmarshal(json.asJson(value), JsonNode.class);
    }

    private static JsonNode present(JsonNode node) {
        return node == null ? NullNode.instance : node;
    }
}
