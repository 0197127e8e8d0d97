package io.capstan.runtime.operator;

import io.capstan.runtime.Manager;
import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capstan's controllers in one process: the enabled {@link OperatorModule}s assembled onto one {@link Manager} (one
 * client, shared informers, one metrics registry, leader election) and one admission webhook server for all their
 * hooks. Start-up order: the CRDs, the webhooks (they validate on every replica, leader or not), then the manager,
 * whose controllers run once the informers have synced and, with election, this replica leads.
 */
public final class Operator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Operator.class);
    /** The Validating- and MutatingWebhookConfiguration that hold every module's hooks. */
    public static final String WEBHOOK_CONFIGURATION = "capstan";

    /**
     * @param manager the manager's scope, endpoints, election and sync timeout
     * @param installCrds create or update each module's CRDs at start, as FrameworkController and Metacontroller do
     * @param webhooks where and how to serve the admission hooks, or null for none
     */
    public record Settings(Manager.Settings manager, boolean installCrds, Webhooks webhooks) {
    }

    /**
     * @param bind where the HTTPS server listens (port 0: any free one)
     * @param endpoint how the API server reaches it
     * @param authority the CA that issues the serving certificate and goes into the caBundle
     * @param failurePolicy {@code Ignore} or {@code Fail}
     * @param namespaceLabels only namespaces with these labels are validated (empty: all)
     * @param configuration the name of the Validating- and MutatingWebhookConfiguration
     * @param removeOnClose delete the configuration on close (an operator that goes away for good)
     */
    public record Webhooks(InetSocketAddress bind, AdmissionWebhooks.Endpoint endpoint, CertificateAuthority authority,
            String failurePolicy, Map<String, String> namespaceLabels, String configuration, boolean removeOnClose) {
        public Webhooks {
            if (!"Ignore".equals(failurePolicy) && !"Fail".equals(failurePolicy)) {
                throw new IllegalArgumentException("the webhook failure policy must be Ignore or Fail, not " + failurePolicy);
            }
            Objects.requireNonNull(bind, "bind");
            Objects.requireNonNull(endpoint, "endpoint");
        }
    }

    private final List<OperatorModule> modules;
    private final Manager manager;
    private final AdmissionWebhooks webhooks;

    private Operator(List<OperatorModule> modules, Manager manager, AdmissionWebhooks webhooks) {
        this.modules = modules;
        this.manager = manager;
        this.webhooks = webhooks;
    }

    /**
     * Installs the modules' CRDs, serves their webhooks and starts their controllers. The operator owns the client
     * from here on and closes it on {@link #close()}.
     */
    public static Operator start(KubernetesClient client, List<OperatorModule> modules, Settings settings) throws Exception {
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("an operator needs at least one module");
        }
        AdmissionWebhooks webhooks = null;
        Manager manager = null;
        try {
            modules = modules.stream().filter(module -> {
                String reason = module.standsAside(client);
                if (reason != null) {
                    log.info("The {} module stands aside: {}", module.name(), reason);
                }
                return reason == null;
            }).toList();
            if (modules.isEmpty()) {
                throw new IllegalStateException("every module stands aside; nothing to run");
            }
            if (settings.installCrds()) {
                for (OperatorModule module : modules) {
                    for (var crd : module.crds()) {
                        Crds.ensure(client, crd, Duration.ofMillis(200), module.crdEstablishTimeout());
                    }
                }
            }
            webhooks = startWebhooks(client, modules, settings.webhooks());
            manager = new Manager(client, settings.manager());
            manager.closeOnStop(client);
            for (OperatorModule module : modules) {
                module.addTo(manager);
            }
            manager.start();
            log.info("Operator started with {}", modules.stream().map(OperatorModule::name).collect(Collectors.joining(", ")));
            return new Operator(List.copyOf(modules), manager, webhooks);
        } catch (Exception | Error e) {
            if (webhooks != null) {
                webhooks.close();
            }
            if (manager != null) {
                manager.close();
            } else {
                client.close();
            }
            throw e;
        }
    }

    private static AdmissionWebhooks startWebhooks(KubernetesClient client, List<OperatorModule> modules,
            Webhooks settings) throws java.io.IOException {
        List<AdmissionWebhooks.Hook> hooks = modules.stream().flatMap(module -> module.admissionHooks(client).stream()).toList();
        if (settings == null || hooks.isEmpty()) {
            return null;
        }
        return AdmissionWebhooks.start(client, new AdmissionWebhooks.Settings(settings.configuration(), settings.bind(),
                settings.endpoint(), settings.namespaceLabels(), settings.failurePolicy(), settings.removeOnClose()),
                settings.authority(), hooks);
    }

    /**
     * Every cluster-wide rule an operator running these modules needs: its own (CRDs, Events, the webhook
     * configuration) and each module's.
     */
    public static List<PolicyRule> clusterRules(List<OperatorModule> modules) {
        List<PolicyRule> rules = new ArrayList<>();
        rules.add(rule("apiextensions.k8s.io", List.of("customresourcedefinitions"),
                List.of("get", "list", "watch", "create", "update", "patch")));
        rules.add(rule("", List.of("events"), List.of("create", "patch", "update")));
        rules.add(rule("admissionregistration.k8s.io", List.of("validatingwebhookconfigurations",
                "mutatingwebhookconfigurations"),
                List.of("get", "list", "watch", "create", "update", "patch", "delete")));
        modules.forEach(module -> rules.addAll(module.clusterRules()));
        return rules;
    }

    /** One RBAC rule, for modules to list theirs briefly. */
    public static PolicyRule rule(String apiGroup, List<String> resources, List<String> verbs) {
        return new PolicyRuleBuilder().withApiGroups(apiGroup).withResources(resources).withVerbs(verbs).build();
    }

    public Manager manager() {
        return manager;
    }

    public List<OperatorModule> modules() {
        return modules;
    }

    /** The webhook server's port, or -1 when no webhook is served. */
    public int webhookPort() {
        return webhooks == null ? -1 : webhooks.port();
    }

    /** Blocks until {@link #close()} was called. */
    public void awaitStopped() throws InterruptedException {
        manager.awaitStopped();
    }

    /** Stops serving the webhooks, then the controllers, informers and the client. */
    @Override
    public void close() {
        if (webhooks != null) {
            webhooks.close();
        }
        manager.close();
    }
}
