package io.capstan.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.runtime.GoDurations;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

/**
 * The queue's configuration ({@code capstan operator --config queue=FILE}): Kueue's own configuration file
 * ({@code config.kueue.x-k8s.io} {@code Configuration}), of which the queue reads {@code waitForPodsReady}; the rest
 * of a Kueue configuration is accepted and left alone.
 *
 * @param waitForPodsReady whether an admitted workload whose pods are not all ready in time is evicted and requeued
 * @param timeout how long after admission its pods may take to be ready (Kueue's default 5m)
 * @param recoveryTimeout how long a workload whose pods were ready may stay not ready, or null for no limit
 * @param blockAdmission admit nothing else while an admitted workload's pods are not ready yet
 * @param backoffBase the first requeue's delay after a timeout; each next one doubles, up to {@code backoffMax}
 * @param backoffLimitCount requeues after which the workload is deactivated, or null for no limit
 */
public record QueueConfig(boolean waitForPodsReady, Duration timeout, Duration recoveryTimeout, boolean blockAdmission,
        Duration backoffBase, Duration backoffMax, Integer backoffLimitCount) {

    /** As Kueue when its configuration does not ask for waitForPodsReady. */
    public static final QueueConfig DEFAULTS = new QueueConfig(false, Duration.ofMinutes(5), null, false,
            Duration.ofSeconds(60), Duration.ofSeconds(3600), null);

    private static final Set<String> WAIT_KEYS = Set.of("enable", "timeout", "recoveryTimeout", "blockAdmission",
            "requeuingStrategy");

    /** Requeue delay after the {@code count}-th timeout: the base, doubled each time, at most the maximum. */
    public Duration backoff(int count) {
        Duration delay = backoffBase;
        for (int i = 1; i < count && delay.compareTo(backoffMax) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(backoffMax) > 0 ? backoffMax : delay;
    }

    /** @throws IllegalArgumentException when the file cannot be read, or its waitForPodsReady is not valid */
    public static QueueConfig load(Path file) {
        try {
            String yaml = Files.readString(file);
            if (yaml.isBlank()) {
                return DEFAULTS;
            }
            JsonNode wait = new KubernetesSerialization().unmarshal(yaml, JsonNode.class).path("waitForPodsReady");
            if (wait.isMissingNode() || wait.isNull()) {
                return DEFAULTS;
            }
            for (Iterator<String> keys = wait.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!WAIT_KEYS.contains(key)) {
                    throw new IllegalArgumentException("waitForPodsReady." + key + " is not a setting (they are "
                            + String.join(", ", WAIT_KEYS) + ")");
                }
            }
            JsonNode requeuing = wait.path("requeuingStrategy");
            Duration timeout = duration(wait, "timeout", DEFAULTS.timeout());
            return new QueueConfig(wait.path("enable").asBoolean(true), timeout,
                    wait.has("recoveryTimeout") ? duration(wait, "recoveryTimeout", null) : null,
                    wait.path("blockAdmission").asBoolean(false),
                    Duration.ofSeconds(requeuing.path("backoffBaseSeconds").asLong(60)),
                    Duration.ofSeconds(requeuing.path("backoffMaxSeconds").asLong(3600)),
                    requeuing.hasNonNull("backoffLimitCount") ? requeuing.path("backoffLimitCount").asInt() : null);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the queue configuration " + file + " (a Kueue Configuration) is not valid: "
                    + e.getMessage(), e);
        }
    }

    private static Duration duration(JsonNode node, String key, Duration fallback) {
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? fallback : GoDurations.parse(value.asText());
    }
}
