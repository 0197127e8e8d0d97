package io.capstan.cli;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.LocalCluster;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.metrics.Metrics;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.capstan.runtime.operator.OperatorModules;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.capstan.runtime.webhook.WebhookAuthority;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code capstan up} runs next to the control plane: the operator (Capstan's controllers) and the node "local",
 * whose pods are host processes.
 */
final class Addons {

    static final String LOCAL_NODE = "local";

    private Addons() {
    }

    static List<LocalCluster.Addon> start(ControlPlane plane) {
        List<LocalCluster.Addon> started = new ArrayList<>();
        try {
            started.add(operator(plane));
            started.add(localNode(plane));
            return started;
        } catch (Exception e) {
            started.forEach(LocalCluster.Addon::close);
            throw new IllegalStateException("cannot start the embedded cluster's node: " + ApiErrors.describe(e), e);
        }
    }

    /** Capstan's controllers, every module, in this process: no leader election (one supervisor), free ports. */
    static LocalCluster.Addon operator(ControlPlane plane) throws Exception {
        KubernetesClient client = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        Operator operator = Operator.start(client, OperatorModules.discover(), new Operator.Settings(
                new Manager.Settings(null, loopback, loopback, null, Duration.ofMinutes(2)), true,
                new Operator.Webhooks(loopback, new AdmissionWebhooks.UrlEndpoint("127.0.0.1", 0),
                        WebhookAuthority.ephemeral(), "Ignore", Map.of(), Operator.WEBHOOK_CONFIGURATION, true)));
        String detail = operator.modules().stream().map(OperatorModule::name).collect(Collectors.joining(", "))
                + "; metrics and health on http://127.0.0.1:" + operator.manager().serverAddresses().getFirst().getPort()
                + ", admission webhooks on https://127.0.0.1:" + operator.webhookPort();
        return new LocalCluster.Addon() {
            @Override
            public String name() {
                return "operator";
            }

            @Override
            public String detail() {
                return detail;
            }

            @Override
            public void close() {
                operator.close();
            }
        };
    }

    /**
     * The commands the node offers its pods: {@code capstan} itself (this very jar and JVM), so an init container can
     * run {@code capstan barrier} as it would run FrameworkController's barrier image.
     */
    static Path installTools(Path directory) throws IOException {
        Files.createDirectories(directory);
        String javaBinary = ProcessHandle.current().info().command().orElse("java");
        StringBuilder flags = new StringBuilder("-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k");
        if (Runtime.version().feature() >= 23) {
            flags.append(" --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED");
        }
        // This JVM's class path: the Capstan jar, or in a build tree (tests) the modules' classes and their libraries.
        String launch = "-cp " + shellQuote(System.getProperty("java.class.path")) + " " + Main.class.getName();
        String script = "#!/bin/sh\n# Capstan's CLI, for the pods of the embedded cluster's node (e.g. 'capstan barrier').\n"
                + "exec " + shellQuote(javaBinary) + " " + flags + " " + launch + " \"$@\"\n";
        Path target = directory.resolve("capstan");
        Path temporary = directory.resolve("capstan.tmp");
        Files.writeString(temporary, script);
        temporary.toFile().setExecutable(true, false);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        offerPython(directory);
        return directory;
    }

    /** The directories of a container's default PATH on the process node. */
    private static final List<String> DEFAULT_PATH = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
            "/sbin", "/bin");

    /**
     * A {@code python} command for hosts that have only {@code python3} (Debian's default): the {@code python:3}
     * images that Metacontroller's and many other examples name run {@code python}, which is Python 3 there.
     */
    private static void offerPython(Path directory) throws IOException {
        Path alias = directory.resolve("python");
        Files.deleteIfExists(alias);
        if (DEFAULT_PATH.stream().anyMatch(dir -> Files.isExecutable(Path.of(dir, "python")))) {
            return;
        }
        var python3 = DEFAULT_PATH.stream().map(dir -> Path.of(dir, "python3")).filter(Files::isExecutable).findFirst();
        if (python3.isPresent()) {
            Files.writeString(alias, "#!/bin/sh\n# 'python' as a python:3 image has it: this host's Python 3.\nexec "
                    + shellQuote(python3.get().toString()) + " \"$@\"\n");
            alias.toFile().setExecutable(true, false);
        }
    }

    private static String shellQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /** The node every workload of the embedded cluster runs on, without the virtual-node taint. */
    static LocalCluster.Addon localNode(ControlPlane plane) throws Exception {
        KubernetesClient client = KubeClients.create(Config.fromKubeconfig(plane.kubeconfigYaml()), 0, 0);
        Path pods = plane.stateDir().getParent().resolve("nodes").resolve(LOCAL_NODE);
        ProcessProvider provider = new ProcessProvider(ProcessProvider.Settings.detect(pods)
                .withTools(installTools(pods.resolve("tools"))));
        var ca = plane.certificateAuthority();
        VirtualNode node = VirtualNode.start(client, VirtualNode.Config.defaults(LOCAL_NODE, provider,
                ServingCertificate.issuedBy(ca, LOCAL_NODE, "127.0.0.1"), ca.certificate(), null), new Metrics().registry());
        String detail = "process provider, kubelet API on 127.0.0.1:" + node.kubeletPort()
                + (provider.settings().bubblewrap() ? ", bubblewrap sandboxes" : ", no sandbox (bwrap missing)");
        return new LocalCluster.Addon() {
            @Override
            public String name() {
                return "node/" + LOCAL_NODE;
            }

            @Override
            public String detail() {
                return detail;
            }

            @Override
            public void close() {
                node.close();
                client.close();
            }
        };
    }
}
