package io.capstan.lambda;

import io.capstan.lambda.hosted.HostedControllers;
import io.capstan.runtime.Manager;
import io.capstan.runtime.informer.Selectors;
import io.capstan.runtime.operator.Crds;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;

/**
 * Lambda controllers as a module of the operator: Metacontroller's {@code metacontroller.k8s.io/v1alpha1}
 * CompositeController and DecoratorController, whose business logic is an HTTP/JSON hook in any language.
 */
public final class LambdaModule implements OperatorModule {

    public static final String NAME = "lambda";

    private final LambdaConfig config;

    /** The module with Metacontroller's defaults (what the class path finds). */
    public LambdaModule() {
        this(LambdaConfig.DEFAULTS);
    }

    public LambdaModule(LambdaConfig config) {
        this.config = config;
    }

    @Override
    public LambdaModule configuredFrom(java.nio.file.Path file) {
        return new LambdaModule(LambdaConfig.load(file));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "lambda controllers (metacontroller.k8s.io/v1alpha1 CompositeController, DecoratorController), Metacontroller compatible";
    }

    @Override
    public List<CustomResourceDefinition> crds() {
        return List.of(Crds.load(LambdaModule.class, "api/compositecontrollers.metacontroller.k8s.io.yaml"),
                Crds.load(LambdaModule.class, "api/decoratorcontrollers.metacontroller.k8s.io.yaml"),
                Crds.load(LambdaModule.class, "api/controllerrevisions.metacontroller.k8s.io.yaml"));
    }

    /**
     * A lambda controller's parents and children are whatever kinds its users name, so, as Metacontroller's own
     * ClusterRole does, the module may read and write every kind.
     */
    @Override
    public List<PolicyRule> clusterRules() {
        return List.of(Operator.rule("*", List.of("*"), List.of("get", "list", "watch", "create", "update", "patch",
                "delete")));
    }

    @Override
    public void addTo(Manager manager) {
        Selectors targets = config.targetLabelSelector() == null ? Selectors.NONE
                : Selectors.labels(config.targetLabelSelector());
        manager.add(new HostedControllers(HostedControllers.COMPOSITE, manager, targets, config));
        manager.add(new HostedControllers(HostedControllers.DECORATOR, manager, targets, config));
    }
}
