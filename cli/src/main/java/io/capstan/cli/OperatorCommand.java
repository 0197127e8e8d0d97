package io.capstan.cli;

import io.capstan.framework.admission.FrameworkWebhook;
import io.capstan.framework.api.FrameworkCrd;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.framework.controller.FrameworkController;
import io.capstan.runtime.Manager;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.leader.LeaderElection;
import io.capstan.runtime.webhook.ValidatingWebhooks;
import io.capstan.runtime.webhook.WebhookAuthority;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(header = "Run Capstan's controllers against any cluster.", name = "operator", mixinStandardHelpOptions = true,
        description = "Run Capstan's controllers against a cluster (kubeconfig or in-cluster service account).")
final class OperatorCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(OperatorCommand.class);

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).")
    Path kubeconfig;

    @Option(names = "--namespace", paramLabel = "NS", description = "Only watch this namespace (default: all).")
    String namespace;

    @Option(names = "--leader-elect", description = "Elect a leader on a Lease so only one replica reconciles.")
    boolean leaderElect;

    @Option(names = "--leader-election-namespace", paramLabel = "NS",
            description = "Namespace of the leader-election Lease (default: $POD_NAMESPACE, else 'default').")
    String leaderElectionNamespace;

    @Option(names = "--leader-election-id", paramLabel = "NAME", defaultValue = "capstan-operator",
            description = "Name of the leader-election Lease (default: ${DEFAULT-VALUE}).")
    String leaderElectionId;

    @Option(names = "--metrics-bind-address", paramLabel = "ADDR", defaultValue = ":8080",
            description = "Where /metrics is served, or 0 to disable (default: ${DEFAULT-VALUE}).")
    String metricsAddress;

    @Option(names = "--health-probe-bind-address", paramLabel = "ADDR", defaultValue = ":8080",
            description = "Where /healthz and /readyz are served, or 0 to disable (default: ${DEFAULT-VALUE}; "
                    + "the same address as metrics shares one server).")
    String healthAddress;

    @Option(names = "--kube-api-qps", paramLabel = "QPS", defaultValue = "0",
            description = "Client-side request rate limit; 0 means none (default), like controller-runtime.")
    double qps;

    @Option(names = "--kube-api-burst", paramLabel = "N", defaultValue = "0",
            description = "Client-side burst when --kube-api-qps is set (default: same as the QPS).")
    int burst;

    @Option(names = "--framework-config", paramLabel = "FILE",
            description = "FrameworkController configuration file (frameworkcontroller.yaml); default: the built-in one.")
    Path frameworkConfig;

    @Option(names = "--install-crds", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Create or update the Framework CRD at start, as FrameworkController does (default true).")
    boolean installCrds;

    @Option(names = "--webhook-service", paramLabel = "NS/NAME",
            description = "Serve the Framework admission webhook behind this Service (port 443 to --webhook-bind-address); "
                    + "replicas share a CA kept in the Secret capstan-webhook-ca of its namespace.")
    String webhookService;

    @Option(names = "--webhook-host", paramLabel = "HOST",
            description = "Serve the admission webhook and register it at https://HOST:PORT, for an operator outside the "
                    + "cluster that the API server can reach (e.g. 127.0.0.1 on the API server's machine).")
    String webhookHost;

    @Option(names = "--webhook-bind-address", paramLabel = "ADDR", defaultValue = ":9443",
            description = "Where the admission webhook listens when enabled (default: ${DEFAULT-VALUE}).")
    String webhookAddress;

    @Option(names = "--webhook-failure-policy", paramLabel = "POLICY", defaultValue = "Ignore",
            description = "Ignore (default: while no operator answers, Frameworks are admitted and the controller reports "
                    + "problems as Warning Events) or Fail (reject Framework writes while no operator answers).")
    String webhookFailurePolicy;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info (default), debug or trace.")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Logging.setLevel(logLevel);
        if (qps < 0 || burst < 0) {
            throw new IllegalArgumentException("--kube-api-qps and --kube-api-burst must not be negative");
        }
        FrameworkConfig frameworks = frameworkConfig != null ? FrameworkConfig.load(frameworkConfig) : FrameworkConfig.defaults();
        log.info("Framework configuration ({}):\n{}", frameworkConfig != null ? frameworkConfig : "built in",
                frameworks.describe());
        Path configured = kubeconfig != null ? kubeconfig
                : frameworks.kubeConfigFilePath != null && !frameworks.kubeConfigFilePath.isBlank()
                ? Path.of(frameworks.kubeConfigFilePath) : null;
        Config config = KubeClients.loadConfig(configured);
        if (frameworks.kubeApiServerAddress != null && !frameworks.kubeApiServerAddress.isBlank()) {
            config.setMasterUrl(frameworks.kubeApiServerAddress);
        }
        KubeClients.verifyReachable(config, Duration.ofSeconds(10));
        double effectiveQps = qps > 0 ? qps : frameworks.kubeClientQps == null ? 0 : frameworks.kubeClientQps;
        int effectiveBurst = burst > 0 ? burst : frameworks.kubeClientBurst != null ? frameworks.kubeClientBurst
                : (int) Math.ceil(effectiveQps);
        KubernetesClient client = KubeClients.create(config, effectiveQps, effectiveBurst);
        if (installCrds) {
            FrameworkCrd.ensure(client, Duration.ofSeconds(frameworks.crdEstablishedCheckIntervalSec),
                    Duration.ofSeconds(frameworks.crdEstablishedCheckTimeoutSec));
        }
        Manager manager = new Manager(client, new Manager.Settings(namespace, address(metricsAddress),
                address(healthAddress), leaderElection(), Duration.ofMinutes(2)));
        manager.closeOnStop(client);
        manager.add(new FrameworkController(client, manager.informers(), frameworks,
                manager.eventRecorder("framework-controller"), manager.metrics().registry(), Clock.systemUTC()));
        ValidatingWebhooks webhooks = startWebhooks(client);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (webhooks != null) {
                webhooks.close();
            }
            manager.close();
        }, "capstan-operator-stop"));
        log.info("Capstan operator starting against {} (namespace scope: {})", config.getMasterUrl(),
                namespace == null ? "all" : namespace);
        manager.start();
        manager.awaitStopped();
        return 0;
    }

    /** The admission webhook, when an endpoint the API server can reach was given. */
    private ValidatingWebhooks startWebhooks(KubernetesClient client) throws java.io.IOException {
        if (!webhookFailurePolicy.equals("Ignore") && !webhookFailurePolicy.equals("Fail")) {
            throw new IllegalArgumentException("--webhook-failure-policy must be Ignore or Fail, not " + webhookFailurePolicy);
        }
        InetSocketAddress bind = address(webhookAddress);
        if (webhookService == null && webhookHost == null) {
            log.info("Framework admission webhook off (enable it with --webhook-service or --webhook-host)");
            return null;
        }
        if (bind == null) {
            throw new IllegalArgumentException("--webhook-bind-address 0 disables the webhook server, but --webhook-service "
                    + "or --webhook-host asks for it");
        }
        if (webhookService != null) {
            String[] parts = webhookService.split("/");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new IllegalArgumentException("--webhook-service must be NAMESPACE/NAME, not " + webhookService);
            }
            var endpoint = new ValidatingWebhooks.ServiceEndpoint(parts[0], parts[1], 443);
            return ValidatingWebhooks.start(client, new ValidatingWebhooks.Settings("capstan-frameworks", bind, endpoint,
                    Map.of(), webhookFailurePolicy, false), WebhookAuthority.shared(client, parts[0], "capstan-webhook-ca"),
                    List.of(FrameworkWebhook.hook()));
        }
        var endpoint = new ValidatingWebhooks.UrlEndpoint(webhookHost, bind.getPort());
        return ValidatingWebhooks.start(client, new ValidatingWebhooks.Settings("capstan-frameworks", bind, endpoint, Map.of(),
                webhookFailurePolicy, true), WebhookAuthority.ephemeral(), List.of(FrameworkWebhook.hook()));
    }

    private LeaderElection.Settings leaderElection() {
        if (!leaderElect) {
            return null;
        }
        String leaseNamespace = leaderElectionNamespace != null ? leaderElectionNamespace
                : System.getenv().getOrDefault("POD_NAMESPACE", "default");
        String identity = System.getenv().getOrDefault("HOSTNAME", "capstan") + "_" + UUID.randomUUID();
        return LeaderElection.Settings.defaults(leaseNamespace, leaderElectionId, identity);
    }

    /** Parses controller-runtime style addresses: ":8080", "127.0.0.1:8080", or "0" to disable. */
    static InetSocketAddress address(String value) {
        if (value == null || value.equals("0") || value.isBlank()) {
            return null;
        }
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("bind address '" + value + "' needs a port, e.g. ':8080' or '127.0.0.1:8080'");
        }
        String host = value.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bind address '" + value + "' has no valid port");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
