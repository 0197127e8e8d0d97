package io.capstan.runtime.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.capstan.runtime.Manager;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One capability of the operator — Frameworks, lambda controllers, AppWrappers — as one object: its CRDs, its
 * controllers, its admission hooks and the RBAC rules they need. {@link Operator} assembles the enabled modules onto
 * one {@link Manager}; {@code capstan operator}, {@code capstan up}, the tests' fixtures and the benchmarks all start
 * controllers through it, so a new capability is its API, its reconcilers and one class implementing this interface,
 * listed in {@code META-INF/services/io.capstan.runtime.operator.OperatorModule} of its jar.
 */
public interface OperatorModule {

    /** The name {@code capstan operator --enable/--disable/--config} use, e.g. {@code framework}. */
    String name();

    /** One line for help texts and the start-up log. */
    String description();

    /**
     * This module configured from a file ({@code --config NAME=FILE}); by default a module takes none.
     *
     * @throws IOException when the file cannot be read; {@link IllegalArgumentException} when it is not valid
     */
    default OperatorModule configuredFrom(Path file) throws IOException {
        throw new IllegalArgumentException("the " + name() + " module takes no configuration file (given " + file + ")");
    }

    /**
     * What the module's configuration asks of the API client, for a drop-in that keeps its peer's configuration
     * file (FrameworkController's names the API server and a request rate). Command-line flags win over it.
     */
    default ClientPreferences clientPreferences() {
        return ClientPreferences.NONE;
    }

    /**
     * Why this module must not run against this cluster — its peer is installed and owns the API (Kueue's queue, for
     * the queue module) — or null to run. Asked before anything is installed; a module that stands aside installs no
     * CRD and starts no controller, and the operator says why.
     */
    default String standsAside(io.fabric8.kubernetes.client.KubernetesClient client) {
        return null;
    }

    /** The CRDs this module serves; installed at start unless the operator is told not to. */
    List<CustomResourceDefinition> crds();

    /** How long to wait for this module's CRDs to become Established. */
    default Duration crdEstablishTimeout() {
        return Duration.ofSeconds(60);
    }

    /**
     * The cluster-wide RBAC rules the module's controllers and webhooks need, beyond what {@link Operator} itself
     * needs. The Helm chart's ClusterRole is generated from these (a test fails when it drifts).
     */
    List<PolicyRule> clusterRules();

    /**
     * Admission hooks, validating and mutating; served by the operator's webhook server when one is configured.
     *
     * @param client the operator's client, for hooks that ask the API server (e.g. a SubjectAccessReview)
     */
    default List<AdmissionWebhooks.Hook> admissionHooks(KubernetesClient client) {
        return List.of();
    }

    /**
     * Adds the module's controllers to the manager. Called once, before the manager starts, so informers asked for
     * here are shared with the other modules and synced before any controller runs.
     */
    void addTo(Manager manager) throws Exception;

    /**
     * @param kubeconfig a kubeconfig file to use, or null
     * @param apiServer the API server's URL, overriding the kubeconfig's, or null
     * @param qps a client-side request rate, or null for none
     * @param burst the burst with {@code qps}, or null
     */
    record ClientPreferences(Path kubeconfig, String apiServer, Double qps, Integer burst) {
        public static final ClientPreferences NONE = new ClientPreferences(null, null, null, null);
    }
}
