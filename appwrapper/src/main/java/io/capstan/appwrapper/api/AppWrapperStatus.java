package io.capstan.appwrapper.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Where an AppWrapper is in its life cycle, and what it deployed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AppWrapperStatus {

    /** {@code ""} until first seen, then one of {@link Phase}'s names. */
    public String phase;
    /** How many times the AppWrapper was reset after a counted failure (the peer's Go field is {@code Retries}). */
    public Integer resettingCount;
    public List<Condition> conditions = new ArrayList<>();
    public List<ComponentStatus> componentStatus = new ArrayList<>();

    /** The phases; {@code Empty} is the phase of an AppWrapper not seen yet. */
    public enum Phase {
        Empty, Suspended, Resuming, Running, Suspending, Resetting, Succeeded, Failed, Terminating;

        public static Phase of(String phase) {
            return phase == null || phase.isEmpty() ? Empty : valueOf(phase);
        }

        public String value() {
            return this == Empty ? "" : name();
        }
    }

    /** A {@code metav1.Condition}: every field but observedGeneration is required by the schema. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Condition {
        public String type;
        public String status;
        public Long observedGeneration;
        public String lastTransitionTime;
        public String reason;
        public String message = "";

        public String getType() {
            return type;
        }

        public String getStatus() {
            return status;
        }

        public String getReason() {
            return reason;
        }

        public String getMessage() {
            return message;
        }

        public String getLastTransitionTime() {
            return lastTransitionTime;
        }
    }

    /** The condition types. */
    public static final String QUOTA_RESERVED = "QuotaReserved";
    public static final String RESOURCES_DEPLOYED = "ResourcesDeployed";
    public static final String PODS_READY = "PodsReady";
    public static final String UNHEALTHY = "Unhealthy";
    public static final String DELETING_RESOURCES = "DeletingResources";

    /** What was deployed for one component: its real name (generateName resolved), kind and podSets. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ComponentStatus {
        /**
         * Empty until created when the component has only a generateName: left out of the JSON then, as the API server
         * of Kubernetes 1.20 refuses an empty string here.
         */
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        public String name;
        public String kind;
        public String apiVersion;
        public List<PodSet> podSets = new ArrayList<>();
        public List<Condition> conditions = new ArrayList<>();
    }

    public Phase phase() {
        return Phase.of(phase);
    }

    public int resets() {
        return resettingCount == null ? 0 : resettingCount;
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public Optional<Condition> condition(String type) {
        return find(conditions, type);
    }

    public boolean isTrue(String type) {
        return condition(type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    /** When the condition last changed status (null when it is not there). */
    public Instant since(String type) {
        return condition(type).map(c -> Instant.parse(c.getLastTransitionTime())).orElse(null);
    }

    /**
     * Sets a condition as {@code meta.SetStatusCondition} does: its transition time moves only when its status
     * changes, so the clocks that run from it (grace periods, retry pause) are not reset by a new message.
     */
    public static void set(List<Condition> conditions, String type, String status, String reason, String message,
            Instant now) {
        Condition existing = find(conditions, type).orElse(null);
        if (existing == null) {
            existing = new Condition();
            existing.type = type;
            existing.lastTransitionTime = now.toString();
            conditions.add(existing);
        } else if (!status.equals(existing.getStatus())) {
            existing.lastTransitionTime = now.toString();
        }
        existing.status = status;
        existing.reason = reason;
        // Never empty: Kubernetes 1.20's JSON patch turns an empty string into null, which the schema refuses.
        existing.message = message == null || message.isEmpty() ? reason : message;
    }

    public void set(String type, String status, String reason, String message, Instant now) {
        set(conditions, type, status, reason, message, now);
    }

    public void remove(String type) {
        conditions.removeIf(c -> type.equals(c.getType()));
    }
}
