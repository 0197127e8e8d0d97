package io.capstan.runtime.webhook;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.http.HttpServer;
import io.capstan.runtime.http.Router;
import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperationsBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves admission webhooks over HTTPS and registers them with the API server: a ValidatingWebhookConfiguration and,
 * when there are mutating hooks, a MutatingWebhookConfiguration of the same name, whose caBundle is the CA that issued
 * the serving certificate, so no external certificate manager is needed.
 */
public final class AdmissionWebhooks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdmissionWebhooks.class);

    /** One webhook: which requests it sees, where it is served, and what it does — validate or mutate, not both. */
    public record Hook(String name, String path, String apiGroup, String apiVersion, String resource,
            List<String> operations, AdmissionReviews.Validator validator, AdmissionReviews.Mutator mutator) {

        public Hook {
            if ((validator == null) == (mutator == null)) {
                throw new IllegalArgumentException("webhook " + name + " must either validate or mutate");
            }
        }

        public static Hook validating(String name, String path, String apiGroup, String apiVersion, String resource,
                List<String> operations, AdmissionReviews.Validator validator) {
            return new Hook(name, path, apiGroup, apiVersion, resource, operations, validator, null);
        }

        /** Mutating hooks run before every validating one, so validation sees what they set. */
        public static Hook mutating(String name, String path, String apiGroup, String apiVersion, String resource,
                List<String> operations, AdmissionReviews.Mutator mutator) {
            return new Hook(name, path, apiGroup, apiVersion, resource, operations, null, mutator);
        }
    }

    /** How the API server reaches the webhook server: a URL host (e.g. 127.0.0.1) or a Service. */
    public sealed interface Endpoint {
        /** The names the serving certificate must carry. */
        List<String> dnsNames();

        List<String> ipAddresses();
    }

    /** The API server calls {@code https://host:port/...} directly (the embedded cluster, or a host network). */
    public record UrlEndpoint(String host, int port) implements Endpoint {
        @Override
        public List<String> dnsNames() {
            return isIp(host) ? List.of() : List.of(host);
        }

        @Override
        public List<String> ipAddresses() {
            return isIp(host) ? List.of(host) : List.of();
        }

        private static boolean isIp(String host) {
            return host.matches("[0-9.]+") || host.contains(":");
        }
    }

    /** The API server calls a Service in front of the operator's pods. */
    public record ServiceEndpoint(String namespace, String name, int port) implements Endpoint {
        @Override
        public List<String> dnsNames() {
            return List.of(name + "." + namespace + ".svc", name + "." + namespace + ".svc.cluster.local");
        }

        @Override
        public List<String> ipAddresses() {
            return List.of();
        }
    }

    /**
     * @param configuration name of the ValidatingWebhookConfiguration
     * @param namespaceLabels only namespaces with these labels are validated (empty: all)
     * @param failurePolicy {@code Ignore} or {@code Fail}: what the API server does when the webhook cannot answer
     * @param removeOnClose delete the configuration when closing (a server that goes away for good)
     */
    public record Settings(String configuration, InetSocketAddress bind, Endpoint endpoint, Map<String, String> namespaceLabels,
            String failurePolicy, boolean removeOnClose) {
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final HttpServer server;

    private AdmissionWebhooks(KubernetesClient client, Settings settings, HttpServer server) {
        this.client = client;
        this.settings = settings;
        this.server = server;
    }

    /** Starts the HTTPS server with a certificate from {@code ca} and registers the hooks. */
    public static AdmissionWebhooks start(KubernetesClient client, Settings settings, CertificateAuthority ca,
            List<Hook> hooks) throws IOException {
        KeyPairCertificate serving = ca.issueServer("capstan-webhook", settings.endpoint().dnsNames(),
                settings.endpoint().ipAddresses());
        var context = serving.serverContext(null, ClientAuth.NONE);
        Router router = new Router();
        for (Hook hook : hooks) {
            router.post(hook.path(), hook.validator() != null ? AdmissionReviews.handler(hook.validator())
                    : AdmissionReviews.mutatingHandler(hook.mutator()));
        }
        HttpServer server = HttpServer.startTls(settings.bind(), router, () -> context);
        AdmissionWebhooks webhooks = new AdmissionWebhooks(client, settings, server);
        try {
            webhooks.register(hooks, KeyPairCertificate.pem(ca.certificate()));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return webhooks;
    }

    public int port() {
        return server.port();
    }

    private void register(List<Hook> hooks, String caPem) {
        byte[] caBundle = caPem.getBytes(StandardCharsets.UTF_8);
        List<ValidatingWebhook> validating = new ArrayList<>();
        List<MutatingWebhook> mutating = new ArrayList<>();
        for (Hook hook : hooks) {
            RuleWithOperations rule = new RuleWithOperationsBuilder().withApiGroups(hook.apiGroup())
                    .withApiVersions(hook.apiVersion()).withResources(hook.resource()).withOperations(hook.operations())
                    // Each hook names its resource, namespaced (AppWrappers) or not (ClusterQueues); the namespace
                    // selector below applies to the former only, as the API server does.
                    .withScope("*").build();
            if (hook.validator() != null) {
                validating.add(new ValidatingWebhookBuilder().withName(hook.name())
                        .withClientConfig(clientConfig(hook.path(), caBundle)).withRules(rule)
                        .withNamespaceSelector(namespaceSelector())
                        .withFailurePolicy(settings.failurePolicy()).withSideEffects("None")
                        .withAdmissionReviewVersions("v1").withTimeoutSeconds(5).build());
            } else {
                mutating.add(new MutatingWebhookBuilder().withName(hook.name())
                        .withClientConfig(clientConfig(hook.path(), caBundle)).withRules(rule)
                        .withNamespaceSelector(namespaceSelector())
                        .withFailurePolicy(settings.failurePolicy()).withSideEffects("None")
                        .withReinvocationPolicy("Never").withAdmissionReviewVersions("v1").withTimeoutSeconds(5)
                        .build());
            }
        }
        // Mutating first: the API server calls mutating webhooks before validating ones, so none is missed between.
        if (!mutating.isEmpty()) {
            upsert(client.admissionRegistration().v1().mutatingWebhookConfigurations(),
                    new MutatingWebhookConfigurationBuilder().withNewMetadata().withName(settings.configuration())
                            .addToLabels("app.kubernetes.io/part-of", "capstan").endMetadata().withWebhooks(mutating)
                            .build(), existing -> existing.setWebhooks(mutating), "mutating");
        }
        upsert(client.admissionRegistration().v1().validatingWebhookConfigurations(),
                new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName(settings.configuration())
                        .addToLabels("app.kubernetes.io/part-of", "capstan").endMetadata().withWebhooks(validating)
                        .build(), existing -> existing.setWebhooks(validating), "validating");
    }

    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void upsert(
            io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<T, ?, ? extends io.fabric8.kubernetes.client.dsl.Resource<T>> configurations,
            T wanted, java.util.function.Consumer<T> update, String kind) {
        for (int attempt = 0; ; attempt++) {
            T existing = configurations.withName(settings.configuration()).get();
            try {
                if (existing == null) {
                    configurations.resource(wanted).create();
                } else {
                    update.accept(existing);
                    configurations.resource(existing).update();
                }
                log.info("Registered {} webhooks {} ({})", kind, settings.configuration(), describe(settings.endpoint()));
                return;
            } catch (KubernetesClientException e) {
                if ((e.getCode() != 409) || attempt >= 5) {
                    throw new IllegalStateException("cannot register the " + kind + " webhooks "
                            + settings.configuration() + ": " + ApiErrors.describe(e) + " (the operator needs permission "
                            + "to create and update " + kind + "webhookconfigurations)", e);
                }
            }
        }
    }

    private WebhookClientConfig clientConfig(String path, byte[] caBundle) {
        WebhookClientConfigBuilder config = new WebhookClientConfigBuilder()
                .withCaBundle(Base64.getEncoder().encodeToString(caBundle));
        if (settings.endpoint() instanceof UrlEndpoint url) {
            String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
            config.withUrl("https://" + host + ":" + (url.port() == 0 ? server.port() : url.port()) + path);
        } else if (settings.endpoint() instanceof ServiceEndpoint service) {
            config.withNewService().withNamespace(service.namespace()).withName(service.name()).withPath(path)
                    .withPort(service.port()).endService();
        }
        return config.build();
    }

    private LabelSelector namespaceSelector() {
        return new LabelSelectorBuilder().withMatchLabels(settings.namespaceLabels()).build();
    }

    private String describe(Endpoint endpoint) {
        return switch (endpoint) {
            case UrlEndpoint url -> "https://" + url.host() + ":" + (url.port() == 0 ? server.port() : url.port());
            case ServiceEndpoint service -> "service " + service.namespace() + "/" + service.name() + ":" + service.port();
        };
    }

    @Override
    public void close() {
        server.close();
        if (settings.removeOnClose()) {
            try {
                client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(settings.configuration())
                        .delete();
                client.admissionRegistration().v1().validatingWebhookConfigurations().withName(settings.configuration())
                        .delete();
            } catch (KubernetesClientException e) {
                log.warn("Could not remove the webhooks {}: {}", settings.configuration(), ApiErrors.describe(e));
            }
        }
    }
}
