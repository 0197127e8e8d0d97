package io.capstan.queue.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which a ClusterQueue admits its pending Workloads — higher priority first, then older, then by name — and
 * a Workload's position in it, worked out on demand (as Kueue's visibility API does) rather than written into every
 * waiting Workload each time one ahead of it is admitted.
 */
public final class QueueOrder {

    /** What orders a pending Workload. */
    public record Key(int priority, Instant created, String name) {
    }

    public static final Comparator<Key> HEAD_FIRST = Comparator.comparingInt(Key::priority).reversed()
            .thenComparing(Key::created).thenComparing(Key::name);

    /**
     * Where a pending Workload stands: 1-based positions among the Workloads pending in its ClusterQueue and in its
     * LocalQueue, and how many pend in each.
     */
    public record Position(String clusterQueue, int inClusterQueue, int pendingInClusterQueue, int inLocalQueue,
            int pendingInLocalQueue) {
    }

    private QueueOrder() {
    }

    /** The key of a Workload as the API returns it (JSON). */
    public static Key key(JsonNode workload) {
        JsonNode metadata = workload.path("metadata");
        return new Key(workload.path("spec").path("priority").asInt(0),
                Instant.parse(metadata.path("creationTimestamp").asText("1970-01-01T00:00:00Z")),
                metadata.path("name").asText());
    }

    /** Waiting for quota: neither holding any, nor finished, nor deactivated. */
    public static boolean pending(JsonNode workload) {
        return !conditionTrue(workload, "QuotaReserved") && !conditionTrue(workload, "Finished")
                && workload.path("spec").path("active").asBoolean(true);
    }

    /**
     * The position of {@code target} among {@code workloads}, routed to ClusterQueues through {@code localQueues}
     * (LocalQueues as JSON), or null when it is not pending or its LocalQueue leads to no ClusterQueue.
     */
    public static Position position(JsonNode target, List<JsonNode> workloads, List<JsonNode> localQueues) {
        Map<String, String> clusterQueueOf = new HashMap<>();
        for (JsonNode localQueue : localQueues) {
            clusterQueueOf.put(localQueueKey(localQueue.path("metadata").path("namespace").asText(),
                    localQueue.path("metadata").path("name").asText()),
                    localQueue.path("spec").path("clusterQueue").asText(""));
        }
        String targetLocal = localQueueOf(target);
        String clusterQueue = clusterQueueOf.getOrDefault(targetLocal, "");
        if (!pending(target) || clusterQueue.isEmpty()) {
            return null;
        }
        List<Key> sameClusterQueue = new ArrayList<>();
        List<Key> sameLocalQueue = new ArrayList<>();
        for (JsonNode workload : workloads) {
            String local = localQueueOf(workload);
            if (!pending(workload) || !clusterQueue.equals(clusterQueueOf.get(local))) {
                continue;
            }
            sameClusterQueue.add(key(workload));
            if (local.equals(targetLocal)) {
                sameLocalQueue.add(key(workload));
            }
        }
        Key own = key(target);
        return new Position(clusterQueue, rank(own, sameClusterQueue), sameClusterQueue.size(),
                rank(own, sameLocalQueue), sameLocalQueue.size());
    }

    private static int rank(Key own, List<Key> keys) {
        int ahead = 0;
        for (Key key : keys) {
            if (HEAD_FIRST.compare(key, own) < 0) {
                ahead++;
            }
        }
        return ahead + 1;
    }

    private static String localQueueOf(JsonNode workload) {
        return localQueueKey(workload.path("metadata").path("namespace").asText(),
                workload.path("spec").path("queueName").asText(""));
    }

    private static String localQueueKey(String namespace, String name) {
        return namespace + "/" + name;
    }

    private static boolean conditionTrue(JsonNode workload, String type) {
        for (JsonNode condition : workload.path("status").path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return "True".equals(condition.path("status").asText());
            }
        }
        return false;
    }
}
