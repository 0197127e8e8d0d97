package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/capstan.yaml is what a real cluster runs: its objects apply cleanly, and 'capstan operator' with the
 * Deployment's arguments, authenticated as the manifest's ServiceAccount with nothing but the manifest's RBAC, runs a
 * Framework through its life, elects a leader, and registers its webhook with a CA shared through a Secret.
 */
@EmbeddedCluster
class DeployIT {

    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final String SYSTEM = "capstan-system";
    /** Names in deploy/capstan.yaml, the chart rendered for a release named capstan. */
    private static final String DEPLOYMENT = "capstan";
    private static final String SERVICE_ACCOUNT = "capstan";

    @Test
    void theOperatorRunsAFrameworkWithOnlyTheManifestsPermissions(TestCluster cluster, TestNamespace namespace,
            @TempDir Path work) throws Exception {
        KubernetesClient admin = cluster.client();
        kubectl(cluster, "apply", "-f", DEPLOY.resolve("crds").toString());
        kubectl(cluster, "apply", "-f", DEPLOY.resolve("capstan.yaml").toString());
        // The image is not built here; the operator runs as a process below, as the ServiceAccount, with the
        // Deployment's own arguments except the listen addresses (free ports here).
        kubectl(cluster, "-n", SYSTEM, "scale", "deployment/" + DEPLOYMENT, "--replicas=0");
        Path kubeconfig = serviceAccountKubeconfig(cluster, work);
        List<String> manifestArgs = admin.apps().deployments().inNamespace(SYSTEM).withName(DEPLOYMENT).get().getSpec()
                .getTemplate().getSpec().getContainers().getFirst().getArgs();
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        manifestArgs.stream().filter(arg -> !arg.matches("--(webhook|metrics|health-probe)-bind-address=.*"))
                .forEach(command::add);
        command.addAll(List.of("--kubeconfig", kubeconfig.toString(), "--webhook-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "0", "--health-probe-bind-address", "0"));
        String leaseName = manifestArgs.stream().filter(arg -> arg.startsWith("--leader-election-id="))
                .map(arg -> arg.substring(arg.indexOf('=') + 1)).findFirst().orElse("capstan-operator");

        Path log = work.resolve("operator.log");
        Process operator = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String name = "deployed";
            admin.resources(Framework.class).inNamespace(namespace.name()).resource(new io.fabric8.kubernetes.client.utils
                    .KubernetesSerialization().unmarshal("""
                            apiVersion: frameworkcontroller.microsoft.com/v1
                            kind: Framework
                            metadata: {name: deployed}
                            spec:
                              executionType: Start
                              retryPolicy: {fancyRetryPolicy: true, maxRetryCount: 0}
                              taskRoles:
                              - name: worker
                                taskNumber: 2
                                frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                                task:
                                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                                  pod:
                                    spec:
                                      restartPolicy: Never
                                      schedulerName: no-such-scheduler   # stay unbound: no node is needed
                                      containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
                            """, Framework.class)).create();

            // Pods and the attempt ConfigMap created: frameworks, status, configmaps and pods are allowed.
            await(operator, log, "the attempt is prepared", () -> state(admin, namespace, name) == FrameworkState.AttemptPreparing
                    && admin.pods().inNamespace(namespace.name()).list().getItems().size() == 2
                    && admin.configMaps().inNamespace(namespace.name()).withName(name + "-attempt").get() != null);

            // Stopped: pods and ConfigMap deleted, the Framework completes.
            admin.resources(Framework.class).inNamespace(namespace.name()).withName(name)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"executionType\":\"Stop\"}}");
            await(operator, log, "the Framework completes", () -> state(admin, namespace, name) == FrameworkState.Completed
                    && admin.pods().inNamespace(namespace.name()).list().getItems().isEmpty());
            assertThat(admin.resources(Framework.class).inNamespace(namespace.name()).withName(name).get().getStatus()
                    .attemptStatus.completionStatus.code).isEqualTo(-210);

            // Events, the Lease, the shared webhook CA and the webhook registration: all written as the ServiceAccount.
            await(operator, log, "Events are written", () -> admin.v1().events().inNamespace(namespace.name())
                    .withField("involvedObject.name", name).list().getItems().stream()
                    .anyMatch(event -> "FrameworkCompleted".equals(event.getReason())));
            Lease lease = admin.leases().inNamespace(SYSTEM).withName(leaseName).get();
            assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
            Secret ca = admin.secrets().inNamespace(SYSTEM).withName("capstan-webhook-ca").get();
            assertThat(ca).isNotNull();
            ValidatingWebhookConfiguration webhook = admin.admissionRegistration().v1().validatingWebhookConfigurations()
                    .withName(Operator.WEBHOOK_CONFIGURATION).get();
            assertThat(webhook.getWebhooks()).allSatisfy(hook ->
                    assertThat(hook.getClientConfig().getService().getName()).isEqualTo("capstan-webhook"));
            assertThat(Files.readString(log)).doesNotContain("forbidden");
        } finally {
            operator.destroy();
            if (!operator.waitFor(30, TimeUnit.SECONDS)) {
                operator.destroyForcibly();
            }
            // The registration outlives the operator on purpose (replicas share it); this cluster is shared by tests.
            admin.admissionRegistration().v1().validatingWebhookConfigurations().withName(Operator.WEBHOOK_CONFIGURATION).delete();
            admin.namespaces().withName(SYSTEM).delete();
        }
    }

