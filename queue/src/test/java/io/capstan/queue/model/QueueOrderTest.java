package io.capstan.queue.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueueOrderTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static JsonNode workload(String namespace, String name, String queue, int priority, String created,
            String conditions) throws Exception {
        return YAML.readTree("""
                metadata: {name: %s, namespace: %s, creationTimestamp: "%s"}
                spec: {queueName: %s, priority: %d}
                status: {conditions: %s}
                """.formatted(name, namespace, created, queue, priority, conditions));
    }

    private static JsonNode localQueue(String namespace, String name, String clusterQueue) throws Exception {
        return YAML.readTree("{metadata: {name: %s, namespace: %s}, spec: {clusterQueue: %s}}".formatted(name, namespace,
                clusterQueue));
    }

    @Test
    void aWorkloadStandsBehindHigherPrioritiesThenOlderOnesOfItsClusterQueueAcrossLocalQueues() throws Exception {
        var queues = List.of(localQueue("a", "team", "cq"), localQueue("b", "team", "cq"), localQueue("c", "solo", "other"));
        var admitted = workload("a", "admitted", "team", 100, "2026-01-01T00:00:00Z",
                "[{type: QuotaReserved, status: 'True'}]");
        var urgent = workload("b", "urgent", "team", 10, "2026-01-01T00:05:00Z", "[]");
        var older = workload("a", "older", "team", 0, "2026-01-01T00:01:00Z",
                "[{type: QuotaReserved, status: 'False'}]");
        var target = workload("a", "target", "team", 0, "2026-01-01T00:02:00Z", "[]");
        var younger = workload("b", "younger", "team", 0, "2026-01-01T00:03:00Z", "[]");
        var elsewhere = workload("c", "elsewhere", "solo", 50, "2026-01-01T00:00:00Z", "[]");
        var finished = workload("a", "finished", "team", 90, "2026-01-01T00:00:00Z", "[{type: Finished, status: 'True'}]");
        var all = List.of(admitted, urgent, older, target, younger, elsewhere, finished);

        assertThat(QueueOrder.position(target, all, queues)).isEqualTo(new QueueOrder.Position("cq", 3, 4, 2, 2));
        assertThat(QueueOrder.position(urgent, all, queues)).isEqualTo(new QueueOrder.Position("cq", 1, 4, 1, 2));
        assertThat(QueueOrder.position(admitted, all, queues)).as("holds quota: not pending").isNull();
    }

    @Test
    void aWorkloadWhoseLocalQueueLeadsNowhereHasNoPosition() throws Exception {
        var lost = workload("a", "lost", "missing", 0, "2026-01-01T00:00:00Z", "[]");

        assertThat(QueueOrder.position(lost, List.of(lost), List.of(localQueue("a", "team", "cq")))).isNull();
    }

    @Test
    void headFirstIsPriorityThenAgeThenName() {
        var t = java.time.Instant.parse("2026-01-01T00:00:00Z");
        var keys = new java.util.ArrayList<>(List.of(new QueueOrder.Key(0, t, "b"), new QueueOrder.Key(0, t, "a"),
                new QueueOrder.Key(0, t.minusSeconds(1), "z"), new QueueOrder.Key(5, t.plusSeconds(9), "y")));
        keys.sort(QueueOrder.HEAD_FIRST);

        assertThat(keys).extracting(QueueOrder.Key::name).containsExactly("y", "z", "a", "b");
    }
}
