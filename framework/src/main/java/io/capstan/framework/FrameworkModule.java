package io.capstan.framework;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.capstan.framework.admission.FrameworkWebhook;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkCrd;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.framework.controller.FrameworkController;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frameworks as a module of the operator: FrameworkController's CRD, its controller and Capstan's validating webhook,
 * configured by FrameworkController's own configuration file ({@code --config framework=frameworkcontroller.yaml}).
 */
public final class FrameworkModule implements OperatorModule {

    private static final Logger log = LoggerFactory.getLogger(FrameworkModule.class);
    public static final String NAME = "framework";

    private final FrameworkConfig config;

    /** The module with FrameworkController's built-in configuration (what the class path finds). */
    public FrameworkModule() {
        this(FrameworkConfig.defaults());
    }

    public FrameworkModule(FrameworkConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Frameworks (frameworkcontroller.microsoft.com/v1), FrameworkController compatible";
    }

    @Override
    public FrameworkModule configuredFrom(Path file) {
        FrameworkConfig loaded = FrameworkConfig.load(file);
        log.info("Framework configuration ({}):\n{}", file, loaded.describe());
        return new FrameworkModule(loaded);
    }

    public FrameworkConfig config() {
        return config;
    }

    @Override
    public ClientPreferences clientPreferences() {
        Path kubeconfig = config.kubeConfigFilePath == null || config.kubeConfigFilePath.isBlank() ? null
                : Path.of(config.kubeConfigFilePath);
        String apiServer = config.kubeApiServerAddress == null || config.kubeApiServerAddress.isBlank() ? null
                : config.kubeApiServerAddress;
        return new ClientPreferences(kubeconfig, apiServer, config.kubeClientQps, config.kubeClientBurst);
    }

    @Override
    public List<CustomResourceDefinition> crds() {
        return List.of(FrameworkCrd.definition());
    }

    @Override
    public Duration crdEstablishTimeout() {
        return Duration.ofSeconds(config.crdEstablishedCheckTimeoutSec);
    }

    /** FrameworkController's own minimum, plus the status subresource Capstan writes through. */
    @Override
    public List<PolicyRule> clusterRules() {
        return List.of(
                Operator.rule(Framework.GROUP, List.of("frameworks"), List.of("get", "list", "watch", "update", "patch", "delete")),
                Operator.rule(Framework.GROUP, List.of("frameworks/status"), List.of("get", "update", "patch")),
                Operator.rule("", List.of("configmaps", "pods"), List.of("get", "list", "watch", "create", "delete")));
    }

    @Override
    public List<AdmissionWebhooks.Hook> admissionHooks(KubernetesClient client) {
        return List.of(FrameworkWebhook.hook());
    }

    @Override
    public void addTo(Manager manager) {
        manager.add(new FrameworkController(manager.client(), manager.informers(), config,
                manager.eventRecorder("framework-controller"), manager.metrics().registry(), Clock.systemUTC()));
    }
}