    @Test
    void theChartInstallsAndUninstallsWithHelm(TestCluster cluster) {
        KubernetesClient admin = cluster.client();
        String release = "capstan-chart";
        String chartNamespace = "capstan-chart-system";
        // No image here: zero replicas; the objects and their RBAC are what DeployIT's other test runs the operator on.
        Release installed = new Helm(HelmChartTest.CHART).install().withName(release).withNamespace(chartNamespace)
                .createNamespace().withKubeConfigContents(cluster.kubeconfigYaml()).set("replicaCount", 0).call();
        try {
            assertThat(installed.getStatus()).isEqualTo("deployed");
            assertThat(admin.apps().deployments().inNamespace(chartNamespace).withName(release).get()).isNotNull();
            assertThat(admin.services().inNamespace(chartNamespace).withName(release + "-webhook").get()).isNotNull();
            assertThat(admin.serviceAccounts().inNamespace(chartNamespace).withName(release).get()).isNotNull();
            assertThat(admin.rbac().clusterRoles().withName(release).get()).isNotNull();
            assertThat(admin.apiextensions().v1().customResourceDefinitions()
                    .withName("frameworks.frameworkcontroller.microsoft.com").get()).isNotNull();
        } finally {
            Helm.uninstall(release).withNamespace(chartNamespace).withKubeConfigContents(cluster.kubeconfigYaml()).call();
        }
        // Uninstalled: the release's objects go, the CRD (and so every user's Frameworks) stays, as Helm does for crds/.
        Awaitility.await("the release's objects deleted").atMost(Duration.ofMinutes(1)).until(() ->
                admin.apps().deployments().inNamespace(chartNamespace).withName(release).get() == null
                        && admin.rbac().clusterRoles().withName(release).get() == null);
        assertThat(admin.apiextensions().v1().customResourceDefinitions()
                .withName("frameworks.frameworkcontroller.microsoft.com").get()).isNotNull();
        admin.namespaces().withName(chartNamespace).delete();
    }

    private static FrameworkState state(KubernetesClient client, TestNamespace namespace, String name) {
        Framework framework = client.resources(Framework.class).inNamespace(namespace.name()).withName(name).get();
        return framework == null || framework.getStatus() == null ? null : framework.getStatus().state;
    }

    /** Waits for a condition while the operator lives; its log is the failure message. */
    private static void await(Process operator, Path log, String what, java.util.concurrent.Callable<Boolean> condition) {
        try {
            Awaitility.await(what).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!operator.isAlive()) {
                    throw new AssertionError("the operator exited with " + operator.exitValue() + ":\n" + Files.readString(log));
                }
                return condition.call();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; the operator's log:\n" + readQuietly(log), e);
        }
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** A kubeconfig with the token the controller-manager minted for the manifest's ServiceAccount. */
    private static Path serviceAccountKubeconfig(TestCluster cluster, Path work) throws Exception {
        KubernetesClient admin = cluster.client();
        String[] token = new String[1];
        Awaitility.await("the ServiceAccount's token").atMost(Duration.ofMinutes(1)).until(() -> {
            ServiceAccount account = admin.serviceAccounts().inNamespace(SYSTEM).withName(SERVICE_ACCOUNT).get();
            if (account == null || account.getSecrets() == null || account.getSecrets().isEmpty()) {
                return false;
            }
            Secret secret = admin.secrets().inNamespace(SYSTEM).withName(account.getSecrets().getFirst().getName()).get();
            if (secret == null || secret.getData() == null || !secret.getData().containsKey("token")) {
                return false;
            }
            token[0] = new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
            return true;
        });
        Config admins = cluster.config();
        String caData = admins.getCaCertData() != null ? admins.getCaCertData()
                : Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(admins.getCaCertFile())));
        Path kubeconfig = work.resolve("capstan-operator.kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: embedded
                  cluster: {server: "%s", certificate-authority-data: "%s"}
                users:
                - name: capstan
                  user: {token: "%s"}
                contexts:
                - name: capstan
                  context: {cluster: embedded, user: capstan}
                current-context: capstan
                """.formatted(admins.getMasterUrl(), caData, token[0]));
        return kubeconfig;
    }

    private static void kubectl(TestCluster cluster, String... args) throws Exception {
        var run = cluster.kubectl().run(null, args);
        assertThat(run.exitCode()).as("kubectl %s:\n%s%s", String.join(" ", args), run.out(), run.err()).isZero();
    }
}
