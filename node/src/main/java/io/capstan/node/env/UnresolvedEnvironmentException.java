package io.capstan.node.env;

import java.util.List;
import java.util.Set;

/**
 * A mandatory reference could not be resolved, so the pod cannot start yet. Carries the Events to record and the
 * objects ({@code configmap/ns/name} or {@code secret/ns/name}) whose appearance is worth a new attempt.
 */
public final class UnresolvedEnvironmentException extends Exception {

    private final List<EnvironmentResolver.Finding> findings;
    private final Set<String> awaited;

    UnresolvedEnvironmentException(String message, List<EnvironmentResolver.Finding> findings, Set<String> awaited) {
        super(message);
        this.findings = List.copyOf(findings);
        this.awaited = Set.copyOf(awaited);
    }

    public List<EnvironmentResolver.Finding> findings() {
        return findings;
    }

    public Set<String> awaited() {
        return awaited;
    }
}
