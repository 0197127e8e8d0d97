package io.capstan.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.appwrapper.AppWrapperModule;
import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.framework.FrameworkModule;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.queue.api.Kueue;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.RawRequests;
import io.capstan.runtime.operator.Operator;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Queued AppWrappers admitted by Capstan's queue against the embedded control plane, with Kueue's own objects
 * (ResourceFlavor, ClusterQueue, LocalQueue) applied as a Kueue user writes them. Jobs are run by the real
 * controller-manager, their pods by a mock virtual node.
 */
@EmbeddedCluster
class QueueIT {

    private static final String NODE = "queue-mock";
    /** The webhooks serve only namespaces a test labels with it, so the queue's own handling is tested elsewhere. */
    private static final String WEBHOOK_LABEL = "capstan.io/queue-webhook-test";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final io.fabric8.kubernetes.client.dsl.base.PatchContext MERGE =
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);
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
        operator = startOperator(cluster);
    }

    /**
     * The operator with the AppWrapper, Framework and queue modules, webhooks on for namespaces labelled
     * {@link #WEBHOOK_LABEL}, and AppWrapper's own operator configuration, as its ConfigMap.
     */
    private static Operator startOperator(TestCluster cluster) throws Exception {
        java.nio.file.Path appWrapperConfig = java.nio.file.Files.createTempFile("operator-config", ".yaml");
        java.nio.file.Files.writeString(appWrapperConfig, """
                kind: ConfigMap
                apiVersion: v1
                metadata: {name: operator-config}
                data:
                  config.yaml: |
                    appwrapper:
                      enableKueueIntegrations: true
                      faultTolerance: {retryLimit: 2}
                """);
        return Operator.start(cluster.newClient(), List.of(new AppWrapperModule().configuredFrom(appWrapperConfig),
                        new FrameworkModule(), new QueueModule()),
                new Operator.Settings(new Manager.Settings(null, null, null, null, Duration.ofMinutes(1)), true,
                        new Operator.Webhooks(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0),
                                new io.capstan.runtime.webhook.AdmissionWebhooks.UrlEndpoint("127.0.0.1", 0),
                                io.capstan.runtime.webhook.WebhookAuthority.ephemeral(), "Fail",
                                Map.of(WEBHOOK_LABEL, "on"), "capstan-queue-it", true)));
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

    private void apply(String yaml) {
        for (var object : client.load(new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .items()) {
            client.resource(object).create();
        }
    }

    /** The test's cluster-scoped names (flavor, ClusterQueue, priority classes): its namespace, cut short. */
    private String cqName() {
        String name = namespace.length() > 40 ? namespace.substring(0, 40) : namespace;
        return name.replaceAll("-+$", "");
    }

    /** A flavor, a ClusterQueue with {@code cpu} CPUs for every namespace, and a LocalQueue in the test's namespace. */
    private String queueSetup(String cpu, String strategy, String flavorSpec) {
        String cq = cqName();
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: ResourceFlavor
                metadata: {name: %s}
                spec: %s
                ---
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: ClusterQueue
                metadata: {name: %s}
                spec:
                  namespaceSelector: {}
                  queueingStrategy: %s
                  resourceGroups:
                  - coveredResources: [cpu, memory]
                    flavors:
                    - name: %s
                      resources:
                      - {name: cpu, nominalQuota: %s}
                      - {name: memory, nominalQuota: 8Gi}
                ---
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: LocalQueue
                metadata: {name: team, namespace: %s}
                spec: {clusterQueue: %s}
                """.formatted(cq, flavorSpec, cq, strategy, cq, cpu, namespace, cq));
        return cq;
    }

    /** A queued AppWrapper around a one-pod Job asking for {@code cpu}, whose pod runs {@code runSeconds}. */
    private void queuedAppWrapper(String name, String queue, String cpu, String runSeconds) {
        queuedAppWrapper(name, queue, cpu, runSeconds, "");
    }

    private void queuedAppWrapper(String name, String queue, String cpu, String runSeconds, String priorityClass) {
        apply("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: %s%s}
                spec:
                  components:
                  - template:
                      apiVersion: batch/v1
                      kind: Job
                      metadata: {name: %s-job}
                      spec:
                        template:
                          metadata:
                            annotations: {mock.capstan.io/run-seconds: "%s"}
                          spec:
                            nodeName: %s
                            restartPolicy: Never
                            containers:
                            - name: main
                              image: capstan/test
                              resources: {requests: {cpu: "%s", memory: 100Mi}}
                """.formatted(name, namespace, queue, priorityClass.isEmpty() ? ""
                        : ", kueue.x-k8s.io/priority-class: " + priorityClass, name, runSeconds, NODE, cpu));
    }

    private String phase(String name) {
        AppWrapper appWrapper = client.resources(AppWrapper.class).inNamespace(namespace).withName(name).get();
        return appWrapper == null || appWrapper.getStatus() == null ? "" : appWrapper.getStatus().phase;
    }

    private JsonNode workloadOf(String appWrapper) {
        return client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace).list().getItems().stream()
                .filter(w -> w.getMetadata().getOwnerReferences().getFirst().getName().equals(appWrapper))
                .map(w -> SERIALIZATION.convertValue(w, JsonNode.class)).findFirst().orElse(null);
    }

    private static String condition(JsonNode object, String type) {
        for (JsonNode condition : object.path("status").path("conditions")) {
            if (type.equals(condition.path("type").asText())) {
                return condition.path("status").asText() + "/" + condition.path("reason").asText() + ": "
                        + condition.path("message").asText();
            }
        }
        return "none";
    }

    private JsonNode clusterQueue(String name) {
        return SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(name).get(),
                JsonNode.class);
    }

    @Test
    void appWrappersAreAdmittedAsWholeGangsWithinTheClusterQueuesQuotaAndGiveItBackWhenTheySucceed() throws Exception {
        String cq = queueSetup("2", "BestEffortFIFO", "{}");
        Set<String> everRunningTogether = ConcurrentHashMap.newKeySet();
        int mostAtOnce = 0;
        for (String name : List.of("one", "two", "three")) {
            queuedAppWrapper(name, "team", "1", "4");
        }

        // Two fit the 2 CPUs; the third waits, and its Workload says why.
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems()).hasSize(2);
            JsonNode waiting = List.of("one", "two", "three").stream().map(this::workloadOf)
                    .filter(w -> w != null && condition(w, Kueue.QUOTA_RESERVED).startsWith("False")).findFirst()
                    .orElseThrow();
            assertThat(condition(waiting, Kueue.QUOTA_RESERVED)).contains("insufficient quota for cpu in flavor " + cq
                    + ": needs 1 within a limit of 2");
            JsonNode status = clusterQueue(cq).path("status");
            assertThat(status.path("admittedWorkloads").asInt()).isEqualTo(2);
            assertThat(status.path("pendingWorkloads").asInt()).isEqualTo(1);
            assertThat(status.path("flavorsUsage").path(0).path("resources").path(0).path("total").asText()).isEqualTo("2");
        });
        java.util.concurrent.atomic.AtomicInteger mostRunning = new java.util.concurrent.atomic.AtomicInteger();
        // Sampled every 200 ms until all succeeded: the most pods ever running at once.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            int running = 0;
            for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
                if ("Running".equals(pod.getStatus().getPhase())) {
                    running++;
                    everRunningTogether.add(pod.getMetadata().getName());
                }
            }
            mostRunning.accumulateAndGet(running, Math::max);
            return List.of("one", "two", "three").stream().allMatch(n -> phase(n).equals("Succeeded"));
        });
        mostAtOnce = mostRunning.get();
        assertThat(mostAtOnce).as("never more pods running than the quota admits").isLessThanOrEqualTo(2);
        assertThat(everRunningTogether.size()).isLessThanOrEqualTo(3);
        assertThat(mostAtOnce).isEqualTo(2);

        for (String name : List.of("one", "two", "three")) {
            JsonNode workload = workloadOf(name);
            assertThat(condition(workload, Kueue.ADMITTED)).startsWith("True/Admitted");
            assertThat(workload.path("status").path("admission").path("clusterQueue").asText()).isEqualTo(cq);
            await().ignoreExceptions().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(condition(workloadOf(name),
                    Kueue.FINISHED)).startsWith("True/Succeeded"));
            Map<String, String> labels = client.batch().v1().jobs().inNamespace(namespace).withName(name + "-job").get()
                    .getSpec().getTemplate().getMetadata().getLabels();
            assertThat(labels).containsEntry(Kueue.PODSET_LABEL, name + "-0");
        }
        await().ignoreExceptions().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(clusterQueue(cq).path("status").path("admittedWorkloads").asInt()).isZero();
            assertThat(clusterQueue(cq).path("status").path("flavorsUsage").path(0).path("resources").path(0).path("total")
                    .asText()).isEqualTo("0");
        });
    }

    @Test
    void anAppWrapperCreatedWithoutAQueueGoesToItsNamespacesDefaultLocalQueueSuspendedAndItsPhasesAreCounted() {
        String cq = queueSetup("1", "BestEffortFIFO", "{}");
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: default, namespace: %s}
                spec: {clusterQueue: %s}
                """.formatted(namespace, cq));
        client.namespaces().withName(namespace).edit(ns -> {
            ns.getMetadata().getLabels().put(WEBHOOK_LABEL, "on");
            return ns;
        });
        AppWrapper created = client.resource(SERIALIZATION.unmarshal("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata: {name: unlabelled, namespace: %s}
                spec:
                  suspend: false
                  components:
                  - template:
                      apiVersion: v1
                      kind: Pod
                      metadata:
                        name: unlabelled-pod
                        annotations: {mock.capstan.io/run-seconds: "1"}
                      spec:
                        nodeName: %s
                        restartPolicy: Never
                        containers:
                        - {name: main, image: capstan/test, resources: {requests: {cpu: "1"}}}
                """.formatted(namespace, NODE), AppWrapper.class)).create();

        // Kueue's LocalQueueDefaulting, in what the create returned: nothing could run before the queue admits it.
        assertThat(created.getMetadata().getLabels()).containsEntry(Kueue.QUEUE_NAME_LABEL, "default");
        assertThat(created.getSpec().suspend).isTrue();
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).until(() -> phase("unlabelled").equals("Succeeded"));
        assertThat(condition(workloadOf("unlabelled"), Kueue.ADMITTED)).startsWith("True/Admitted");
        // Kueue's validation: a queue name that cannot name a LocalQueue is refused at once.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> queuedAppWrapper("misnamed", "Team_Queue", "1",
                "1"))).hasMessageContaining("'Team_Queue' is not a valid LocalQueue name");
        // AppWrapper's metric, as Prometheus scrapes it.
        assertThat(operator.manager().metrics().scrape()).contains("appwrapper_phase_total{namespace=\"" + namespace
                + "\",phase=\"Succeeded\"} 1.0", "appwrapper_phase_total{namespace=\"" + namespace
                + "\",phase=\"Running\"} 1.0");
    }

    @Test
    void aFlavorsNodeLabelsAndTolerationsReachThePodsItAdmits() {
        client.nodes().withName(NODE).edit(n -> {
            n.getMetadata().getLabels().put("capstan.io/test-pool", "a");
            return n;
        });
        queueSetup("4", "BestEffortFIFO", """
                {nodeLabels: {capstan.io/test-pool: a}, tolerations: [{key: capstan.io/test, operator: Exists, effect: NoSchedule}]}""");
        queuedAppWrapper("pinned", "team", "1", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(phase("pinned")).isEqualTo("Succeeded"));
        var podSpec = client.batch().v1().jobs().inNamespace(namespace).withName("pinned-job").get().getSpec().getTemplate()
                .getSpec();
        assertThat(podSpec.getNodeSelector()).containsEntry("capstan.io/test-pool", "a");
        assertThat(podSpec.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("capstan.io/test"));
    }

    @Test
    void aLocalQueueThatDoesNotExistKeepsTheAppWrapperSuspendedAndSaysSo() throws Exception {
        queueSetup("4", "BestEffortFIFO", "{}");
        queuedAppWrapper("lost", "nowhere", "1", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode workload = workloadOf("lost");
            assertThat(workload).isNotNull();
            assertThat(condition(workload, Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: LocalQueue nowhere "
                    + "doesn't exist in namespace " + namespace);
            AppWrapper appWrapper = client.resources(AppWrapper.class).inNamespace(namespace).withName("lost").get();
            assertThat(appWrapper.getSpec().suspended()).as("suspended by the queue").isTrue();
            assertThat(appWrapper.getStatus().phase).isEqualTo("Suspended");
        });
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() ->
                client.batch().v1().jobs().inNamespace(namespace).list().getItems().isEmpty());

        // Creating the LocalQueue lets it in.
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: LocalQueue
                metadata: {name: nowhere, namespace: %s}
                spec: {clusterQueue: %s}
                """.formatted(namespace, cqName()));
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(phase("lost")).isEqualTo("Succeeded"));
    }

    @Test
    void strictFifoHoldsBackSmallerWorkloadsBehindTheHead() throws Exception {
        String cq = queueSetup("3", "StrictFIFO", "{}");
        // The first runs until deleted, so nothing moves until the small one is seen waiting.
        queuedAppWrapper("first", "team", "2", "600");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(phase("first")).isIn("Resuming", "Running"));
        queuedAppWrapper("big", "team", "2", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).until(() -> workloadOf("big") != null);
        // One CPU is free, enough for the small one, but the big one is ahead of it.
        queuedAppWrapper("small", "team", "1", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(condition(workloadOf("small"), Kueue.QUOTA_RESERVED)).contains("waiting behind Workload",
                        "is StrictFIFO"));
        assertThat(phase("small")).isEqualTo("Suspended");
        client.resources(AppWrapper.class).inNamespace(namespace).withName("first").delete();
        await().ignoreExceptions().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(phase("big")).isEqualTo("Succeeded");
            assertThat(phase("small")).isEqualTo("Succeeded");
        });
        assertThat(clusterQueue(cq).path("spec").path("queueingStrategy").asText()).isEqualTo("StrictFIFO");
    }

    @Test
    void aHigherPriorityAppWrapperPreemptsALowerOneWhichQueuesAgainAndRunsWhenQuotaComesBack() {
        String cq = cqName();
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: WorkloadPriorityClass
                metadata: {name: %s-low}
                value: 10
                ---
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: WorkloadPriorityClass
                metadata: {name: %s-high}
                value: 1000
                """.formatted(cq, cq));
        queueSetup("2", "BestEffortFIFO", "{}");
        // A merge patch, not an edit: the queue's finalizer may be added in between.
        client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).patch(MERGE,
                "{\"spec\": {\"preemption\": {\"withinClusterQueue\": \"LowerPriority\"}}}");
        queuedAppWrapper("background", "team", "2", "6", cq + "-low");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(phase("background")).isEqualTo("Running"));

        queuedAppWrapper("urgent", "team", "2", "2", cq + "-high");
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(phase("urgent")).isEqualTo("Succeeded");
            JsonNode evicted = workloadOf("background");
            assertThat(condition(evicted, Kueue.PREEMPTED)).startsWith("True/InClusterQueue");
            assertThat(condition(evicted, Kueue.REQUEUED)).startsWith("True/Preempted");
        });
        assertThat(workloadOf("urgent").path("spec").path("priority").asInt()).isEqualTo(1000);
        // Back in the queue, it runs again once the urgent one gave the quota back, and finishes.
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(phase("background")).isEqualTo("Succeeded");
            assertThat(condition(workloadOf("background"), Kueue.FINISHED)).startsWith("True/Succeeded");
        });
        assertThat(client.v1().events().inNamespace(namespace).list().getItems()).anySatisfy(e -> {
            assertThat(e.getInvolvedObject().getName()).isEqualTo("background");
            assertThat(e.getReason()).isEqualTo("Evicted");
        });
    }

    private void queuedFramework(String name, int tasks, String cpu, String runSeconds) {
        apply("""
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: team}
                spec:
                  executionType: Start
                  retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                  taskRoles:
                  - name: worker
                    taskNumber: %d
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: %d}
                    task:
                      retryPolicy: {fancyRetryPolicy: false, maxRetryCount: 0}
                      pod:
                        metadata:
                          annotations: {mock.capstan.io/run-seconds: "%s"}
                        spec:
                          nodeName: %s
                          restartPolicy: Never
                          containers:
                          - {name: main, image: capstan/test, resources: {requests: {cpu: "%s"}}}
                """.formatted(name, namespace, tasks, tasks, runSeconds, NODE, cpu));
    }

    private FrameworkState frameworkState(String name) {
        Framework framework = client.resources(Framework.class).inNamespace(namespace).withName(name).get();
        return framework == null || framework.getStatus() == null ? null : framework.getStatus().state;
    }

    @Test
    void queuedFrameworksAreAdmittedAsGangsOfTheirTaskRolesAndCreateNothingBefore() throws Exception {
        queueSetup("2", "BestEffortFIFO", "{}");
        queuedFramework("fwa", 2, "1", "3");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.pods().inNamespace(namespace)
                .withLabel("FC_FRAMEWORK_NAME", "fwa").list().getItems()).hasSize(2));
        queuedFramework("fwb", 2, "1", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode waiting = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace).list().getItems()
                    .stream().filter(w -> w.getMetadata().getName().startsWith("framework-fwb-"))
                    .map(w -> SERIALIZATION.convertValue(w, JsonNode.class)).findFirst().orElseThrow();
            assertThat(waiting.path("spec").path("podSets").path(0).path("name").asText()).isEqualTo("worker");
            assertThat(waiting.path("spec").path("podSets").path(0).path("count").asInt()).isEqualTo(2);
            assertThat(condition(waiting, Kueue.QUOTA_RESERVED)).contains("insufficient quota for cpu");
            assertThat(client.v1().events().inNamespace(namespace).list().getItems()).anySatisfy(e -> {
                assertThat(e.getInvolvedObject().getName()).isEqualTo("fwb");
                assertThat(e.getReason()).isEqualTo("Pending");
                assertThat(e.getMessage()).contains("insufficient quota for cpu");
            });
        });
        assertThat(client.configMaps().inNamespace(namespace).withLabel("FC_FRAMEWORK_NAME", "fwb").list().getItems())
                .as("no attempt before admission").isEmpty();
        assertThat(client.pods().inNamespace(namespace).withLabel("FC_FRAMEWORK_NAME", "fwb").list().getItems()).isEmpty();

        await().ignoreExceptions().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(frameworkState("fwa")).isEqualTo(FrameworkState.Completed);
            assertThat(frameworkState("fwb")).isEqualTo(FrameworkState.Completed);
        });
        assertThat(client.resources(Framework.class).inNamespace(namespace).withName("fwb").get().getStatus()
                .attemptStatus.completionStatus.code).isZero();
        await().ignoreExceptions().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.genericKubernetesResources(
                Kueue.WORKLOADS).inNamespace(namespace).list().getItems()).hasSize(2).allSatisfy(w -> assertThat(
                        condition(SERIALIZATION.convertValue(w, JsonNode.class), Kueue.FINISHED)).startsWith("True/Succeeded")));
    }

    /**
     * Kueue's contract for a custom integration: it creates the Workload itself, runs its job once the Workload is
     * admitted, and marks it Finished; the quota then goes to the next. The scheduler never writes over that mark.
     */
    @Test
    void aWorkloadCreatedDirectlyIsAdmittedAndItsQuotaReturnsWhenWhoeverRunsItMarksItFinished() {
        String cq = queueSetup("2", "BestEffortFIFO", "{}");
        bareWorkload("first", "2");
        bareWorkload("second", "2");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode first = bareWorkload("first");
            JsonNode second = bareWorkload("second");
            assertThat(condition(first, Kueue.ADMITTED)).startsWith("True");
            assertThat(first.path("status").path("admission").path("clusterQueue").asText()).isEqualTo(cq);
            assertThat(condition(second, Kueue.QUOTA_RESERVED)).startsWith("False/Pending")
                    .contains("needs 2 within a limit of 2");
        });

        markFinished("first");

        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(condition(bareWorkload("second"), Kueue.ADMITTED)).startsWith("True");
            assertThat(clusterQueue(cq).path("status").path("admittedWorkloads").asInt()).isEqualTo(1);
        });
        assertThat(condition(bareWorkload("first"), Kueue.FINISHED)).as("the integration's mark stays").isEqualTo(
                "True/JobFinished: done by the integration");
    }

    /** A Workload as a custom integration creates it, in the test's LocalQueue, asking {@code cpu} CPUs for one pod. */
    private void bareWorkload(String name, String cpu) {
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta2
                kind: Workload
                metadata: {name: %s, namespace: %s}
                spec:
                  queueName: team
                  podSets:
                  - name: main
                    count: 1
                    template:
                      spec:
                        restartPolicy: Never
                        containers: [{name: main, image: busybox, resources: {requests: {cpu: "%s"}}}]
                """.formatted(name, namespace, cpu));
    }

    private JsonNode bareWorkload(String name) {
        return SERIALIZATION.convertValue(client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace)
                .withName(name).get(), JsonNode.class);
    }

    private void markFinished(String workload) {
        RawRequests.write(client, "PATCH", RawRequests.path(Kueue.WORKLOADS.getGroup(), Kueue.WORKLOADS.getVersion(),
                Kueue.WORKLOADS.getPlural(), namespace, workload) + "/status", RawRequests.JSON_PATCH, """
                [{"op": "add", "path": "/status/conditions/-", "value": {"type": "Finished", "status": "True",
                  "reason": "JobFinished", "message": "done by the integration",
                  "lastTransitionTime": "2026-01-01T00:00:00Z"}}]""");
    }

    @Test
    void aWorkloadTooBigForItsQueueIsAdmittedOnceTheQuotaIsRaised() {
        String cq = queueSetup("1", "BestEffortFIFO", "{}");
        bareWorkload("big", "2");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(
                bareWorkload("big"), Kueue.QUOTA_RESERVED)).startsWith("False/Pending")
                .contains("needs 2 within a limit of 1"));

        client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).patch(MERGE, """
                {"spec": {"resourceGroups": [{"coveredResources": ["cpu", "memory"], "flavors": [{"name": "%s",
                  "resources": [{"name": "cpu", "nominalQuota": "2"}, {"name": "memory", "nominalQuota": "8Gi"}]}]}]}}
                """.formatted(cq));

        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(
                bareWorkload("big"), Kueue.ADMITTED)).startsWith("True"));
    }

    /**
     * Kueue's resource-in-use finalizer: a ClusterQueue deleted while a workload uses its quota admits nothing new and
     * stays until that workload is done; then it goes, and what waited in it says its ClusterQueue is missing.
     */
    @Test
    void aNamespaceTheClusterQueueDoesNotSelectWaitsAndStopPoliciesHoldThenDrainWhatRuns() {
        String cq = queueSetup("2", "BestEffortFIFO", "{}");
        var cqs = client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq);
        cqs.patch(MERGE, "{\"spec\": {\"namespaceSelector\": {\"matchLabels\": {\"capstan.io/queue-team\": \"ml\"}}}}");
        await().ignoreExceptions().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clusterQueue(cq)
                .path("spec").path("namespaceSelector").path("matchLabels").size()).isEqualTo(1));
        queuedAppWrapper("first", "team", "1", "600");

        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(
                workloadOf("first"), Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: namespace " + namespace
                + " doesn't match the namespaceSelector of ClusterQueue " + cq));
        assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems()).as("nothing deployed").isEmpty();

        client.namespaces().withName(namespace).edit(ns -> {
            ns.getMetadata().getLabels().put("capstan.io/queue-team", "ml");
            return ns;
        });
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).until(() -> phase("first").equals("Running"));

        // Hold: nothing new is admitted, what runs goes on.
        cqs.patch(MERGE, "{\"spec\": {\"stopPolicy\": \"Hold\"}}");
        await().ignoreExceptions().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(condition(
                clusterQueue(cq), "Active")).startsWith("False/Stopped"));
        queuedAppWrapper("second", "team", "1", "600");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(condition(
                workloadOf("second"), Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: ClusterQueue " + cq
                + " is stopped"));
        assertThat(phase("first")).isEqualTo("Running");

        // HoldAndDrain: what runs is evicted, suspended and requeued, and waits with the rest.
        cqs.patch(MERGE, "{\"spec\": {\"stopPolicy\": \"HoldAndDrain\"}}");
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(phase("first")).isEqualTo("Suspended");
            assertThat(condition(workloadOf("first"), Kueue.REQUEUED)).startsWith("True/ClusterQueueStopped");
            assertThat(condition(workloadOf("first"), Kueue.QUOTA_RESERVED)).startsWith("False");
            assertThat(client.pods().inNamespace(namespace).list().getItems()).isEmpty();
        });

        // Resumed: both fit the two CPUs.
        cqs.patch(MERGE, "{\"spec\": {\"stopPolicy\": \"None\"}}");
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(phase("first")).isEqualTo("Running");
            assertThat(phase("second")).isEqualTo("Running");
        });

        // A LocalQueue drained alone: its Workloads are evicted, with the LocalQueue as the reason.
        client.genericKubernetesResources(Kueue.LOCAL_QUEUES).inNamespace(namespace).withName("team")
                .patch(MERGE, "{\"spec\": {\"stopPolicy\": \"HoldAndDrain\"}}");
        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (String name : List.of("first", "second")) {
                assertThat(phase(name)).isEqualTo("Suspended");
                assertThat(condition(workloadOf(name), Kueue.REQUEUED)).startsWith("True/LocalQueueStopped");
                assertThat(condition(workloadOf(name), Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: "
                        + "LocalQueue team is stopped");
            }
        });
    }

    /** A queued AppWrapper around one Pod asking for {@code cpu}; {@code podAnnotations} script it on the mock node. */
    private void podAppWrapper(String name, String cpu, String podAnnotations, String annotations) {
        podAppWrapper(name, "team", cpu, podAnnotations, annotations);
    }

    private void podAppWrapper(String name, String queue, String cpu, String podAnnotations, String annotations) {
        client.resource(SERIALIZATION.unmarshal("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata:
                  name: %s
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: %s}
                  annotations: {%s}
                spec:
                  components:
                  - template:
                      apiVersion: v1
                      kind: Pod
                      metadata:
                        name: %s-pod
                        annotations: {%s}
                      spec:
                        nodeName: %s
                        restartPolicy: Never
                        containers:
                        - {name: main, image: capstan/test, resources: {requests: {cpu: "%s"}}}
                """.formatted(name, namespace, queue, annotations, name, podAnnotations, NODE, cpu), AppWrapper.class))
                .create();
    }

    private static void restartOperator(TestCluster cluster) throws Exception {
        operator.close();
        operator = startOperator(cluster);
    }

    @Test
    void fiveHundredAppWrappersRacingForOneQueueThroughAnOperatorRestartRunOnceEachWithinTheQuota(TestCluster cluster)
            throws Exception {
        String cq = queueSetup("5", "BestEffortFIFO", "{}");
        int count = 500;
        Map<String, Integer> podsCreated = new ConcurrentHashMap<>();
        Set<String> running = ConcurrentHashMap.newKeySet();
        Set<String> succeeded = ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        var handler = new io.fabric8.kubernetes.client.informers.ResourceEventHandler<Pod>() {
            @Override
            public void onAdd(Pod pod) {
                podsCreated.merge(pod.getMetadata().getName(), 1, Integer::sum);
                seen(pod);
            }

            @Override
            public void onUpdate(Pod before, Pod pod) {
                seen(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                running.remove(pod.getMetadata().getName());
            }

            private void seen(Pod pod) {
                String name = pod.getMetadata().getName();
                String phase = pod.getStatus() == null ? "" : pod.getStatus().getPhase();
                if ("Running".equals(phase) && running.add(name)) {
                    most.accumulateAndGet(running.size(), Math::max);
                } else if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                    running.remove(name);
                    if ("Succeeded".equals(phase)) {
                        succeeded.add(name);
                    }
                }
            }
        };
        try (var watch = client.pods().inNamespace(namespace).inform(handler)) {
            try (var creators = java.util.concurrent.Executors.newFixedThreadPool(16)) {
                for (int i = 0; i < count; i++) {
                    String name = "racer-" + i;
                    creators.submit(() -> podAppWrapper(name, "100m", "mock.capstan.io/run-seconds: \"1\"", ""));
                }
            }
            // The operator goes away while admissions, deployments and completions are all under way.
            await().atMost(Duration.ofMinutes(3)).until(() -> succeeded.size() >= count / 5);
            restartOperator(cluster);
            await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(
                    client.resources(AppWrapper.class).inNamespace(namespace).list().getItems().stream()
                            .filter(aw -> aw.getStatus() != null && "Succeeded".equals(aw.getStatus().phase)).count())
                    .isEqualTo(count));
        }
        assertThat(podsCreated).as("one pod per AppWrapper").hasSize(count);
        assertThat(podsCreated.values()).as("no pod created twice").allMatch(n -> n == 1);
        assertThat(most.get()).as("most pods running at once, within 5 CPUs of 100m each").isBetween(1, 50);
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode status = clusterQueue(cq).path("status");
            assertThat(status.path("admittedWorkloads").asInt()).isZero();
            assertThat(status.path("pendingWorkloads").asInt()).isZero();
            assertThat(status.path("flavorsUsage").path(0).path("resources").path(0).path("total").asText()).isEqualTo("0");
        });
        var workloads = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace).list().getItems();
        assertThat(workloads).as("one Workload per AppWrapper").hasSize(count);
        assertThat(workloads).allSatisfy(w -> assertThat(condition(SERIALIZATION.convertValue(w, JsonNode.class),
                Kueue.FINISHED)).startsWith("True/Succeeded"));
    }

    @Test
    void anOperatorRestartedWhileAnAppWrapperIsBeingDeletedFinishesTheDeletionAndReturnsTheQuota(TestCluster cluster)
            throws Exception {
        String cq = queueSetup("2", "BestEffortFIFO", "{}");
        // The pod never finishes a graceful deletion: only the forceful one, 5 s on, removes it.
        podAppWrapper("doomed", "1", "mock.capstan.io/termination-seconds: never",
                "workload.codeflare.dev.appwrapper/forcefulDeletionGracePeriodDuration: 5s");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).until(() -> phase("doomed").equals("Running"));

        client.resources(AppWrapper.class).inNamespace(namespace).withName("doomed").delete();
        await().ignoreExceptions().atMost(Duration.ofSeconds(10)).until(() -> client.pods().inNamespace(namespace)
                .withName("doomed-pod").get().getMetadata().getDeletionTimestamp() != null);
        operator.close();
        assertThat(client.resources(AppWrapper.class).inNamespace(namespace).withName("doomed").get())
                .as("stopped mid-deletion: the finalizer holds the AppWrapper").isNotNull();
        operator = startOperator(cluster);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(client.resources(AppWrapper.class).inNamespace(namespace).withName("doomed").get()).isNull();
            assertThat(client.pods().inNamespace(namespace).withName("doomed-pod").get()).isNull();
        });
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace).list().getItems())
                    .isEmpty();
            JsonNode status = clusterQueue(cq).path("status");
            assertThat(status.path("admittedWorkloads").asInt()).isZero();
            assertThat(status.path("flavorsUsage").path(0).path("resources").path(0).path("total").asText()).isEqualTo("0");
        });
    }

    @Test
    void cohortMembersBorrowWithinTheirLimitAndTheLenderReclaimsItsQuotaByPreemption() {
        String lender = cqName() + "-b";
        String borrower = queueSetup("2", "BestEffortFIFO", "{}");
        var cqs = client.genericKubernetesResources(Kueue.CLUSTER_QUEUES);
        // The borrower may borrow one CPU from the cohort; the lender takes back what it lent when it needs it.
        cqs.withName(borrower).patch(MERGE, ("{\"spec\": {\"cohort\": \"pool-%s\", \"resourceGroups\": [{\"coveredResources\": "
                + "[\"cpu\", \"memory\"], \"flavors\": [{\"name\": \"%s\", \"resources\": [{\"name\": \"cpu\", "
                + "\"nominalQuota\": \"2\", \"borrowingLimit\": \"1\"}, {\"name\": \"memory\", \"nominalQuota\": \"8Gi\"}]}]}]}}")
                .formatted(borrower, borrower));
        apply("""
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: ClusterQueue
                metadata: {name: %s}
                spec:
                  cohort: pool-%s
                  namespaceSelector: {}
                  preemption: {reclaimWithinCohort: Any}
                  resourceGroups:
                  - coveredResources: [cpu, memory]
                    flavors:
                    - name: %s
                      resources:
                      - {name: cpu, nominalQuota: 2}
                      - {name: memory, nominalQuota: 8Gi}
                ---
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: LocalQueue
                metadata: {name: lender, namespace: %s}
                spec: {clusterQueue: %s}
                """.formatted(lender, borrower, borrower, namespace, lender));
        try {
            for (int i = 1; i <= 4; i++) {
                podAppWrapper("borrowing-" + i, "team", "1", "", "");
            }
            // Two of its own and one borrowed: the borrowing limit, not the cohort's four, holds the fourth back.
            await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(List.of(1, 2, 3, 4).stream().filter(i -> phase("borrowing-" + i).equals("Running")).count())
                        .isEqualTo(3);
                JsonNode usage = clusterQueue(borrower).path("status").path("flavorsUsage").path(0).path("resources").path(0);
                assertThat(usage.path("total").asText()).isEqualTo("3");
                assertThat(usage.path("borrowed").asText()).isEqualTo("1");
            });

            podAppWrapper("lending-1", "lender", "1", "", "");
            podAppWrapper("lending-2", "lender", "1", "", "");
            // The lender's second CPU was lent: the borrower's most recently admitted workload gives it back.
            await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(phase("lending-1")).isEqualTo("Running");
                assertThat(phase("lending-2")).isEqualTo("Running");
                List<JsonNode> preempted = List.of(1, 2, 3, 4).stream().map(i -> workloadOf("borrowing-" + i))
                        .filter(w -> condition(w, Kueue.PREEMPTED).startsWith("True")).toList();
                assertThat(preempted).singleElement().satisfies(w -> assertThat(condition(w, Kueue.PREEMPTED))
                        .startsWith("True/InCohortReclamation"));
                assertThat(List.of(1, 2, 3, 4).stream().filter(i -> phase("borrowing-" + i).equals("Running")).count())
                        .isEqualTo(2);
                assertThat(clusterQueue(lender).path("status").path("flavorsUsage").path(0).path("resources").path(0)
                        .path("total").asText()).isEqualTo("2");
            });
        } finally {
            client.resources(AppWrapper.class).inNamespace(namespace).delete();
            cqs.withName(lender).delete();
        }
    }

    @Test
    void aClusterQueueThatBreaksKueuesRulesIsRefusedWithEveryProblem() {
        String cq = cqName() + "-bad";
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> apply("""
                apiVersion: kueue.x-k8s.io/v1beta1
                kind: ClusterQueue
                metadata: {name: %s}
                spec:
                  namespaceSelector: {}
                  resourceGroups:
                  - coveredResources: [cpu, memory]
                    flavors:
                    - name: default
                      resources:
                      - {name: cpu, nominalQuota: 4, borrowingLimit: 2}
                """.formatted(cq)));

        assertThat(refused).hasMessageContaining("ClusterQueue " + cq + ":")
                .hasMessageContaining("borrowingLimit: only a ClusterQueue in a cohort can borrow")
                .hasMessageContaining("must list the group's coveredResources [cpu, memory]");
        assertThat(client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).get()).isNull();
    }

    @Test
    void anAppWrapperPastItsMaximumExecutionTimeIsEvictedAndDeactivatedAndItsQuotaComesBack() {
        String cq = queueSetup("1", "BestEffortFIFO", "{}");
        client.resource(SERIALIZATION.unmarshal("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata:
                  name: overrun
                  namespace: %s
                  labels: {kueue.x-k8s.io/queue-name: team, kueue.x-k8s.io/max-exec-time-seconds: "3"}
                spec:
                  components:
                """.formatted(namespace) + """
                - template:
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: overrun-pod}
                    spec:
                      nodeName: %s
                      restartPolicy: Never
                      containers:
                      - {name: main, image: capstan/test, resources: {requests: {cpu: "1"}}}
                """.formatted(NODE).indent(2), AppWrapper.class)).create();
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).until(() -> phase("overrun").equals("Running"));
        assertThat(workloadOf("overrun").path("spec").path("maximumExecutionTimeSeconds").asInt()).isEqualTo(3);

        await().ignoreExceptions().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode workload = workloadOf("overrun");
            assertThat(workload.path("spec").path("active").asBoolean(true)).as("deactivated").isFalse();
            assertThat(condition(workload, Kueue.QUOTA_RESERVED)).startsWith("False");
            assertThat(workload.path("status").path("accumulatedPastExecutionTimeSeconds").asInt()).isGreaterThanOrEqualTo(3);
            assertThat(phase("overrun")).isEqualTo("Suspended");
            assertThat(client.pods().inNamespace(namespace).withName("overrun-pod").get()).isNull();
            assertThat(clusterQueue(cq).path("status").path("admittedWorkloads").asInt()).isZero();
        });
        assertThat(condition(workloadOf("overrun"), Kueue.REQUEUED)).startsWith("False/MaximumExecutionTimeExceeded");
    }

    @Test
    void aClusterQueueDeletedWhileInUseStaysUntilItsAdmittedWorkloadsAreDoneAndItsFlavorUntilItGoes() {
        String cq = queueSetup("2", "BestEffortFIFO", "{}");
        bareWorkload("running", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(condition(bareWorkload("running"), Kueue.ADMITTED)).startsWith("True");
            assertThat(client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).get().getMetadata()
                    .getFinalizers()).contains(Kueue.RESOURCE_IN_USE);
        });

        // Its flavor, deleted first, stays while the ClusterQueue names it.
        var flavor = client.genericKubernetesResources(Kueue.RESOURCE_FLAVORS).withName(cq);
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(flavor.get().getMetadata().getFinalizers()).contains(Kueue.RESOURCE_IN_USE));
        flavor.delete();
        assertThat(flavor.get().getMetadata().getDeletionTimestamp()).isNotNull();

        client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).delete();
        bareWorkload("late", "1");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(condition(bareWorkload("late"), Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: "
                    + "ClusterQueue " + cq + " is being deleted");
            assertThat(condition(clusterQueue(cq), "Active")).startsWith("False/Terminating");
        });
        assertThat(condition(bareWorkload("running"), Kueue.ADMITTED)).as("what runs keeps its admission")
                .startsWith("True");

        markFinished("running");
        await().ignoreExceptions().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(client.genericKubernetesResources(Kueue.CLUSTER_QUEUES).withName(cq).get()).isNull();
            assertThat(condition(bareWorkload("late"), Kueue.QUOTA_RESERVED)).isEqualTo("False/Inadmissible: "
                    + "ClusterQueue " + cq + " (of LocalQueue team) doesn't exist");
        });
        assertThat(bareWorkload("late").path("status").has("admission")).isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> flavor.get() == null);
    }

    /**
     * 300 Workloads racing for one ClusterQueue of 10 CPUs, each finished by a runner as soon as it is seen admitted:
     * one watch of all of them sees the API server's order of events, and in that order no more than 10 CPUs are ever
     * admitted and not finished — the scheduler's writes, made together at the end of each cycle, never over-admit.
     */
    @Test
    void threeHundredWorkloadsRacingForOneQueueNeverTakeMoreThanItsQuota() throws Exception {
        queueSetup("10", "BestEffortFIFO", "{}");
        var workloads = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace(namespace);
        Set<String> running = ConcurrentHashMap.newKeySet();
        Set<String> done = ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        var runner = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        var handler = new io.fabric8.kubernetes.client.informers.ResourceEventHandler<
                io.fabric8.kubernetes.api.model.GenericKubernetesResource>() {
            @Override
            public void onAdd(io.fabric8.kubernetes.api.model.GenericKubernetesResource workload) {
                seen(workload);
            }

            @Override
            public void onUpdate(io.fabric8.kubernetes.api.model.GenericKubernetesResource before,
                    io.fabric8.kubernetes.api.model.GenericKubernetesResource workload) {
                seen(workload);
            }

            @Override
            public void onDelete(io.fabric8.kubernetes.api.model.GenericKubernetesResource workload, boolean unknown) {
            }

            private void seen(io.fabric8.kubernetes.api.model.GenericKubernetesResource object) {
                JsonNode workload = SERIALIZATION.convertValue(object, JsonNode.class);
                String name = object.getMetadata().getName();
                if (condition(workload, Kueue.FINISHED).startsWith("True")) {
                    running.remove(name);
                    done.add(name);
                } else if (condition(workload, Kueue.ADMITTED).startsWith("True") && running.add(name)) {
                    most.accumulateAndGet(running.size(), Math::max);
                    runner.submit(() -> markFinished(name));
                }
            }
        };
        try (var watch = workloads.inform(handler)) {
            try (var creators = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 300; i++) {
                    String name = "racer-" + i;
                    creators.submit(() -> bareWorkload(name, "1"));
                }
            }
            await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> assertThat(done).hasSize(300));
        } finally {
            runner.shutdownNow();
        }
        assertThat(most.get()).as("most Workloads admitted and not finished at once").isBetween(1, 10);
    }
}
