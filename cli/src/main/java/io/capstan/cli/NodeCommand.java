package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import io.capstan.node.KubeletServingCsr;
import io.capstan.node.ServingCertificate;
import io.capstan.node.VirtualNode;
import io.capstan.node.api.Provider;
import io.capstan.node.node.VirtualNodeTaint;
import io.capstan.node.pod.PodController;
import io.capstan.node.provider.mock.MockProvider;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.metrics.Metrics;
import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.handler.ssl.ClientAuth;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true, header = "Run a virtual node agent (process or mock provider).",
        description = "Registers a Virtual-Kubelet-compatible node and runs the pods bound to it through a provider: "
                + "'process' runs containers as host processes, 'mock' scripts their outcome through annotations.")
final class NodeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

    @Option(names = "--provider", required = true, paramLabel = "NAME", description = "process or mock.")
    String provider;

    @Option(names = "--nodename", paramLabel = "NAME",
            description = "Node name (default: $DEFAULT_NODE_NAME, else virtual-kubelet).")
    String nodeName;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster).")
    Path kubeconfig;

    @Option(names = "--taint", paramLabel = "KEY[=VALUE]:EFFECT",
            description = "Taint of the node (default virtual-kubelet.io/provider=<provider>:NoSchedule, or $VKUBELET_TAINT_KEY/VALUE/EFFECT).")
    String taint;

    @Option(names = "--disable-taint", description = "Register the node without a taint.")
    boolean disableTaint;

    @Option(names = "--kubelet-port", paramLabel = "PORT",
            description = "Port of the kubelet HTTPS API (default: $KUBELET_PORT, else 10250; 0 picks a free one).")
    Integer kubeletPort;

    @Option(names = "--address", paramLabel = "IP",
            description = "Node InternalIP the API server dials (default: $VKUBELET_POD_IP, else 127.0.0.1).")
    String address;

    @Option(names = "--pod-sync-workers", defaultValue = "" + PodController.DEFAULT_WORKERS, paramLabel = "N",
            description = "Workers per pod queue (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--normal-events", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Record Normal Events such as ProviderCreateSuccess (default true, as Virtual Kubelet does); "
                    + "--no-normal-events saves one API write per pod on busy nodes.")
    boolean normalEvents;

    @Option(names = "--event-qps", defaultValue = "" + PodController.DEFAULT_EVENT_QPS, paramLabel = "N",
            description = "Events written per second at most, as the kubelet's --event-qps (default: ${DEFAULT-VALUE}; "
                    + "0 for no limit, as Virtual Kubelet). Events beyond it wait, so pod status writes go first.")
    double eventQps;

    @Option(names = "--event-burst", defaultValue = "" + PodController.DEFAULT_EVENT_BURST, paramLabel = "N",
            description = "Events that may be written at once above --event-qps (default: ${DEFAULT-VALUE}).")
    int eventBurst;

    @Option(names = "--authentication", defaultValue = "webhook", paramLabel = "MODE",
            description = "webhook (TokenReview + SubjectAccessReview, default) or none.")
    String authentication;

    @Option(names = "--client-auth", defaultValue = "request", paramLabel = "MODE",
            description = "request (client certificates optional, bearer tokens work; default) or require.")
    String clientAuth;

    @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "Serving certificate of the kubelet API.")
    Path certificateFile;

    @Option(names = "--tls-private-key-file", paramLabel = "FILE", description = "Key of the serving certificate.")
    Path keyFile;

    @Option(names = "--server-tls-bootstrap", description = "Request the serving certificate from the cluster, as the "
            + "kubelet's serverTLSBootstrap does: a CertificateSigningRequest for the kubernetes.io/kubelet-serving "
            + "signer, which an administrator approves (kubectl certificate approve).")
    boolean serverTlsBootstrap;

    @Option(names = "--client-ca-file", paramLabel = "FILE",
            description = "CA of client certificates (default: the cluster CA from the kubeconfig).")
    Path clientCaFile;

    @Option(names = "--pods-dir", paramLabel = "DIR",
            description = "Process provider: where pod sandboxes and logs live (default ~/.capstan/nodes/<node>).")
    Path podsDir;

    @Option(names = "--max-pods", defaultValue = "10000", paramLabel = "N", description = "Mock provider: pod capacity.")
    int maxPods;

    @Option(names = "--log-level", defaultValue = "info", paramLabel = "LEVEL", description = "error, warn, info, debug.")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Logging.setLevel(logLevel);
        EventRecorder.WriteRate eventRate = eventRate();
        Map<String, String> env = System.getenv();
        String name = nodeName != null ? nodeName : env.getOrDefault("DEFAULT_NODE_NAME", "virtual-kubelet");
        String ip = address != null ? address : env.getOrDefault("VKUBELET_POD_IP", "127.0.0.1");
        int port = kubeletPort != null ? kubeletPort : Integer.parseInt(env.getOrDefault("KUBELET_PORT", "10250"));
        Config config = KubeClients.loadConfig(kubeconfig);
        KubeClients.verifyReachable(config, Duration.ofSeconds(10));
        Provider chosen = switch (provider) {
            case "process" -> new ProcessProvider(ProcessProvider.Settings.detect(podsDir != null ? podsDir
                    : LocalCluster.atDefaultHome().home().resolve("nodes").resolve(name)));
            case "mock" -> new MockProvider(new MockProvider.Capacity(maxPods, "1000", "4Ti"), ip);
            default -> throw new IllegalArgumentException("provider \"" + provider + "\" not found; use process or mock");
        };
        Taint nodeTaint = disableTaint ? null : taint != null ? parseTaint(taint) : VirtualNodeTaint.forProvider(provider, env);
        X509Certificate clientCa = clientCa(config);
        KubernetesClient client = KubeClients.create(config, 0, 0);
        KeyPairCertificate serving = servingCertificate(client, config, name, ip);
        VirtualNode.Config nodeConfig = VirtualNode.Config.defaults(name, chosen, serving, clientCa, nodeTaint)
                .withKubeletPort(port)
                .withAuthentication(!authentication.equals("none"), clientAuth.equals("require") ? ClientAuth.REQUIRE
                        : ClientAuth.OPTIONAL)
                .withPods(PodController.Settings.defaults(name).withWorkers(workers).withNormalEvents(normalEvents)
                        .withEventRate(eventRate));
        Metrics metrics = new Metrics();
        VirtualNode node = VirtualNode.start(client, withAddress(nodeConfig, ip), metrics.registry());
        if (serverTlsBootstrap) {
            KubeletServingCsr.renewWhileRunning(client, node, serving, name, ip);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            client.close();
            stopped.countDown();
        }, "capstan-node-stop"));
        System.out.println("Node " + name + " is ready (provider " + provider + ", kubelet API on " + ip + ":"
                + node.kubeletPort() + "). Ctrl-C stops it; the Node object and its pods are left in place.");
        stopped.await();
        return 0;
    }

    private static VirtualNode.Config withAddress(VirtualNode.Config config, String ip) {
        return new VirtualNode.Config(config.nodeName(), config.provider(), config.taint(), ip, config.kubeletPort(),
                config.servingCertificate(), config.clientCa(), config.clientAuth(), config.authentication(), config.pods(),
                config.node(), config.startupTimeout(), config.labels());
    }

    /** The Event rate from --event-qps and --event-burst, refused before anything connects when they make no sense. */
    private EventRecorder.WriteRate eventRate() {
        try {
            return new EventRecorder.WriteRate(eventQps, eventBurst);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--event-qps " + eventQps + " --event-burst " + eventBurst + ": "
                    + e.getMessage());
        }
    }

    static Taint parseTaint(String value) {
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("taint '" + value + "' needs an effect, e.g. key=value:NoSchedule");
        }
        String keyValue = value.substring(0, colon);
        int equals = keyValue.indexOf('=');
        return VirtualNodeTaint.of(equals < 0 ? keyValue : keyValue.substring(0, equals),
                equals < 0 ? "" : keyValue.substring(equals + 1), value.substring(colon + 1));
    }

    /** The kubeconfig's cluster CA, which normally also signs the API server's kubelet client certificate. */
    private X509Certificate clientCa(Config config) throws Exception {
        byte[] pem = null;
        if (clientCaFile != null) {
            pem = Files.readAllBytes(clientCaFile);
        } else if (config.getCaCertData() != null) {
            pem = Base64.getDecoder().decode(config.getCaCertData());
        } else if (config.getCaCertFile() != null) {
            pem = Files.readAllBytes(Path.of(config.getCaCertFile()));
        }
        if (pem == null) {
            log.warn("No CA for client certificates (--client-ca-file); only bearer tokens can authenticate");
            return null;
        }
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem));
    }

    /**
     * Explicit files; else one the cluster signs when asked to (--server-tls-bootstrap); else, for the embedded
     * cluster, a certificate from its CA (its API server verifies kubelets); else a self-signed one, which API
     * servers without --kubelet-certificate-authority accept.
     */
    private KeyPairCertificate servingCertificate(KubernetesClient client, Config config, String name, String ip)
            throws Exception {
        if (certificateFile != null || keyFile != null) {
            if (certificateFile == null || keyFile == null) {
                throw new IllegalArgumentException("--tls-cert-file and --tls-private-key-file go together");
            }
            if (serverTlsBootstrap) {
                throw new IllegalArgumentException("--server-tls-bootstrap requests a certificate; it cannot be "
                        + "combined with --tls-cert-file");
            }
            return KeyPairCertificate.read(certificateFile, keyFile);
        }
        if (serverTlsBootstrap) {
            return KubeletServingCsr.request(client, name, ip, Duration.ofMinutes(15), log::info);
        }
        Path embedded = LocalCluster.atDefaultHome().stateDir().resolve("pki");
        if (Files.exists(embedded.resolve("ca.key")) && config.getCaCertData() != null) {
            X509Certificate clusterCa = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(Base64.getDecoder().decode(config.getCaCertData())));
            CertificateAuthority ca = CertificateAuthority.load(embedded.resolve("ca.crt"), embedded.resolve("ca.key"));
            if (ca.certificate().equals(clusterCa)) {
                return ServingCertificate.issuedBy(ca, name, ip);
            }
        }
        log.warn("Using a self-signed kubelet serving certificate; API servers that verify kubelets "
                + "(--kubelet-certificate-authority) will refuse logs and exec. Pass --tls-cert-file to avoid this.");
        return ServingCertificate.selfSigned(name, ip);
    }
}
