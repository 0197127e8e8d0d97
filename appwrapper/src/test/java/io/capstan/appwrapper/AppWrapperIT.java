package io.capstan.appwrapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperStatus;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.Manager;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.capstan.appwrapper.api.AppWrapperStatus.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * AppWrappers in standalone mode (no queue: {@code spec.suspend} is the gate) against the embedded control plane: the
 * controller-manager runs the wrapped Jobs, and their pods run on a mock virtual node, as scripted by their annotations.
 */
@EmbeddedCluster
class AppWrapperIT {

    private static final String NODE = "appwrapper-mock";
    private static final String WEBHOOK_LABEL = "capstan.io/appwrapper-webhook-test";
    private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);
    private static Operator operator;
    private static VirtualNode node;
    private static KubernetesClient nodeClient;

    private KubernetesClient client;
    private String namespace;

    @BeforeAll
    static void startOperatorAndNode(TestCluster cluster) throws Exception {
        var ca = cluster.controlPlane().certificateAuthority();
        MockProvider mock = new MockProvider(MockProvider.Capacity.DEFAULT, "127.0.0.1");
        nodeClient = cluster.newClient();
        node = VirtualNode.start(nodeClient, VirtualNode.Config.defaults(NODE, mock, ServingCertificate.issuedBy(ca, NODE,
                "127.0.0.1"), ca.certificate(), VirtualNodeTaint.forProvider(mock.name(), Map.of())),
                new SimpleMeterRegistry());
        // The webhook validates only namespaces a test labels, so the controller's own checks are tested elsewhere.
        operator = Operator.start(cluster.newClient(), List.of(new AppWrapperModule()), new Operator.Settings(
                new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true,
                new Operator.Webhooks(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0),
                        new io.capstan.runtime.webhook.AdmissionWebhooks.UrlEndpoint("127.0.0.1", 0),
                        io.capstan.runtime.webhook.WebhookAuthority.ephemeral(), "Fail", Map.of(WEBHOOK_LABEL, "on"),
                        "capstan-appwrapper-it", true)));
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (node != null) {
            node.close();
        }
        if (nodeClient != null) {
            nodeClient.close();
        }
    }

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace testNamespace) {
        client = cluster.client();
        namespace = testNamespace.name();
    }

    /** A Job of {@code parallelism} pods on the mock node, each running for {@code runSeconds} and exiting with {@code exitCode}. */
    private static String job(String name, int parallelism, String runSeconds, int exitCode) {
        return """
                - template:
                    apiVersion: batch/v1
                    kind: Job
                    metadata: {name: %s}
                    spec:
                      parallelism: %d
                      completions: %d
                      backoffLimit: 0
                      template:
                        metadata:
                          annotations: {mock.capstan.io/run-seconds: "%s", mock.capstan.io/exit-code: "%d"}
                        spec:
                          nodeName: %s
                          restartPolicy: Never
                          containers: [{name: main, image: capstan/test}]
                """.formatted(name, parallelism, parallelism, runSeconds, exitCode, NODE);
    }

    private AppWrapper create(String name, boolean suspend, Map<String, String> annotations, String components) {
        return create(client, name, suspend, annotations, components);
    }

    private AppWrapper create(KubernetesClient as, String name, boolean suspend, Map<String, String> annotations,
            String components) {
        StringBuilder yaml = new StringBuilder("apiVersion: workload.codeflare.dev/v1beta2\nkind: AppWrapper\nmetadata:\n")
                .append("  name: ").append(name).append("\n  namespace: ").append(namespace).append('\n');
        if (!annotations.isEmpty()) {
            yaml.append("  annotations:\n");
            annotations.forEach((k, v) -> yaml.append("    ").append(k).append(": \"").append(v).append("\"\n"));
        }
        yaml.append("spec:\n  suspend: ").append(suspend).append("\n  components:\n")
                .append(components.indent(2));
        return as.resources(AppWrapper.class).inNamespace(namespace).load(new java.io.ByteArrayInputStream(
                yaml.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))).create();
    }

    private AppWrapper get(String name) {
        return client.resources(AppWrapper.class).inNamespace(namespace).withName(name).get();
    }

    private AppWrapperStatus status(String name) {
        AppWrapper appWrapper = get(name);
        return appWrapper == null || appWrapper.getStatus() == null ? new AppWrapperStatus() : appWrapper.getStatus();
    }

    private void awaitPhase(String name, String phase, Duration atMost) {
        await().atMost(atMost).untilAsserted(() -> assertThat(status(name).phase).as(name + " phase").isEqualTo(phase));
    }

    private static String conditionOf(AppWrapperStatus status, String type) {
        return status.condition(type).map(c -> c.getStatus() + "/" + c.getReason()).orElse("none");
    }

    private List<String> eventReasons(String name) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).map(Event::getReason).toList();
    }

    @Test
    void aJobAndAServiceAreDeployedTogetherAndTheAppWrapperSucceedsWithItsPods() {
        String service = """
                - template:
                    apiVersion: v1
                    kind: Service
                    metadata: {name: trainer}
                    spec:
                      selector: {app: trainer}
                      ports: [{port: 80, protocol: TCP}]
                """;
        create("train", false, Map.of(), job("train-job", 2, "2", 0) + service);

        awaitPhase("train", "Running", Duration.ofSeconds(30));
        Job job = client.batch().v1().jobs().inNamespace(namespace).withName("train-job").get();
        assertThat(job.getMetadata().getLabels()).containsEntry(AppWrapper.LABEL, "train");
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(AppWrapper.LABEL, "train");
        assertThat(job.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("AppWrapper"));
        assertThat(client.services().inNamespace(namespace).withName("trainer").get().getMetadata().getLabels())
                .containsEntry(AppWrapper.LABEL, "train");
        assertThat(get("train").getMetadata().getFinalizers()).contains(AppWrapper.FINALIZER);

        awaitPhase("train", "Succeeded", Duration.ofSeconds(60));
        AppWrapperStatus status = status("train");
        assertThat(conditionOf(status, AppWrapperStatus.QUOTA_RESERVED)).isEqualTo("False/Succeeded");
        assertThat(conditionOf(status, AppWrapperStatus.RESOURCES_DEPLOYED)).as("completed pods stay for the TTL")
                .isEqualTo("True/Succeeded");
        assertThat(status.componentStatus).extracting(c -> c.kind + "/" + c.name)
                .containsExactly("Job/train-job", "Service/trainer");
        assertThat(status.componentStatus.getFirst().podSets).singleElement()
                .satisfies(p -> assertThat(p.path + "x" + p.replicas).isEqualTo("template.spec.templatex2"));
        assertThat(eventReasons("train")).contains("Suspended", "Resuming", "Running", "Succeeded");

        client.resources(AppWrapper.class).inNamespace(namespace).withName("train").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(get("train")).isNull();
            assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("train-job").get()).isNull();
            assertThat(client.pods().inNamespace(namespace).withLabel(AppWrapper.LABEL, "train").list().getItems())
                    .isEmpty();
        });
    }

    @Test
    void aSuspendedAppWrapperDeploysNothingUntilResumedAndSuspendingRemovesEverything() throws Exception {
        create("gated", true, Map.of(), job("gated-job", 2, "3600", 0));
        awaitPhase("gated", "Suspended", Duration.ofSeconds(30));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() ->
                client.batch().v1().jobs().inNamespace(namespace).list().getItems().isEmpty());

        client.resources(AppWrapper.class).inNamespace(namespace).withName("gated").patch(MERGE, "{\"spec\":{\"suspend\":false}}");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            AppWrapperStatus status = status("gated");
            assertThat(status.phase).isEqualTo("Running");
            assertThat(conditionOf(status, AppWrapperStatus.PODS_READY)).isEqualTo("True/SufficientPodsReady");
        });

        client.resources(AppWrapper.class).inNamespace(namespace).withName("gated").patch(MERGE, "{\"spec\":{\"suspend\":true}}");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            AppWrapperStatus status = status("gated");
            assertThat(status.phase).isEqualTo("Suspended");
            assertThat(conditionOf(status, AppWrapperStatus.RESOURCES_DEPLOYED)).isEqualTo("False/Suspended");
            assertThat(conditionOf(status, AppWrapperStatus.QUOTA_RESERVED)).isEqualTo("False/Suspended");
        });
        assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("gated-job").get()).isNull();
        assertThat(client.pods().inNamespace(namespace).withLabel(AppWrapper.LABEL, "gated").list().getItems())
                .as("ResourcesDeployed turns False only once every pod is gone").isEmpty();
    }

    @Test
    void aFailureIsRetriedUntilTheRetryLimitAndThenTheAppWrapperFailsWithNothingLeft() {
        create("flaky", false, Map.of(
                "workload.codeflare.dev.appwrapper/failureGracePeriodDuration", "0s",
                "workload.codeflare.dev.appwrapper/retryPausePeriodDuration", "1s",
                "workload.codeflare.dev.appwrapper/retryLimit", "1"), job("flaky-job", 1, "0", 3));

        awaitPhase("flaky", "Failed", Duration.ofSeconds(90));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            AppWrapperStatus status = status("flaky");
            assertThat(status.resettingCount).isEqualTo(1);
            assertThat(conditionOf(status, AppWrapperStatus.RESOURCES_DEPLOYED)).isEqualTo("False/Failed");
            assertThat(conditionOf(status, AppWrapperStatus.QUOTA_RESERVED)).isEqualTo("False/Failed");
        });
        assertThat(eventReasons("flaky")).contains("Resetting", "Failed");
        assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("flaky-job").get()).isNull();
    }

    @Test
    void aGpuPodIsKeptOffAutopilotsBadNodesAndLeavesOneMarkedEvictWithoutUsingARetry() {
        create("gpu", false, Map.of("workload.codeflare.dev.appwrapper/retryPausePeriodDuration", "1s"), """
                - template:
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: gpu-pod}
                    spec:
                      nodeName: %s
                      restartPolicy: Never
                      containers:
                      - {name: main, image: capstan/test, resources: {limits: {nvidia.com/gpu: 1}}}
                """.formatted(NODE));
        awaitPhase("gpu", "Running", Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> status("gpu").isTrue(AppWrapperStatus.PODS_READY));
        var affinity = client.pods().inNamespace(namespace).withName("gpu-pod").get().getSpec().getAffinity()
                .getNodeAffinity();
        assertThat(affinity.getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().getFirst()
                .getMatchExpressions()).singleElement().satisfies(e -> {
                    assertThat(e.getKey()).isEqualTo("autopilot.ibm.com/gpuhealth");
                    assertThat(e.getOperator()).isEqualTo("NotIn");
                    assertThat(e.getValues()).containsExactly("TESTING", "EVICT");
                });
        assertThat(affinity.getPreferredDuringSchedulingIgnoredDuringExecution()).singleElement()
                .satisfies(term -> assertThat(term.getWeight()).isEqualTo(50));
        String firstPod = client.pods().inNamespace(namespace).withName("gpu-pod").get().getMetadata().getUid();

        try {
            // Autopilot finds the node's GPUs broken: the AppWrapper leaves it at once, and starts again.
            client.nodes().withName(NODE).edit(n -> {
                n.getMetadata().getLabels().put("autopilot.ibm.com/gpuhealth", "EVICT");
                return n;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> eventReasons("gpu").contains("Resetting"));
            assertThat(conditionOf(status("gpu"), AppWrapperStatus.UNHEALTHY)).isEqualTo("True/AutopilotNoExecute");
        } finally {
            client.nodes().withName(NODE).edit(n -> {
                n.getMetadata().getLabels().remove("autopilot.ibm.com/gpuhealth");
                return n;
            });
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(status("gpu").phase).isEqualTo("Running");
            assertThat(client.pods().inNamespace(namespace).withName("gpu-pod").get().getMetadata().getUid())
                    .as("a new pod").isNotEqualTo(firstPod);
        });
        assertThat(status("gpu").resets()).as("the node's fault uses up no retry").isZero();
    }

    /** A pod on the mock node that runs until deleted, as a component. */
    private static String pod(String name, String cpu) {
        return """
                - template:
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: %s}
                    spec:
                      nodeName: %s
                      restartPolicy: Never
                      containers:
                      - {name: main, image: capstan/test, resources: {requests: {cpu: "%s"}}}
                """.formatted(name, NODE, cpu);
    }

    @Test
    void aCreateRefusedByAResourceQuotaIsRetriedUntilTheQuotaAllowsIt() {
        client.resourceQuotas().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ResourceQuotaBuilder()
                .withNewMetadata().withName("one-pod").endMetadata().withNewSpec()
                .addToHard("pods", new io.fabric8.kubernetes.api.model.Quantity("1")).endSpec().build()).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.resourceQuotas().inNamespace(namespace)
                .withName("one-pod").get().getStatus() != null);
        create("blocker", false, Map.of(), pod("blocker-pod", "100m"));
        awaitPhase("blocker", "Running", Duration.ofSeconds(30));

        create("waiting", false, Map.of("workload.codeflare.dev.appwrapper/admissionGracePeriodDuration", "2m"),
                pod("waiting-pod", "100m"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(status("waiting").componentStatus)
                .singleElement().satisfies(c -> assertThat(AppWrapperStatus.find(c.conditions,
                        AppWrapperStatus.RESOURCES_DEPLOYED).orElseThrow().getMessage()).contains("exceeded quota")));
        assertThat(status("waiting").phase).isEqualTo("Resuming");

        client.resources(AppWrapper.class).inNamespace(namespace).withName("blocker").delete();
        awaitPhase("waiting", "Running", Duration.ofSeconds(60));
        assertThat(status("waiting").resets()).isZero();
    }

    @Test
    void anObjectThatIsNotItsOwnFailsTheAppWrapperAndIsLeftAloneWhileAGeneratedNameIsRecorded() {
        client.configMaps().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("taken").endMetadata().addToData("owner", "someone else").build()).create();
        create("clash", false, Map.of(), """
                - template: {apiVersion: v1, kind: ConfigMap, metadata: {name: taken}, data: {owner: clash}}
                """ + pod("clash-pod", "100m"));
        create("generated", false, Map.of(), """
                - template: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: settings-}, data: {a: b}}
                """ + pod("generated-pod", "100m"));

        awaitPhase("clash", "Failed", Duration.ofSeconds(30));
        assertThat(conditionOf(status("clash"), AppWrapperStatus.UNHEALTHY)).isEqualTo("True/CreateFailed");
        assertThat(client.configMaps().inNamespace(namespace).withName("taken").get().getData())
                .as("someone else's object is neither taken over nor deleted").containsEntry("owner", "someone else");
        awaitPhase("generated", "Running", Duration.ofSeconds(30));
        String name = status("generated").componentStatus.getFirst().name;
        assertThat(name).startsWith("settings-").isNotEqualTo("settings-");
        assertThat(client.configMaps().inNamespace(namespace).withName(name).get().getData()).containsEntry("a", "b");
    }

    @Test
    void aSucceededAppWrappersObjectsGoAfterItsSuccessTtlAndAFailedOnesAfterItsDeletionDelay() {
        create("done", false, Map.of("workload.codeflare.dev.appwrapper/successTTLDuration", "3s"),
                job("done-job", 1, "0", 0));
        create("broken", false, Map.of("workload.codeflare.dev.appwrapper/failureGracePeriodDuration", "0s",
                "workload.codeflare.dev.appwrapper/terminalExitCodes", "7",
                "workload.codeflare.dev.appwrapper/deletionOnFailureGracePeriodDuration", "5s"),
                job("broken-job", 1, "0", 7));

        awaitPhase("done", "Succeeded", Duration.ofSeconds(60));
        awaitPhase("broken", "Failed", Duration.ofSeconds(60));
        assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("broken-job").get())
                .as("kept to be debugged").isNotNull();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(conditionOf(status("done"), AppWrapperStatus.RESOURCES_DEPLOYED)).isEqualTo("False/Succeeded");
            assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("done-job").get()).isNull();
            assertThat(client.pods().inNamespace(namespace).withLabel(AppWrapper.LABEL, "done").list().getItems())
                    .isEmpty();
            assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("broken-job").get()).isNull();
            assertThat(status("broken").isTrue(AppWrapperStatus.RESOURCES_DEPLOYED)).isFalse();
        });
    }

    @Test
    void podsThatNeverStartAreResetAfterTheWarmupGraceAndAnAppWrapperManagedElsewhereIsLeftAlone(TestCluster cluster)
            throws Exception {
        create("stuck", false, Map.of("workload.codeflare.dev.appwrapper/warmupGracePeriodDuration", "3s",
                "workload.codeflare.dev.appwrapper/admissionGracePeriodDuration", "3s",
                "workload.codeflare.dev.appwrapper/retryPausePeriodDuration", "1s",
                "workload.codeflare.dev.appwrapper/retryLimit", "1"), """
                - template:
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: stuck-pod
                      annotations: {mock.capstan.io/start-failure: ImagePullBackOff}
                    spec:
                      nodeName: %s
                      restartPolicy: Never
                      containers: [{name: main, image: capstan/test}]
                """.formatted(NODE));
        AppWrapper elsewhere = client.resources(AppWrapper.class).inNamespace(namespace).resource(
                new KubernetesSerialization().unmarshal("""
                        apiVersion: workload.codeflare.dev/v1beta2
                        kind: AppWrapper
                        metadata: {name: elsewhere}
                        spec:
                          managedBy: example.com/other-controller
                          suspend: false
                          components:
                        """ + pod("elsewhere-pod", "100m").indent(2), AppWrapper.class)).create();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(conditionOf(status("stuck"),
                AppWrapperStatus.PODS_READY)).isEqualTo("False/InsufficientPodsReady"));
        awaitPhase("stuck", "Failed", Duration.ofSeconds(60));
        assertThat(status("stuck").resets()).isEqualTo(1);
        assertThat(conditionOf(status("stuck"), AppWrapperStatus.UNHEALTHY)).isEqualTo("True/InsufficientPodsReady");
        // kubectl shows AppWrapper's own columns.
        String table = cluster.kubectl().run(null, "-n", namespace, "get", "aw", "stuck").out();
        assertThat(table).contains("STATUS", "QUOTA RESERVED", "RESOURCES DEPLOYED", "UNHEALTHY", "AGE")
                .containsPattern("stuck\\s+Failed\\s+False\\s+False\\s+True");

        // Meanwhile, the one another controller manages got nothing from this one.
        assertThat(get("elsewhere").getStatus()).isNull();
        assertThat(get("elsewhere").getMetadata().getFinalizers()).isNullOrEmpty();
        assertThat(client.pods().inNamespace(namespace).withName("elsewhere-pod").get()).isNull();
        assertThat(elsewhere.getSpec().managedBy).isEqualTo("example.com/other-controller");
    }

    @Test
    void anInvalidSecondComponentFailsTheAppWrapperAndTheFirstIsRemoved() {
        create("half", false, Map.of(), pod("half-valid", "100m") + """
                - template:
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: half-invalid}
                    spec:
                      nodeName: %s
                      containers: [{name: main}]
                """.formatted(NODE));

        awaitPhase("half", "Failed", Duration.ofSeconds(30));
        assertThat(conditionOf(status("half"), AppWrapperStatus.UNHEALTHY)).isEqualTo("True/CreateFailed");
        assertThat(status("half").condition(AppWrapperStatus.UNHEALTHY).orElseThrow().getMessage()).contains("image");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(client.pods().inNamespace(namespace).withName("half-valid").get()).isNull();
            assertThat(status("half").isTrue(AppWrapperStatus.RESOURCES_DEPLOYED)).isFalse();
        });
    }

    @Test
    void aTerminalExitCodeFailsAtOnceWithoutARetry() {
        create("doomed", false, Map.of(
                "workload.codeflare.dev.appwrapper/failureGracePeriodDuration", "0s",
                "workload.codeflare.dev.appwrapper/terminalExitCodes", "3,42"), job("doomed-job", 1, "0", 42));

        awaitPhase("doomed", "Failed", Duration.ofSeconds(60));
        assertThat(status("doomed").resets()).isZero();
        assertThat(eventReasons("doomed")).doesNotContain("Resetting");
    }

    @Test
    void aWrappedObjectDeletedOutOfBandFailsTheAppWrapperAndTheRestIsRemoved() {
        String service = """
                - template:
                    apiVersion: v1
                    kind: Service
                    metadata: {name: doomed-svc}
                    spec:
                      selector: {app: doomed}
                      ports: [{port: 80, protocol: TCP}]
                """;
        create("tampered", false, Map.of(), job("tampered-job", 1, "3600", 0) + service);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(conditionOf(status("tampered"),
                AppWrapperStatus.PODS_READY)).isEqualTo("True/SufficientPodsReady"));

        client.services().inNamespace(namespace).withName("doomed-svc").delete();

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            AppWrapperStatus status = status("tampered");
            assertThat(status.phase).isEqualTo("Failed");
            assertThat(conditionOf(status, AppWrapperStatus.UNHEALTHY)).isEqualTo("True/MissingComponent");
            assertThat(conditionOf(status, AppWrapperStatus.RESOURCES_DEPLOYED)).isEqualTo("False/Failed");
        });
        assertThat(client.batch().v1().jobs().inNamespace(namespace).withName("tampered-job").get())
                .as("what was left of it is removed").isNull();
        assertThat(client.pods().inNamespace(namespace).withLabel(AppWrapper.LABEL, "tampered").list().getItems()).isEmpty();
    }

    @Test
    void aComponentOfAKindThatIsNotServedFailsClearlyAndTheAppWrapperCanStillBeDeleted() {
        create("unknown-kind", false, Map.of(), """
                - template:
                    apiVersion: example.com/v1
                    kind: Widget
                    metadata: {name: w}
                """);
        awaitPhase("unknown-kind", "Failed", Duration.ofSeconds(30));
        Condition unhealthy = status("unknown-kind").condition(AppWrapperStatus.UNHEALTHY).orElseThrow();
        assertThat(unhealthy.getReason()).isEqualTo("CreateFailed");
        assertThat(unhealthy.getMessage()).contains("example.com/v1 Widget");

        client.resources(AppWrapper.class).inNamespace(namespace).withName("unknown-kind").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("unknown-kind")).isNull());
    }

    @Test
    void aPodSetPathThatLeadsNowhereFailsBeforeAnythingIsDeployed() {
        create("bad-path", false, Map.of(), """
                - template:
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: settings}
                  podSets: [{path: template.spec.template, replicas: 1}]
                """);
        awaitPhase("bad-path", "Failed", Duration.ofSeconds(30));
        Condition unhealthy = status("bad-path").condition(AppWrapperStatus.UNHEALTHY).orElseThrow();
        assertThat(unhealthy.getReason()).isEqualTo("InvalidComponent");
        assertThat(unhealthy.getMessage()).contains("template.spec does not exist");
        assertThat(client.configMaps().inNamespace(namespace).withName("settings").get()).isNull();
    }

    @Test
    void theWebhookRefusesABadAppWrapperWithItsReasonAndAnEditOfItsComponents() {
        client.namespaces().withName(namespace).edit(ns -> {
            ns.getMetadata().getLabels().put(WEBHOOK_LABEL, "on");
            return ns;
        });
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> create("nested", false, Map.of(), """
                        - template:
                            apiVersion: workload.codeflare.dev/v1beta2
                            kind: AppWrapper
                            metadata: {name: inner}
                        """))).hasMessageContaining("AppWrapper nested: spec.components[0]: an AppWrapper cannot wrap "
                        + "another AppWrapper"));
        assertThat(get("nested")).isNull();

        create("fixed", true, Map.of(), job("fixed-job", 1, "1", 0));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> client.resources(AppWrapper.class)
                .inNamespace(namespace).withName("fixed").patch(MERGE, """
                        {"spec": {"components": [{"template": {"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}]}}""")))
                .hasMessageContaining("spec.components[0].template cannot change");
        client.resources(AppWrapper.class).inNamespace(namespace).withName("fixed").patch(MERGE, "{\"spec\":{\"suspend\":false}}");
        awaitPhase("fixed", "Succeeded", Duration.ofSeconds(60));
    }

    /**
     * Wrapping must not let anyone create what they could not create themselves: a user allowed to create AppWrappers
     * but not Jobs is refused an AppWrapper around a Job, and once allowed, the AppWrapper says who created it.
     */
    @Test
    void theWebhookRefusesWhatItsCreatorMayNotCreateAndLabelsItsCreator() {
        client.namespaces().withName(namespace).edit(ns -> {
            ns.getMetadata().getLabels().put(WEBHOOK_LABEL, "on");
            return ns;
        });
        String user = "alice-" + namespace.hashCode();
        client.rbac().roles().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.rbac.RoleBuilder()
                .withNewMetadata().withName("appwrappers-only").endMetadata()
                .addNewRule().withApiGroups(AppWrapper.GROUP).withResources("appwrappers").withVerbs("create", "get")
                .endRule().build()).create();
        client.rbac().roleBindings().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.rbac
                .RoleBindingBuilder().withNewMetadata().withName("alice").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("appwrappers-only")
                .endRoleRef().addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(user)
                .endSubject().build()).create();
        try (KubernetesClient alice = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withImpersonateUsername(user)
                        .build()).build()) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                // Until the API server calls the webhook for the newly labelled namespace, the create goes through.
                client.resources(AppWrapper.class).inNamespace(namespace).withName("smuggled").delete();
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> create(alice, "smuggled", true,
                        Map.of(), job("smuggled-job", 1, "1", 0)))).hasMessageContaining("AppWrapper smuggled: "
                        + "spec.components[0]: user " + user + " is not authorized to create jobs.batch in namespace "
                        + namespace);
            });
            assertThat(get("smuggled")).isNull();

            client.rbac().roles().inNamespace(namespace).withName("appwrappers-only").edit(role -> {
                role.getRules().add(new io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder().withApiGroups("batch")
                        .withResources("jobs").withVerbs("create").build());
                return role;
            });
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    create(alice, "allowed", true, Map.of(), job("allowed-job", 1, "1", 0)));
        }
        assertThat(get("allowed").getMetadata().getLabels()).containsEntry("workload.codeflare.dev/user", user)
                .containsKey("workload.codeflare.dev/userid");
    }
}
