package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.node.provider.mock.MockProvider;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EmbeddedCluster
class VirtualNodeSmokeIT {

    @Test
    void mockNodeRunsAPodAndServesLogsAndExecThroughTheApiServer(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        try (NodeFixture fixture = new NodeFixture(cluster, namespace)) {
            MockProvider provider = fixture.mock();
            String nodeName = fixture.nodeName("mock");
            fixture.start(provider, nodeName);

            await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
                Node node = fixture.client.nodes().withName(nodeName).get();
                assertThat(node.getStatus().getConditions()).anySatisfy(c -> {
                    assertThat(c.getType()).isEqualTo("Ready");
                    assertThat(c.getStatus()).isEqualTo("True");
                });
            });

            fixture.create(fixture.pod("web", nodeName, Map.of()));
            await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
                Pod pod = fixture.get("web");
                assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
                assertThat(pod.getStatus().getPodIP()).isNotBlank();
            });

            NodeFixture.Result logs = fixture.kubectl("logs", "web", "--tail=2");
            assertThat(logs.exitCode()).as(logs.err()).isZero();
            assertThat(logs.out()).isEqualTo("mock log line 9 of main\nmock log line 10 of main\n");

            NodeFixture.Result exec = fixture.kubectl("exec", "web", "--", "echo", "hello");
            assertThat(exec.exitCode()).as(exec.err()).isZero();
            assertThat(exec.out()).isEqualTo("mock exec: echo hello\n");

            NodeFixture.Result failing = fixture.kubectl("exec", "web", "--", "exit", "3");
            assertThat(failing.exitCode()).as(failing.err()).isEqualTo(3);
        }
    }
}
