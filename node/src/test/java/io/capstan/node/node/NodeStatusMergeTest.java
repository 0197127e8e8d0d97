package io.capstan.node.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeStatusMergeTest {

    private static NodeCondition condition(String type, String status) {
        return new NodeConditionBuilder().withType(type).withStatus(status).withLastTransitionTime("2026-01-01T00:00:00Z").build();
    }

    private static Node wanted(List<NodeCondition> conditions, String label) {
        return new NodeBuilder().withNewMetadata().withName("n").addToLabels(label, "v").addToAnnotations("agent/a", "1")
                .endMetadata().withNewStatus().withConditions(conditions).endStatus().build();
    }

    @Test
    void thirdPartyConditionsLabelsAndAnnotationsSurviveAndDroppedOwnOnesAreRemoved() {
        Node first = wanted(List.of(condition("Ready", "True"), condition("Custom", "True")), "agent-label");
        Node server = new NodeBuilder().withNewMetadata().withName("n").addToLabels("admin", "keep")
                .addToAnnotations("admin/note", "keep").endMetadata()
                .withNewStatus().withConditions(condition("ThirdParty", "True")).endStatus().build();

        Node afterFirst = NodeController.merge(server, first, first.getStatus());
        assertThat(afterFirst.getStatus().getConditions()).extracting(NodeCondition::getType)
                .containsExactlyInAnyOrder("ThirdParty", "Ready", "Custom");
        assertThat(afterFirst.getMetadata().getLabels()).containsEntry("admin", "keep").containsEntry("agent-label", "v");
        assertThat(afterFirst.getMetadata().getAnnotations()).containsKeys("admin/note", "agent/a",
                NodeController.LAST_APPLIED_META, NodeController.LAST_APPLIED_STATUS);

        Node second = wanted(List.of(condition("Ready", "False")), "other-label");
        Node afterSecond = NodeController.merge(afterFirst, second, second.getStatus());
        assertThat(afterSecond.getStatus().getConditions()).extracting(NodeCondition::getType)
                .as("Custom was ours and is no longer wanted").containsExactlyInAnyOrder("ThirdParty", "Ready");
        assertThat(afterSecond.getMetadata().getLabels()).containsEntry("admin", "keep").containsEntry("other-label", "v")
                .doesNotContainKey("agent-label");
    }

    @Test
    void anUnchangedConditionKeepsItsTransitionTime() {
        Node server = new NodeBuilder().withNewMetadata().withName("n").endMetadata()
                .withNewStatus().withConditions(condition("Ready", "True")).endStatus().build();
        NodeCondition fresh = new NodeConditionBuilder().withType("Ready").withStatus("True")
                .withLastTransitionTime("2026-06-01T00:00:00Z").build();
        Node wanted = wanted(List.of(fresh), "l");

        Node merged = NodeController.merge(server, wanted, wanted.getStatus());

        assertThat(merged.getStatus().getConditions().getFirst().getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    }
}
