package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModules;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart, rendered and linted by real Helm (its Go library through helm-java): it lints clean, its values do
 * what values.yaml says, and deploy/capstan.yaml is exactly its rendering with default values, so the plain manifests
 * and the chart cannot drift apart (DeployIT runs the operator with that rendering's RBAC).
 */
class HelmChartTest {

    static final Path CHART = Path.of("..", "charts", "capstan");
    static final Path DEPLOY_MANIFEST = Path.of("..", "deploy", "capstan.yaml");
    static final Path CLUSTER_RULES = CHART.resolve("rbac").resolve("cluster-rules.yaml");
    /** Set to regenerate deploy/capstan.yaml and the chart's cluster rules instead of comparing. */
    private static final String REGENERATE = "capstan.regenerate";
    private static final String NAMESPACE = "capstan-system";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    void theChartLintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(message -> message.contains("[WARNING]") || message.contains("[ERROR]"));
    }

    @Test
    void theDeployManifestIsTheChartRenderedWithDefaultValues() throws Exception {
        String expected = deployManifest(new Helm(CHART).template().withName("capstan").withNamespace(NAMESPACE)
                .skipCrds().call());
        if (Boolean.getBoolean(REGENERATE)) {
            Files.writeString(DEPLOY_MANIFEST, expected);
        }
        assertThat(Files.readString(DEPLOY_MANIFEST))
                .as("deploy/capstan.yaml is generated from charts/capstan; after changing the chart run\n"
                        + "  ./mvnw -B -pl cli test -Dtest=HelmChartTest -D" + REGENERATE + "=true")
                .isEqualTo(expected);
    }

    @Test
    void theChartsClusterRoleGrantsWhatTheOperatorsModulesList() throws Exception {
        String expected = clusterRules(Operator.clusterRules(OperatorModules.discover()));
        if (Boolean.getBoolean(REGENERATE)) {
            Files.writeString(CLUSTER_RULES, expected);
        }
        assertThat(Files.readString(CLUSTER_RULES))
                .as("charts/capstan/rbac/cluster-rules.yaml is generated from the modules' clusterRules(); run\n"
                        + "  ./mvnw -B -pl cli test -Dtest=HelmChartTest -D" + REGENERATE + "=true")
                .isEqualTo(expected);
        ClusterRole role = render(template -> template).stream().filter(ClusterRole.class::isInstance)
                .map(ClusterRole.class::cast).filter(r -> r.getMetadata().getName().equals("capstan")).findFirst()
                .orElseThrow();
        assertThat(role.getRules()).isEqualTo(Operator.clusterRules(OperatorModules.discover()));
    }

    /** The rules as the chart keeps them: one flow-style entry per rule, the way people write RBAC by hand. */
    private static String clusterRules(List<PolicyRule> rules) {
        StringBuilder yaml = new StringBuilder("# GENERATED from the operator's modules (Operator.clusterRules); HelmChartTest "
                + "keeps it current.\n");
        for (PolicyRule rule : rules) {
            yaml.append("- apiGroups: ").append(flow(rule.getApiGroups()))
                    .append("\n  resources: ").append(flow(rule.getResources()))
                    .append("\n  verbs: ").append(flow(rule.getVerbs())).append('\n');
        }
        return yaml.toString();
    }

    private static String flow(List<String> values) {
        // The core group ("") and the wildcard (*) need quotes in YAML; names and verbs do not.
        return "[" + String.join(", ", values.stream().map(v -> v.matches("[A-Za-z0-9][A-Za-z0-9./-]*") ? v
                : "\"" + v + "\"").toList()) + "]";
    }

    @Test
    void theChartAndDeployCarryEveryModulesCrd() throws Exception {
        for (var module : OperatorModules.discover()) {
            for (var crd : module.crds()) {
                String file = crd.getMetadata().getName() + ".yaml";
                for (Path directory : List.of(CHART.resolve("crds"), Path.of("..", "deploy", "crds"))) {
                    Path copy = directory.resolve(file);
                    assertThat(copy).as("the %s module's CRD in %s", module.name(), directory).exists();
                    assertThat(SERIALIZATION.unmarshal(Files.readString(copy),
                            io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class))
                            .as("%s is the %s module's CRD", copy, module.name()).isEqualTo(crd);
                }
            }
        }
    }

    @Test
    void theChartCarriesTheSameFrameworkCrdAsDeploy() throws Exception {
        String crd = "frameworks.frameworkcontroller.microsoft.com.yaml";
        assertThat(Files.readString(CHART.resolve("crds").resolve(crd)))
                .as("charts/capstan/crds and deploy/crds hold the same CRD")
                .isEqualTo(Files.readString(Path.of("..", "deploy", "crds", crd)));
    }

    @Test
    void defaultsRunTwoReplicasWithLeaderElectionAndTheWebhook() {
        List<HasMetadata> objects = render(template -> template);
        Container operator = operator(objects);
        assertThat(deployment(objects).getSpec().getReplicas()).isEqualTo(2);
        assertThat(operator.getImage()).isEqualTo("capstan:0.1.0");
        assertThat(operator.getArgs()).contains("operator", "--leader-elect", "--leader-election-namespace=" + NAMESPACE,
                "--webhook-service=" + NAMESPACE + "/capstan-webhook");
        assertThat(objects).anySatisfy(object -> assertThat(object).isInstanceOf(Service.class)
                .extracting(o -> o.getMetadata().getName()).isEqualTo("capstan-webhook"));
        assertThat(objects).noneMatch(ConfigMap.class::isInstance);
        // Arguments the operator's command line accepts.
        assertThat(new picocli.CommandLine(new OperatorCommand()).parseArgs(
                operator.getArgs().subList(1, operator.getArgs().size()).toArray(String[]::new)).errors()).isEmpty();
    }

    @Test
    void frameworkConfigBecomesAConfigMapTheOperatorLoads(@TempDir Path work) throws Exception {
        List<HasMetadata> objects = render(template -> template
                .set("frameworkConfig.frameworkCompletedRetainSec", 600));
        ConfigMap config = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast).findFirst()
                .orElseThrow();
        Path file = work.resolve("frameworkcontroller.yaml");
        Files.writeString(file, config.getData().get("frameworkcontroller.yaml"));
        assertThat(FrameworkConfig.load(file).frameworkCompletedRetainSec).isEqualTo(600L);
        Container operator = operator(objects);
        assertThat(operator.getArgs()).contains("--config=framework=/etc/capstan/frameworkcontroller.yaml");
        assertThat(operator.getVolumeMounts()).anySatisfy(mount -> assertThat(mount.getMountPath()).isEqualTo("/etc/capstan"));
        assertThat(deployment(objects).getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(volume -> assertThat(volume.getConfigMap()).isNotNull()
                        .extracting(source -> source.getName()).isEqualTo(config.getMetadata().getName()));
    }

    @Test
    void lambdaConfigBecomesAFileTheOperatorLoadsAndModulesCanBeLeftOut(@TempDir Path work) throws Exception {
        List<HasMetadata> objects = render(template -> template.set("lambdaConfig.targetLabelSelector", "shard=a")
                .set("disabledModules[0]", "framework"));
        ConfigMap config = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast).findFirst()
                .orElseThrow();
        Path file = work.resolve("lambda.yaml");
        Files.writeString(file, config.getData().get("lambda.yaml"));
        assertThat(io.capstan.lambda.LambdaConfig.load(file).targetLabelSelector()).isEqualTo("shard=a");
        assertThat(config.getData()).doesNotContainKey("frameworkcontroller.yaml");
        assertThat(operator(objects).getArgs()).contains("--config=lambda=/etc/capstan/lambda.yaml", "--disable=framework")
                .noneMatch(arg -> arg.startsWith("--config=framework"));
        assertThat(new picocli.CommandLine(new OperatorCommand()).parseArgs(operator(objects).getArgs()
                .subList(1, operator(objects).getArgs().size()).toArray(String[]::new)).errors()).isEmpty();
        assertThatThrownBy(() -> render(template -> template.set("disabledModules[0]", "metacontroller")))
                .hasMessageContaining("disabledModules");
    }

    @Test
    void queueConfigIsAKueueConfigurationTheOperatorLoads(@TempDir Path work) throws Exception {
        List<HasMetadata> objects = render(template -> template.set("queueConfig.waitForPodsReady.enable", true)
                .set("queueConfig.waitForPodsReady.timeout", "10m"));
        ConfigMap config = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast).findFirst()
                .orElseThrow();
        Path file = work.resolve("queue.yaml");
        Files.writeString(file, config.getData().get("queue.yaml"));
        io.capstan.queue.QueueConfig loaded = io.capstan.queue.QueueConfig.load(file);
        assertThat(loaded.waitForPodsReady()).isTrue();
        assertThat(loaded.timeout()).hasMinutes(10);
        assertThat(operator(objects).getArgs()).contains("--config=queue=/etc/capstan/queue.yaml");
    }

    @Test
    void appwrapperConfigIsAppWrappersOperatorConfigurationTheOperatorLoads(@TempDir Path work) throws Exception {
        List<HasMetadata> objects = render(template -> template
                .set("appwrapperConfig.appwrapper.defaultQueueName", "user-queue")
                .set("appwrapperConfig.appwrapper.faultTolerance.retryLimit", 5));
        ConfigMap config = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast).findFirst()
                .orElseThrow();
        Path file = work.resolve("appwrapper.yaml");
        Files.writeString(file, config.getData().get("appwrapper.yaml"));
        io.capstan.appwrapper.AppWrapperConfig loaded = io.capstan.appwrapper.AppWrapperConfig.load(file);
        assertThat(loaded.defaultQueueName()).isEqualTo("user-queue");
        assertThat(loaded.controller().faultTolerance().retryLimit()).isEqualTo(5);
        assertThat(operator(objects).getArgs()).contains("--config=appwrapper=/etc/capstan/appwrapper.yaml");
    }

    @Test
    void valuesTurnFeaturesOffAndScopeTheOperator() {
        List<HasMetadata> objects = render(template -> template
                .set("webhook.enabled", false).set("leaderElection.enabled", false).set("replicaCount", 1)
                .set("watchNamespace", "team-a").set("image.tag", "dev").set("extraArgs[0]", "--install-crds=false"));
        Container operator = operator(objects);
        assertThat(objects).noneMatch(Service.class::isInstance);
        assertThat(operator.getImage()).isEqualTo("capstan:dev");
        assertThat(operator.getArgs()).contains("--namespace=team-a", "--install-crds=false")
                .noneMatch(arg -> arg.startsWith("--webhook") || arg.startsWith("--leader"));
        assertThat(operator.getPorts()).noneMatch(port -> "webhook".equals(port.getName()));
    }

    @Test
    void aMissingServiceAccountNameIsReportedWhenTheChartDoesNotCreateOne() {
        assertThatThrownBy(() -> render(template -> template.set("serviceAccount.create", false)))
                .hasMessageContaining("serviceAccount.name is required when serviceAccount.create is false");
        assertThat(deployment(render(template -> template.set("serviceAccount.create", false)
                .set("serviceAccount.name", "existing"))).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("existing");
    }

    @Test
    void badValuesAreRejectedBeforeAnythingIsRendered() {
        assertThatThrownBy(() -> render(template -> template.set("replicas", 3)))
                .hasMessageContaining("additional properties 'replicas' not allowed");
        assertThatThrownBy(() -> render(template -> template.set("webhook.failurePolicy", "Sometimes")))
                .hasMessageContaining("failurePolicy");
        assertThatThrownBy(() -> render(template -> template.set("frameworkConfig.workerNumber", 0)))
                .hasMessageContaining("workerNumber");
        assertThatThrownBy(() -> render(template -> template.set("logLevel", "verbose")))
                .hasMessageContaining("logLevel");
    }

    /** The chart's objects for a release named capstan with the given values, CRDs aside. */
    private static List<HasMetadata> render(UnaryOperator<TemplateCommand> values) {
        String yaml = values.apply(new Helm(CHART).template().withName("capstan").withNamespace(NAMESPACE).skipCrds())
                .call();
        return SERIALIZATION.unmarshal(yaml);
    }

    private static Deployment deployment(List<HasMetadata> objects) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    }

    private static Container operator(List<HasMetadata> objects) {
        return deployment(objects).getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    /** What deploy/capstan.yaml holds: how to use it, the namespace, then the chart's rendering. */
    private static String deployManifest(String rendered) {
        return """
                # Capstan's operator in a real cluster, without Helm: the Framework controller with leader election and
                # the validating admission webhook. Apply the CRD first (kubectl apply -f deploy/crds/), then this file.
                # With Helm: helm install capstan charts/capstan -n capstan-system --create-namespace
                #
                # GENERATED from charts/capstan with default values (HelmChartTest keeps the two identical); edit the
                # chart, not this file.
                #
                # The image is the same jar `./capstan` runs, on a JRE: build it with
                #   ./mvnw -B -q package -DskipTests && docker build -f deploy/Dockerfile -t capstan:0.1.0 .
                # and push it where your cluster pulls from (or change `image:` below).
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: capstan-system
                """ + rendered;
    }
}
