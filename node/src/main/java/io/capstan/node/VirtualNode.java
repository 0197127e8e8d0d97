package io.capstan.node;

import io.capstan.node.api.NodeContext;
import io.capstan.node.api.NodeProvider;
import io.capstan.node.api.Provider;
import io.capstan.node.env.EnvironmentResolver;
import io.capstan.node.kubelet.KubeletAuth;
import io.capstan.node.kubelet.KubeletServer;
import io.capstan.node.node.NodeController;
import io.capstan.node.pod.NodeInformers;
import io.capstan.node.pod.PodController;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtual node: a Node object, its Lease, the pods bound to it driven through a {@link Provider}, and the kubelet
 * HTTPS API the API server uses for logs, exec, attach and port-forward. Start-up follows Virtual Kubelet's order:
 * HTTPS server, informers, pod controller, node registration, then the node is marked Ready. Stopping leaves the
 * Node and its pods in place (they are not the agent's to delete).
 */
public final class VirtualNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VirtualNode.class);

    /**
     * @param taint null for no taint
     * @param address the node's InternalIP: where the API server reaches the kubelet API
     * @param kubeletPort 0 for a free port
     * @param servingCertificate the kubelet API's certificate
     * @param clientCa CA that signs the API server's kubelet client certificate; null accepts no certificates
     * @param clientAuth whether TLS requires a client certificate (bearer tokens then cannot be used)
     * @param authentication true for TokenReview/SubjectAccessReview, false to allow everyone
     */
    public record Config(String nodeName, Provider provider, Taint taint, String address, int kubeletPort,
            KeyPairCertificate servingCertificate, X509Certificate clientCa, ClientAuth clientAuth,
            boolean authentication, PodController.Settings pods, NodeController.Settings node, Duration startupTimeout,
            Map<String, String> labels) {

        /** Defaults for a node on this host: 127.0.0.1, free port, Capstan's taint, webhook authentication. */
        public static Config defaults(String nodeName, Provider provider, KeyPairCertificate servingCertificate,
                X509Certificate clientCa, Taint taint) {
            return new Config(nodeName, provider, taint, "127.0.0.1", 0, servingCertificate, clientCa, ClientAuth.OPTIONAL,
                    true, PodController.Settings.defaults(nodeName), NodeController.Settings.defaults(),
                    Duration.ofMinutes(2), Map.of());
        }

        public Config withPods(PodController.Settings settings) {
            return new Config(nodeName, provider, taint, address, kubeletPort, servingCertificate, clientCa, clientAuth,
                    authentication, settings, node, startupTimeout, labels);
        }

        public Config withNode(NodeController.Settings settings) {
            return new Config(nodeName, provider, taint, address, kubeletPort, servingCertificate, clientCa, clientAuth,
                    authentication, pods, settings, startupTimeout, labels);
        }

        public Config withKubeletPort(int port) {
            return new Config(nodeName, provider, taint, address, port, servingCertificate, clientCa, clientAuth,
                    authentication, pods, node, startupTimeout, labels);
        }

        public Config withAuthentication(boolean enabled, ClientAuth mode) {
            return new Config(nodeName, provider, taint, address, kubeletPort, servingCertificate, clientCa, mode,
                    enabled, pods, node, startupTimeout, labels);
        }

        public Config withServingCertificate(KeyPairCertificate certificate) {
            return new Config(nodeName, provider, taint, address, kubeletPort, certificate, clientCa, clientAuth,
                    authentication, pods, node, startupTimeout, labels);
        }

        public Config withLabels(Map<String, String> extra) {
            return new Config(nodeName, provider, taint, address, kubeletPort, servingCertificate, clientCa, clientAuth,
                    authentication, pods, node, startupTimeout, extra);
        }
    }

    private final Config config;
    private final KubernetesClient client;
    private final Informers informers;
    private final EventRecorder events;
    private final KubeletServer kubelet;
    private final NodeInformers caches;
    private final PodController pods;
    private final NodeController node;
    private volatile SslContext tls;
    private boolean closed;

    private VirtualNode(KubernetesClient client, Config config, MeterRegistry metrics) throws Exception {
        this.client = client;
        this.config = config;
        this.tls = config.servingCertificate().serverContext(config.clientCa(), config.clientAuth());
        KubeletAuth auth = config.authentication() ? KubeletAuth.webhook(client, config.nodeName()) : KubeletAuth.none();
        this.informers = new Informers(client, null);
        this.caches = new NodeInformers(informers, config.nodeName());
        this.kubelet = new KubeletServer(new InetSocketAddress(config.address(), config.kubeletPort()), () -> this.tls,
                config.provider(), caches::nodePods, auth, config.nodeName(), client.getKubernetesSerialization(),
                Duration.ofSeconds(30));
        this.events = new EventRecorder(client, config.nodeName() + "/pod-controller", config.nodeName(),
                config.pods().eventRate());
        Node desired = desiredNode(client, config, kubelet.port());
        NodeProvider nodeProvider = config.provider() instanceof NodeProvider np ? np : () -> {
        };
        this.node = new NodeController(client, nodeProvider, desired, config.node());
        this.pods = new PodController(client, config.provider(), caches, events, config.pods(),
                this::nodeFacts, metrics);
        events.yieldTo(pods::statusWritesWaiting, PodController.LONGEST_EVENT_YIELD);
    }

    /**
     * Starts the node and returns once it is registered, its pods are being driven and it is Ready.
     *
     * @throws io.capstan.node.node.NodeNameConflictException if another agent serves this node name
     */
    public static VirtualNode start(KubernetesClient client, Config config, MeterRegistry metrics) throws Exception {
        VirtualNode virtualNode = new VirtualNode(client, config, metrics);
        try {
            virtualNode.run();
            return virtualNode;
        } catch (Exception | Error e) {
            virtualNode.close();
            throw e;
        }
    }

    private void run() throws IOException, InterruptedException, TimeoutException {
        config.provider().start(new NodeContext(config.nodeName(), config.address(), client, caches, events,
                java.net.URI.create(client.getMasterUrl().toString())));
        pods.listenToProvider();
        informers.startAndSync(config.startupTimeout());
        node.register(config.startupTimeout());
        node.start();
        pods.start();
        node.updateDesired(current -> withCondition(current, "Ready", "True", "KubeletReady", "kubelet is ready"));
        log.info("Virtual node {} is ready (provider {}, kubelet API on {}:{})", config.nodeName(),
                config.provider().name(), config.address(), kubelet.port());
    }

    /** Serves a new certificate (e.g. a renewed one) on every connection from now on; open ones keep theirs. */
    public void replaceServingCertificate(KeyPairCertificate certificate) throws IOException {
        this.tls = certificate.serverContext(config.clientCa(), config.clientAuth());
        log.info("Virtual node {} now serves a certificate valid until {}", config.nodeName(),
                certificate.certificate().getNotAfter().toInstant());
    }

    static Node desiredNode(KubernetesClient client, Config config, int kubeletPort) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("type", "virtual-kubelet");
        labels.put("kubernetes.io/role", "agent");
        labels.put("kubernetes.io/hostname", config.nodeName());
        labels.put("kubernetes.io/os", "linux");
        labels.put("kubernetes.io/arch", "amd64");
        labels.put("beta.kubernetes.io/os", "linux");
        labels.put("beta.kubernetes.io/arch", "amd64");
        labels.put("node.kubernetes.io/exclude-from-external-load-balancers", "true");
        labels.putAll(config.labels());
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<NodeCondition> conditions = new ArrayList<>();
        conditions.add(condition("Ready", "False", "KubeletPending", "kubelet is starting", now));
        conditions.add(condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now));
        conditions.add(condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now));
        conditions.add(condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now));
        conditions.add(condition("NetworkUnavailable", "False", "RouteCreated", "host networking", now));
        String version = serverVersion(client);
        NodeBuilder builder = new NodeBuilder()
                .withNewMetadata().withName(config.nodeName()).withLabels(labels).endMetadata()
                .withNewSpec().withTaints(config.taint() == null ? List.of() : List.of(config.taint())).endSpec()
                .withNewStatus()
                .addNewAddress().withType("InternalIP").withAddress(config.address()).endAddress()
                .addNewAddress().withType("Hostname").withAddress(config.nodeName()).endAddress()
                .withNewDaemonEndpoints().withNewKubeletEndpoint().withPort(kubeletPort).endKubeletEndpoint().endDaemonEndpoints()
                .withNewNodeInfo().withKubeletVersion(version + "-capstan").withKubeProxyVersion("")
                .withOperatingSystem("linux").withArchitecture("amd64").withContainerRuntimeVersion("capstan://"
                        + config.provider().name()).withOsImage(System.getProperty("os.name") + " "
                        + System.getProperty("os.version")).withKernelVersion(System.getProperty("os.version"))
                .withMachineID("").withSystemUUID("").withBootID("").endNodeInfo()
                .withCapacity(Map.of("cpu", new Quantity("20"), "memory", new Quantity("100Gi"), "pods", new Quantity("110")))
                .withAllocatable(Map.of("cpu", new Quantity("20"), "memory", new Quantity("100Gi"), "pods", new Quantity("110")))
                .withConditions(conditions)
                .endStatus();
        Node node = builder.build();
        config.provider().configureNode(node);
        return node;
    }

    private static String serverVersion(KubernetesClient client) {
        try {
            return client.getKubernetesVersion().getGitVersion();
        } catch (RuntimeException e) {
            return "v0.0.0";
        }
    }

    static NodeCondition condition(String type, String status, String reason, String message, String now) {
        return new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastHeartbeatTime(now).withLastTransitionTime(now).build();
    }

    static Node withCondition(Node node, String type, String status, String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<NodeCondition> conditions = new ArrayList<>();
        boolean replaced = false;
        for (NodeCondition existing : node.getStatus().getConditions()) {
            if (existing.getType().equals(type)) {
                conditions.add(condition(type, status, reason, message,
                        existing.getStatus().equals(status) ? existing.getLastTransitionTime() : now));
                replaced = true;
            } else {
                conditions.add(existing);
            }
        }
        if (!replaced) {
            conditions.add(condition(type, status, reason, message, now));
        }
        return new NodeBuilder(node).editStatus().withConditions(conditions).endStatus().build();
    }

    private EnvironmentResolver.NodeFacts nodeFacts() {
        Node current = node.node();
        Map<String, Quantity> allocatable = current != null && current.getStatus() != null
                && current.getStatus().getAllocatable() != null ? current.getStatus().getAllocatable() : Map.of();
        return new EnvironmentResolver.NodeFacts(config.address(), allocatable);
    }

    public String name() {
        return config.nodeName();
    }

    public int kubeletPort() {
        return kubelet.port();
    }

    public Provider provider() {
        return config.provider();
    }

    /** The pods bound to this node, as its cache currently sees them. */
    public List<io.fabric8.kubernetes.api.model.Pod> cachedPods() {
        return caches.nodePods();
    }

    /** Pod keys queued or in flight plus Events not written yet: zero when the node has caught up. */
    public int pendingWork() {
        return pods.queueLengths().values().stream().mapToInt(Integer::intValue).sum() + events.backlog();
    }

    public PodController podController() {
        return pods;
    }

    public NodeController nodeController() {
        return node;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pods != null) {
            pods.close();
        }
        config.provider().shutdown();
        if (node != null) {
            node.close();
        }
        if (kubelet != null) {
            kubelet.close();
        }
        if (events != null) {
            events.close();
        }
        if (informers != null) {
            informers.close();
        }
        log.info("Virtual node {} stopped (its Node and pods are left in place)", config.nodeName());
    }
}
