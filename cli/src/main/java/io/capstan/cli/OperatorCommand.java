package io.capstan.cli;

import io.capstan.runtime.Manager;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.leader.LeaderElection;
import io.capstan.runtime.operator.Operator;
import io.capstan.runtime.operator.OperatorModule;
import io.capstan.runtime.operator.OperatorModules;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.capstan.runtime.webhook.WebhookAuthority;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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

    @Option(names = "--enable", split = ",", paramLabel = "MODULE",
            description = "Run only these modules (default: all of them: ${COMPLETION-CANDIDATES}).",
            completionCandidates = ModuleNames.class)
    Set<String> enable = new TreeSet<>();

    @Option(names = "--disable", split = ",", paramLabel = "MODULE", description = "Do not run these modules.")
    Set<String> disable = new TreeSet<>();

    @Option(names = "--config", paramLabel = "MODULE=FILE",
            description = "A module's configuration file, in its peer's own format: framework=frameworkcontroller.yaml "
                    + "(its client settings apply unless the flags above set them), lambda=FILE (Metacontroller's flags "
                    + "as keys), queue=FILE (a Kueue Configuration), appwrapper=FILE (AppWrapper's operator-config).")
    Map<String, Path> configs = new TreeMap<>();

    @Option(names = "--install-crds", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Create or update the modules' CRDs at start, as FrameworkController does (default true).")
    boolean installCrds;

    @Option(names = "--webhook-service", paramLabel = "NS/NAME",
            description = "Serve the modules' admission webhooks behind this Service (port 443 to --webhook-bind-address); "
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
            description = "Ignore (default: while no operator answers, objects are admitted and the controllers report "
                    + "problems as Warning Events) or Fail (reject writes while no operator answers).")
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
        List<OperatorModule> modules = OperatorModules.select(OperatorModules.discover(), enable, disable, configs);
        OperatorModule.ClientPreferences preferred = clientPreferences(modules);
        Config config = KubeClients.loadConfig(kubeconfig != null ? kubeconfig : preferred.kubeconfig());
        if (preferred.apiServer() != null) {
            config.setMasterUrl(preferred.apiServer());
        }
        KubeClients.verifyReachable(config, Duration.ofSeconds(10));
        double effectiveQps = qps > 0 ? qps : preferred.qps() == null ? 0 : preferred.qps();
        int effectiveBurst = burst > 0 ? burst : preferred.burst() != null ? preferred.burst() : (int) Math.ceil(effectiveQps);
        KubernetesClient client = KubeClients.create(config, effectiveQps, effectiveBurst);
        log.info("Capstan operator starting against {} (namespace scope: {}) with {}", config.getMasterUrl(),
                namespace == null ? "all" : namespace,
                modules.stream().map(m -> m.name() + ": " + m.description()).collect(Collectors.joining("; ")));
        Operator operator = Operator.start(client, modules, new Operator.Settings(new Manager.Settings(namespace,
                address(metricsAddress), address(healthAddress), leaderElection(), Duration.ofMinutes(2)), installCrds,
                webhooks(client)));
        Runtime.getRuntime().addShutdownHook(new Thread(operator::close, "capstan-operator-stop"));
        operator.awaitStopped();
        return 0;
    }

    /** What the modules' configuration files ask of the client; the first module that names a setting wins. */
    private static OperatorModule.ClientPreferences clientPreferences(List<OperatorModule> modules) {
        OperatorModule.ClientPreferences merged = OperatorModule.ClientPreferences.NONE;
        for (OperatorModule module : modules) {
            var p = module.clientPreferences();
            merged = new OperatorModule.ClientPreferences(
                    merged.kubeconfig() != null ? merged.kubeconfig() : p.kubeconfig(),
                    merged.apiServer() != null ? merged.apiServer() : p.apiServer(),
                    merged.qps() != null ? merged.qps() : p.qps(),
                    merged.burst() != null ? merged.burst() : p.burst());
        }
        return merged;
    }

    /** Where the admission webhooks are served, when an endpoint the API server can reach was given. */
    private Operator.Webhooks webhooks(KubernetesClient client) {
        if (!webhookFailurePolicy.equals("Ignore") && !webhookFailurePolicy.equals("Fail")) {
            throw new IllegalArgumentException("--webhook-failure-policy must be Ignore or Fail, not " + webhookFailurePolicy);
        }
        InetSocketAddress bind = address(webhookAddress);
        if (webhookService == null && webhookHost == null) {
            log.info("Admission webhooks off (enable them with --webhook-service or --webhook-host)");
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
            return new Operator.Webhooks(bind, new AdmissionWebhooks.ServiceEndpoint(parts[0], parts[1], 443),
                    WebhookAuthority.shared(client, parts[0], "capstan-webhook-ca"), webhookFailurePolicy, Map.of(),
                    Operator.WEBHOOK_CONFIGURATION, false);
        }
        return new Operator.Webhooks(bind, new AdmissionWebhooks.UrlEndpoint(webhookHost, bind.getPort()),
                WebhookAuthority.ephemeral(), webhookFailurePolicy, Map.of(), Operator.WEBHOOK_CONFIGURATION, true);
    }

    /** The names of the modules on the class path, for the help text. */
    static final class ModuleNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return OperatorModules.discover().stream().map(OperatorModule::name).iterator();
        }
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
