package io.capstan.appwrapper;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.capstan.appwrapper.admission.AppWrapperAdmission;
import io.capstan.appwrapper.admission.AppWrapperDefaults;
import io.capstan.appwrapper.admission.SubjectAccessCheck;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.controller.AppWrapperController;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Crds;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AppWrappers as a module of the operator: AppWrapper's {@code workload.codeflare.dev/v1beta2} AppWrapper, a set of
 * arbitrary objects deployed, watched, retried and removed as one unit.
 */
public final class AppWrapperModule implements OperatorModule {

    public static final String NAME = "appwrapper";

    private static final Logger log = LoggerFactory.getLogger(AppWrapperModule.class);

    private final AppWrapperConfig config;

    /** The module with AppWrapper's default configuration (what the class path finds). */
    public AppWrapperModule() {
        this(AppWrapperConfig.DEFAULTS);
    }

    public AppWrapperModule(AppWrapperConfig config) {
        this.config = config;
    }

    /** AppWrapper's own operator configuration file, or the {@code operator-config} ConfigMap that holds it. */
    @Override
    public AppWrapperModule configuredFrom(Path file) {
        AppWrapperConfig loaded = AppWrapperConfig.load(file);
        if (!loaded.ignored().isEmpty()) {
            log.warn("The AppWrapper configuration {} sets {}, which Capstan accepts and does not act on: the queue "
                    + "module does the Kueue integration's work", file, String.join(", ", loaded.ignored()));
        }
        return new AppWrapperModule(loaded);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "AppWrappers (workload.codeflare.dev/v1beta2), AppWrapper compatible";
    }

    @Override
    public List<CustomResourceDefinition> crds() {
        return List.of(Crds.load(AppWrapperModule.class, "api/appwrappers.workload.codeflare.dev.yaml"));
    }

    /**
     * The AppWrappers themselves, their pods, and whatever kinds they wrap: as AppWrapper's own ClusterRole, the
     * controller may create, read and delete any kind (it never updates a wrapped object); it reads nodes for
     * Autopilot's labels.
     */
    @Override
    public List<PolicyRule> clusterRules() {
        return List.of(
                Operator.rule(AppWrapper.GROUP, List.of("appwrappers"), List.of("get", "list", "watch", "update", "patch")),
                Operator.rule(AppWrapper.GROUP, List.of("appwrappers/status"), List.of("get", "update", "patch")),
                Operator.rule("*", List.of("*"), List.of("get", "list", "watch", "create", "delete")),
                // The webhook asks whether an AppWrapper's creator may create each wrapped object.
                Operator.rule("authorization.k8s.io", List.of("subjectaccessreviews"), List.of("create")));
    }

    @Override
    public List<AdmissionWebhooks.Hook> admissionHooks(KubernetesClient client) {
        return List.of(AppWrapperDefaults.hook(config.defaultQueueName()),
                AppWrapperAdmission.hook(config.userRbacAdmissionCheck() ? new SubjectAccessCheck(client) : null));
    }

    @Override
    public void addTo(Manager manager) {
        manager.add(new AppWrapperController(manager.client(), manager.informers(), config.controller(),
                manager.eventRecorder("appwrapper-controller"), manager.metrics().registry(), Clock.systemUTC()));
    }
}
