package io.capstan.node;

import io.capstan.node.api.Provider;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.capstan.runtime.client.KubeClients;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** Starts virtual nodes against the test cluster and runs kubectl, for the node integration tests. */
final class NodeFixture implements AutoCloseable {

    final TestCluster cluster;
    final TestNamespace namespace;
    final KubernetesClient client;
    /** Every node this fixture starts reports here (their controllers' names carry the node name). */
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final List<VirtualNode> nodes = new ArrayList<>();
    private final List<KubernetesClient> clients = new ArrayList<>();

    NodeFixture(TestCluster cluster, TestNamespace namespace) {
        this.cluster = cluster;
        this.namespace = namespace;
        this.client = cluster.client();
    }

    /** A node name unique to the test. */
    String nodeName(String suffix) {
        String name = suffix + "-" + namespace.name();
        return name.length() > 63 ? name.substring(0, 63).replaceAll("-$", "") : name;
    }

    VirtualNode start(Provider provider, String nodeName) throws Exception {
        return start(provider, nodeName, config -> config);
    }

    VirtualNode start(Provider provider, String nodeName, UnaryOperator<VirtualNode.Config> customize) throws Exception {
        return start(provider, nodeName, customize, cluster.newClient());
    }

    /** A node whose client passes its requests through {@code interceptor} (e.g. to have the server refuse some). */
    VirtualNode start(Provider provider, String nodeName, UnaryOperator<VirtualNode.Config> customize,
            Interceptor interceptor) throws Exception {
        return start(provider, nodeName, customize, KubeClients.builder(cluster.config(),
                http -> http.addOrReplaceInterceptor("test", interceptor)).build());
    }

    private VirtualNode start(Provider provider, String nodeName, UnaryOperator<VirtualNode.Config> customize,
            KubernetesClient nodeClient) throws Exception {
        var ca = cluster.controlPlane().certificateAuthority();
        VirtualNode.Config config = customize.apply(VirtualNode.Config.defaults(nodeName, provider,
                ServingCertificate.issuedBy(ca, nodeName, "127.0.0.1"), ca.certificate(),
                VirtualNodeTaint.forProvider(provider.name(), Map.of())));
        clients.add(nodeClient);
        VirtualNode node = VirtualNode.start(nodeClient, config, metrics);
        nodes.add(node);
        return node;
    }

    MockProvider mock() {
        return new MockProvider(MockProvider.Capacity.DEFAULT, "127.0.0.1");
    }

    Pod pod(String name, String nodeName, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace.name())
                .withAnnotations(annotations).endMetadata()
                .withNewSpec().withNodeName(nodeName).withEnableServiceLinks(false).withRestartPolicy("Never")
                .addNewContainer().withName("main").withImage("capstan/test").withCommand("sleep", "3600").endContainer()
                .endSpec().build();
    }

    Pod create(Pod pod) {
        return client.pods().inNamespace(namespace.name()).resource(pod).create();
    }

    Pod get(String name) {
        return client.pods().inNamespace(namespace.name()).withName(name).get();
    }

    /** Runs kubectl against the test cluster. */
    Result kubectl(String... args) throws IOException, InterruptedException {
        return kubectlWithInput(null, args);
    }

    /** Runs kubectl with text on its standard input. */
    Result kubectlWithInput(String input, String... args) throws IOException, InterruptedException {
        return run(input, kubectlCommand(args), args);
    }

    /**
     * Runs kubectl in a terminal of the given size, as a user at a shell would (script(1) provides the terminal), so
     * {@code exec -t} sends that size; the terminal's output (with CR LF line ends) is {@link Result#out()}.
     */
    Result kubectlInTerminal(int rows, int columns, String... args) throws IOException, InterruptedException {
        String kubectl = String.join(" ", kubectlCommand(args).stream().map(word -> "'" + word.replace("'", "'\\''") + "'")
                .toList());
        return run(null, List.of("script", "-qfec", "stty rows " + rows + " cols " + columns + "; exec " + kubectl,
                "/dev/null"), args);
    }

    private List<String> kubectlCommand(String... args) {
        Path kubeconfig = cluster.controlPlane().kubeconfig();
        Path kubectl = cluster.controlPlane().binaries().kubectl()
                .orElseThrow(() -> new IllegalStateException("the Kubernetes binaries have no kubectl"));
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString(),
                "-n", namespace.name()));
        command.addAll(List.of(args));
        return command;
    }

    private static Result run(String input, List<String> command, String... args) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        if (input != null) {
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish in 60s");
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String out, String err) {
    }

    static Duration waitLimit() {
        return Duration.ofSeconds(30);
    }

    @Override
    public void close() {
        for (VirtualNode node : nodes.reversed()) {
            node.close();
            try {
                client.nodes().withName(node.name()).delete();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
        clients.forEach(KubernetesClient::close);
    }
}
