package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.node.pod.PodController;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.runtime.queue.ItemExponentialBackoff;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pod controller's flows (Virtual Kubelet's node/podcontroller.go, node/pod.go and node/sync.go), driven through the mock provider. */
@EmbeddedCluster
class PodLifecycleIT {

    private NodeFixture fixture;
    private MockProvider mock;
    private String node;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) {
        fixture = new NodeFixture(cluster, namespace);
        mock = fixture.mock();
        node = fixture.nodeName("pods");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private static final int MAX_RETRIES = 3;

    /** Fast retries (10..100 ms) and 3 attempts, so give-up behaviour is quick to observe. */
    private VirtualNode startNode() throws Exception {
        return fixture.start(mock, node, fastRetries());
    }

    private UnaryOperator<VirtualNode.Config> fastRetries() {
        return config -> config.withPods(PodController.Settings.defaults(node)
                .withRateLimiter(() -> new ItemExponentialBackoff<>(Duration.ofMillis(10), Duration.ofMillis(100)))
                .withMaxRetries(MAX_RETRIES));
    }

    private List<String> reasons(String pod) {
        return fixture.client.v1().events().inNamespace(fixture.namespace.name()).withField("involvedObject.name", pod)
                .list().getItems().stream().map(Event::getReason).toList();
    }

    private void awaitPhase(String pod, String phase) {
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get(pod).getStatus().getPhase())
                .isEqualTo(phase));
    }

    @Test
    void createRecordsAnEventAndStatusComesFromTheProvider() throws Exception {
        startNode();
        fixture.create(fixture.pod("created", node, Map.of()));

        awaitPhase("created", "Running");
        Pod pod = fixture.get("created");
        assertThat(pod.getStatus().getHostIP()).isEqualTo("127.0.0.1");
        assertThat(pod.getStatus().getContainerStatuses()).singleElement().satisfies(c -> assertThat(c.getReady()).isTrue());
        await().atMost(NodeFixture.waitLimit()).until(() -> reasons("created").contains("ProviderCreateSuccess"));
        List<Event> events = fixture.client.v1().events().inNamespace(fixture.namespace.name())
                .withField("involvedObject.name", "created").list().getItems();
        assertThat(events).anySatisfy(e -> assertThat(e.getSource().getComponent()).isEqualTo(node + "/pod-controller"));
    }

    @Test
    void reportsInQuickSuccessionAreWrittenWithoutStaleRefusals() throws Exception {
        startNode();
        // Running, Ready and Succeeded a few milliseconds apart: each write is sent before the node's cache has seen
        // the one before it, as a process pod's Pending and Running are.
        Map<String, String> script = Map.of("mock.capstan.io/ready-after-seconds", "0.004",
                "mock.capstan.io/run-seconds", "0.008");
        for (int i = 0; i < 20; i++) {
            fixture.create(fixture.pod("quick-" + i, node, script));
        }

        for (int i = 0; i < 20; i++) {
            awaitPhase("quick-" + i, "Succeeded");
        }
        assertThat(fixture.metrics.get("controller.runtime.reconcile").tag("controller", "pod-status-" + node)
                .tag("result", "success").counter().count()).as("status syncs").isGreaterThanOrEqualTo(20);
        assertThat(fixture.metrics.get("controller.runtime.reconcile.errors").tag("controller", "pod-status-" + node)
                .counter().count()).as("status writes refused (stale resourceVersion) or failed").isZero();
    }

    @Test
    void aStatusWriteRefusedMoreOftenThanTheRetryLimitStillLandsOnceTheServerTakesIt() throws Exception {
        AtomicBoolean refuse = new AtomicBoolean(true);
        // The API server itself refuses the node's status writes of this pod (422: an invalid dryRun) while asked to.
        Interceptor refuseStatusWrites = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                if (refuse.get() && "PATCH".equals(request.method())
                        && request.uri().getPath().endsWith("/pods/refused/status")) {
                    builder.uri(URI.create(request.uri() + "?dryRun=Refused"));
                }
            }
        };
        fixture.start(mock, node, fastRetries(), refuseStatusWrites);
        fixture.create(fixture.pod("refused", node, Map.of()));
        var failedStatusSyncs = fixture.metrics.get("controller.runtime.reconcile.errors")
                .tag("controller", "pod-status-" + node).counter();

        await().atMost(NodeFixture.waitLimit()).until(() -> failedStatusSyncs.count() > MAX_RETRIES + 1);
        assertThat(fixture.get("refused").getStatus().getPhase()).as("no write got through").isEqualTo("Pending");
        refuse.set(false);

        awaitPhase("refused", "Running");
    }

    @Test
    void providerAnnotationsReachThePodWithoutClobberingWhatUsersSet() throws Exception {
        startNode();
        fixture.create(fixture.pod("meta", node, Map.of()));
        awaitPhase("meta", "Running");
        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("meta")
                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("team", "blue").endMetadata().build());

        mock.annotate(fixture.namespace.name(), "meta", "provider.example/region", "eu");

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            Pod pod = fixture.get("meta");
            assertThat(pod.getMetadata().getAnnotations()).containsEntry("provider.example/region", "eu");
            assertThat(pod.getMetadata().getLabels()).containsEntry("team", "blue");
        });
    }

    @Test
    void changingLabelsUpdatesThePodInTheProviderAndAnIdenticalPatchDoesNot() throws Exception {
        startNode();
        fixture.create(fixture.pod("updated", node, Map.of()));
        awaitPhase("updated", "Running");

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("updated")
                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("version", "2").endMetadata().build());
        await().atMost(NodeFixture.waitLimit()).until(() -> mock.updateCalls() == 1);
        await().atMost(NodeFixture.waitLimit()).until(() -> reasons("updated").contains("ProviderUpdateSuccess"));

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("updated")
                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("version", "2").endMetadata().build());
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mock.updateCalls() == 1);
    }

    @Test
    void repeatedCreateFailuresEndInFailedInsteadOfPendingForever() throws Exception {
        startNode();
        Pod pod = fixture.pod("unlucky", node, Map.of("mock.capstan.io/fail-create", "back end is full"));
        pod.getSpec().setRestartPolicy("Always");
        fixture.create(pod);

        awaitPhase("unlucky", "Failed");
        Pod failed = fixture.get("unlucky");
        assertThat(failed.getStatus().getReason()).isEqualTo("ProviderFailed");
        assertThat(failed.getStatus().getMessage()).contains("gave up after 3 failed attempts").contains("back end is full");
        assertThat(mock.createCalls()).isEqualTo(3);
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(reasons("unlucky"))
                .contains("ProviderCreateFailed", "ProviderGaveUp"));
    }

    @Test
    void aCreateFailureWithRestartPolicyNeverFailsThePodAtOnce() throws Exception {
        startNode();
        fixture.create(fixture.pod("once", node, Map.of("mock.capstan.io/fail-create", "no capacity")));

        awaitPhase("once", "Failed");
        assertThat(fixture.get("once").getStatus().getReason()).isEqualTo("ProviderFailed");
        assertThat(fixture.get("once").getStatus().getMessage()).isEqualTo("no capacity");
    }

    @Test
    void podsThatEndedBeforeTheNodeStartedAreLeftAlone() throws Exception {
        VirtualNode first = startNode();
        fixture.create(fixture.pod("finished", node, Map.of("mock.capstan.io/run-seconds", "0")));
        awaitPhase("finished", "Succeeded");
        String resourceVersion = fixture.get("finished").getMetadata().getResourceVersion();
        first.close();

        mock = fixture.mock();
        startNode();

        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mock.createCalls() == 0);
        assertThat(fixture.get("finished").getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
    }

    @Test
    void gracefulDeletionCallsTheProviderShowsTheEndAndRemovesThePod() throws Exception {
        startNode();
        fixture.create(fixture.pod("graceful", node, Map.of("mock.capstan.io/termination-seconds", "1")));
        awaitPhase("graceful", "Running");

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("graceful").withGracePeriod(10).delete();

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(reasons("graceful")).contains("ProviderDeleteSuccess"));
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("graceful") == null);
        assertThat(mock.deleteCalls()).isEqualTo(1);
    }

    @Test
    void aPodThatNeverRanIsDeletedAtOnce() throws Exception {
        startNode();
        fixture.create(fixture.pod("stuck", node, Map.of("mock.capstan.io/start-failure", "ImagePullBackOff")));
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get("stuck").getStatus()
                .getContainerStatuses()).singleElement().satisfies(c -> assertThat(c.getState().getWaiting().getReason())
                .isEqualTo("ImagePullBackOff")));

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("stuck").withGracePeriod(300).delete();

        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.get("stuck") == null);
        await().atMost(NodeFixture.waitLimit()).until(() -> mock.getPod(fixture.namespace.name(), "stuck").isEmpty());
    }

    @Test
    void aPodWhoseDeletionFailsStaysTerminating() throws Exception {
        startNode();
        fixture.create(fixture.pod("sticky", node, Map.of("mock.capstan.io/delete-fails", "back end unreachable")));
        awaitPhase("sticky", "Running");

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("sticky").withGracePeriod(2).delete();

        await().atMost(NodeFixture.waitLimit()).until(() -> mock.deleteCalls() >= 2);
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() ->
                assertThat(fixture.get("sticky").getMetadata().getDeletionTimestamp()).isNotNull());
        assertThat(reasons("sticky")).contains("ProviderDeleteFailed");
    }

    @Test
    void aPodRecreatedUnderTheSameNameSurvivesTheOldOnesGracePeriod() throws Exception {
        startNode();
        fixture.create(fixture.pod("phoenix", node, Map.of("mock.capstan.io/termination-seconds", "0.5")));
        awaitPhase("phoenix", "Running");
        String oldUid = fixture.get("phoenix").getMetadata().getUid();

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("phoenix").withGracePeriod(4).delete();
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("phoenix") == null);
        fixture.create(fixture.pod("phoenix", node, Map.of()));

        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).untilAsserted(() -> {
            Pod current = fixture.get("phoenix");
            assertThat(current).isNotNull();
            assertThat(current.getMetadata().getUid()).isNotEqualTo(oldUid);
            assertThat(current.getMetadata().getDeletionTimestamp()).isNull();
        });
    }

    @Test
    void aPodTheProviderDeletesIsDeletedInKubernetes() throws Exception {
        startNode();
        fixture.create(fixture.pod("evicted", node, Map.of()));
        awaitPhase("evicted", "Running");

        mock.deleteFromBackEnd(fixture.namespace.name(), "evicted", 0);

        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("evicted") == null);
    }

    @Test
    void finalizersKeepTheObjectUntilTheyAreRemoved() throws Exception {
        startNode();
        Pod pod = fixture.pod("finalized", node, Map.of());
        pod.getMetadata().setFinalizers(List.of("example.com/hold"));
        fixture.create(pod);
        awaitPhase("finalized", "Running");

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("finalized").withGracePeriod(1).delete();
        await().atMost(NodeFixture.waitLimit()).until(() -> mock.getPod(fixture.namespace.name(), "finalized").isEmpty());
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> fixture.get("finalized") != null);

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("finalized")
                .edit(p -> new PodBuilder(p).editMetadata().withFinalizers().endMetadata().build());
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("finalized") == null);
    }

    @Test
    void providerPodsKubernetesDoesNotKnowAreDeletedAtStart() throws Exception {
        mock.adopt(new PodBuilder().withNewMetadata().withNamespace(fixture.namespace.name()).withName("dangling")
                .withUid("gone-uid").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("x").endContainer()
                .endSpec().build());

        startNode();

        assertThat(mock.deleteCalls()).isEqualTo(1);
        // The mock finishes a deletion on its timer thread, as a real back end stops containers asynchronously.
        await().atMost(NodeFixture.waitLimit())
                .untilAsserted(() -> assertThat(mock.getPod(fixture.namespace.name(), "dangling")).isEmpty());
    }

    @Test
    void podsOfOtherNodesAreNeverSeen() throws Exception {
        startNode();
        fixture.create(fixture.pod("elsewhere", "some-other-node", Map.of()));
        fixture.create(fixture.pod("here", node, Map.of()));

        awaitPhase("here", "Running");
        assertThat(mock.createCalls()).isEqualTo(1);
        assertThat(mock.getPod(fixture.namespace.name(), "elsewhere")).isEmpty();
    }

    @Test
    void aPodWaitingForAConfigMapStartsAsSoonAsItAppears() throws Exception {
        startNode();
        Pod pod = fixture.pod("waiting", node, Map.of());
        pod.getSpec().getContainers().getFirst().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                .withName("SETTING").withNewValueFrom().withNewConfigMapKeyRef().withName("late").withKey("k")
                .endConfigMapKeyRef().endValueFrom().build()));
        fixture.create(pod);
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get("waiting").getStatus()
                .getContainerStatuses()).singleElement().satisfies(c -> {
                    assertThat(c.getState().getWaiting().getReason()).isEqualTo("CreateContainerConfigError");
                    assertThat(c.getState().getWaiting().getMessage()).contains("configmap \"late\" not found");
                }));

        fixture.client.configMaps().inNamespace(fixture.namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("late").endMetadata().withData(Map.of("k", "v")).build()).create();

        awaitPhase("waiting", "Running");
        Pod inProvider = mock.getPod(fixture.namespace.name(), "waiting").orElseThrow();
        assertThat(inProvider.getSpec().getContainers().getFirst().getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SETTING");
            assertThat(e.getValue()).isEqualTo("v");
        });
    }

    @Test
    void aPolledProviderIsReadEverySecondsAndALostPodIsReportedFailed() throws Exception {
        PollingProvider polled = new PollingProvider(mock);
        fixture.start(polled, node, config -> config.withPods(PodController.Settings.defaults(node)
                .withPollInterval(Duration.ofSeconds(1))));
        fixture.create(fixture.pod("polled", node, Map.of()));
        awaitPhase("polled", "Running");

        // Someone else rewrites the status; the next poll restores what the provider reports.
        Pod current = fixture.get("polled");
        fixture.client.pods().inNamespace(fixture.namespace.name()).resource(new PodBuilder(current)
                .withStatus(new PodStatusBuilder(current.getStatus()).withConditions(new PodConditionBuilder().withType("Ready")
                        .withStatus("False").build()).build()).build()).updateStatus();
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get("polled").getStatus().getConditions())
                .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("Ready");
                    assertThat(c.getStatus()).isEqualTo("True");
                }));

        mock.vanish(fixture.namespace.name(), "polled");

        awaitPhase("polled", "Failed");
        Pod lost = fixture.get("polled");
        assertThat(lost.getStatus().getReason()).isEqualTo("NotFound");
        assertThat(lost.getStatus().getContainerStatuses()).singleElement().satisfies(c ->
                assertThat(c.getState().getTerminated().getExitCode()).isEqualTo(-137));
    }

    @Test
    void aPodDeletedWhileItsCreationKeepsFailingLeavesNothingBehind() throws Exception {
        startNode();
        Pod pod = fixture.pod("doomed", node, Map.of("mock.capstan.io/fail-create", "always"));
        pod.getSpec().setRestartPolicy("Always");
        fixture.create(pod);
        await().atMost(NodeFixture.waitLimit()).until(() -> mock.createCalls() >= 1);

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("doomed").withGracePeriod(0).delete();

        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("doomed") == null);
        int attempts = mock.createCalls();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> mock.createCalls() == attempts);
        assertThat(mock.getPods()).isEmpty();
    }
}
