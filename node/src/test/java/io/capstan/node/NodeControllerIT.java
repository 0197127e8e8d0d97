package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capstan.node.node.NodeController;
import io.capstan.node.node.NodeNameConflictException;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Registration, heartbeats, the Lease, status merging and taints (as Virtual Kubelet's node/node.go and node/lease_controller_v1.go do them). */
@EmbeddedCluster
class NodeControllerIT {

    /** Ping every second, status every 2 s, an 8 s lease renewed every 2 s. */
    private static final NodeController.Settings FAST = new NodeController.Settings(Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(8));

    private NodeFixture fixture;
    private String name;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) {
        fixture = new NodeFixture(cluster, namespace);
        name = fixture.nodeName("node");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private Node node() {
        return fixture.client.nodes().withName(name).get();
    }

    private Lease lease() {
        return fixture.client.leases().inNamespace("kube-node-lease").withName(name).get();
    }

    @Test
    void registersWithLabelsTaintCapacityAddressAndKubeletPortAndBecomesReady() throws Exception {
        VirtualNode started = fixture.start(new MockProvider(new MockProvider.Capacity(500, "64", "256Gi"), "127.0.0.1"), name);

        Node node = node();
        assertThat(node.getMetadata().getLabels()).containsEntry("type", "virtual-kubelet")
                .containsEntry("kubernetes.io/role", "agent").containsEntry("kubernetes.io/hostname", name);
        assertThat(node.getSpec().getTaints()).filteredOn(t -> t.getKey().startsWith("virtual-kubelet.io/")).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo("virtual-kubelet.io/provider");
            assertThat(t.getValue()).isEqualTo("mock");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(node.getStatus().getCapacity()).containsEntry("pods", new io.fabric8.kubernetes.api.model.Quantity("500"));
        assertThat(node.getStatus().getAddresses()).anySatisfy(a -> {
            assertThat(a.getType()).isEqualTo("InternalIP");
            assertThat(a.getAddress()).isEqualTo("127.0.0.1");
        });
        assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(started.kubeletPort());
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(node().getStatus().getConditions())
                .anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("Ready");
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo("KubeletReady");
                }));
    }

    @Test
    void theLeaseIsRenewedAndOwnedByTheNode() throws Exception {
        fixture.start(fixture.mock(), name, config -> config.withNode(FAST));

        Lease first = lease();
        assertThat(first.getSpec().getHolderIdentity()).isEqualTo(name);
        assertThat(first.getSpec().getLeaseDurationSeconds()).isEqualTo(8);
        assertThat(first.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("Node");
            assertThat(owner.getUid()).isEqualTo(node().getMetadata().getUid());
        });
        ZonedDateTime renewed = first.getSpec().getRenewTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> lease().getSpec().getRenewTime().isAfter(renewed));
    }

    @Test
    void whilePingFailsNeitherTheLeaseNorTheHeartbeatAdvanceAndTheyResumeAfterwards() throws Exception {
        MockProvider mock = fixture.mock();
        fixture.start(mock, name, config -> config.withNode(FAST));
        await().atMost(Duration.ofSeconds(10)).until(() -> lease().getSpec().getRenewTime() != null);

        mock.failPing(true);
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
        ZonedDateTime frozenLease = lease().getSpec().getRenewTime();
        String frozenHeartbeat = readyCondition().getLastHeartbeatTime();
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)).until(() ->
                lease().getSpec().getRenewTime().equals(frozenLease) && readyCondition().getLastHeartbeatTime().equals(frozenHeartbeat));

        mock.failPing(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> lease().getSpec().getRenewTime().isAfter(frozenLease));
        await().atMost(Duration.ofSeconds(10)).until(() -> !readyCondition().getLastHeartbeatTime().equals(frozenHeartbeat));
    }

    private NodeCondition readyCondition() {
        return node().getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
    }

    @Test
    void conditionsAndAnnotationsAddedByOthersSurviveStatusUpdates() throws Exception {
        fixture.start(fixture.mock(), name, config -> config.withNode(FAST));
        String now = java.time.Instant.now().toString().substring(0, 19) + "Z";
        // Strategic merge patches without a resourceVersion, as other node agents (e.g. a GPU checker) write them.
        fixture.client.nodes().withName(name).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"status\":{\"conditions\":[{\"type\":\"example.com/GpuHealthy\",\"status\":\"True\","
                        + "\"reason\":\"Checked\",\"lastHeartbeatTime\":\"" + now + "\",\"lastTransitionTime\":\"" + now + "\"}]}}");
        fixture.client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"example.com/owner\":\"team-a\"}}}");
        String heartbeat = readyCondition().getLastHeartbeatTime();

        await().atMost(Duration.ofSeconds(10)).until(() -> !readyCondition().getLastHeartbeatTime().equals(heartbeat));

        Node node = node();
        assertThat(node.getStatus().getConditions()).extracting(NodeCondition::getType).contains("example.com/GpuHealthy");
        assertThat(node.getMetadata().getAnnotations()).containsEntry("example.com/owner", "team-a")
                .containsKeys(NodeController.LAST_APPLIED_META, NodeController.LAST_APPLIED_STATUS);
    }

    @Test
    void aNameAnotherLiveAgentServesIsRefused() throws Exception {
        fixture.start(fixture.mock(), name, config -> config.withNode(FAST));

        assertThatThrownBy(() -> fixture.start(fixture.mock(), name, config -> config.withNode(FAST)))
                .isInstanceOf(NodeNameConflictException.class)
                .hasMessageContaining("already served by another agent");
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(name);
    }

    @Test
    void aRestartedAgentTakesItsNodeOverAndReconcilesItsTaintKeepingOthers() throws Exception {
        VirtualNode first = fixture.start(fixture.mock(), name, config -> config.withNode(FAST));
        first.close();
        fixture.client.nodes().withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"taints\":[{\"key\":\"example.com/maintenance\",\"effect\":\"PreferNoSchedule\"}]}}");

        Taint changed = VirtualNodeTaint.of("virtual-kubelet.io/provider", "gpu-pool", "NoExecute");
        fixture.start(fixture.mock(), name, config -> new VirtualNode.Config(config.nodeName(), config.provider(), changed,
                config.address(), config.kubeletPort(), config.servingCertificate(), config.clientCa(), config.clientAuth(),
                config.authentication(), config.pods(), FAST, config.startupTimeout(), config.labels()));

        assertThat(node().getSpec().getTaints()).filteredOn(t -> !t.getKey().startsWith("node.kubernetes.io/"))
                .extracting(t -> t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                .containsExactlyInAnyOrder("example.com/maintenance=null:PreferNoSchedule",
                        "virtual-kubelet.io/provider=gpu-pool:NoExecute");
    }

    @Test
    void theTaintKeepsPodsAwayUnlessTheyTolerateIt() throws Exception {
        fixture.start(fixture.mock(), name);
        Pod intolerant = fixture.pod("intolerant", null, Map.of());
        intolerant.getSpec().setNodeSelector(Map.of("kubernetes.io/hostname", name));
        fixture.create(intolerant);
        Pod tolerant = fixture.pod("tolerant", null, Map.of());
        tolerant.getSpec().setNodeSelector(Map.of("kubernetes.io/hostname", name));
        tolerant.getSpec().setTolerations(List.of(new io.fabric8.kubernetes.api.model.TolerationBuilder()
                .withKey("virtual-kubelet.io/provider").withOperator("Exists").build()));
        fixture.create(tolerant);

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            assertThat(fixture.get("tolerant").getSpec().getNodeName()).isEqualTo(name);
            assertThat(fixture.get("tolerant").getStatus().getPhase()).isEqualTo("Running");
        });
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get("intolerant").getStatus()
                .getConditions()).anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("PodScheduled");
                    assertThat(c.getReason()).isEqualTo("Unschedulable");
                }));
        assertThat(fixture.get("intolerant").getSpec().getNodeName()).isNull();
    }

    @Test
    void aNodeDeletedByOthersIsRegisteredAgainWithItsLease() throws Exception {
        fixture.start(fixture.mock(), name, config -> config.withNode(FAST));
        String firstUid = node().getMetadata().getUid();

        fixture.client.nodes().withName(name).delete();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            // Each read once: the garbage collector may delete the old Lease between two reads.
            var registered = node();
            assertThat(registered).isNotNull();
            assertThat(registered.getMetadata().getUid()).isNotEqualTo(firstUid);
            // The garbage collector deletes the old Lease with the old Node; the agent creates a new one.
            var lease = lease();
            assertThat(lease).isNotNull();
            assertThat(lease.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(registered.getMetadata().getUid()));
        });
    }

    @Test
    void stoppingTheAgentLeavesTheNodeAndItsPods() throws Exception {
        VirtualNode node = fixture.start(fixture.mock(), name);
        fixture.create(fixture.pod("kept", name, Map.of()));
        await().atMost(NodeFixture.waitLimit()).until(() -> "Running".equals(fixture.get("kept").getStatus().getPhase()));

        node.close();

        assertThat(node()).isNotNull();
        assertThat(fixture.get("kept").getMetadata().getDeletionTimestamp()).isNull();
    }

    /** kube-controller-manager's node lifecycle controller notices the missing heartbeats (about 40 s). */
    @Test
    void aNodeWhosePingKeepsFailingBecomesUnknownAndUnreachable() throws Exception {
        MockProvider mock = fixture.mock();
        fixture.start(mock, name, config -> config.withNode(FAST));
        await().atMost(NodeFixture.waitLimit()).until(() -> "True".equals(readyCondition().getStatus()));

        mock.failPing(true);

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(readyCondition().getStatus()).isEqualTo("Unknown");
            assertThat(node().getSpec().getTaints()).extracting(Taint::getKey).contains("node.kubernetes.io/unreachable");
        });
        mock.failPing(false);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(readyCondition().getStatus()).isEqualTo("True");
            assertThat(node().getSpec().getTaints()).extracting(Taint::getKey).doesNotContain("node.kubernetes.io/unreachable");
        });
    }
}
