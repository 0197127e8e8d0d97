package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capstan.node.provider.mock.MockProvider;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kubelet HTTPS API: authentication, authorization, error mapping, and what kubectl gets through it. */
@EmbeddedCluster
class KubeletApiIT {

    private NodeFixture fixture;
    private String name;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) {
        fixture = new NodeFixture(cluster, namespace);
        name = fixture.nodeName("api");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** A JDK client that trusts the cluster CA and, optionally, presents a client certificate. */
    private HttpClient direct(KeyPairCertificate clientCertificate) throws Exception {
        var ca = fixture.cluster.controlPlane().certificateAuthority().certificate();
        SSLContext context;
        if (clientCertificate != null) {
            context = clientCertificate.clientContext(ca);
        } else {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
        }
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static int status(HttpClient client, int port, String path, String token) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** A service account's token (Kubernetes 1.20 still creates a token Secret for every account). */
    private String serviceAccountToken(String account) {
        fixture.client.serviceAccounts().inNamespace(fixture.namespace.name()).resource(new ServiceAccountBuilder()
                .withNewMetadata().withName(account).endMetadata().build()).create();
        await().atMost(NodeFixture.waitLimit()).until(() -> !fixture.client.serviceAccounts()
                .inNamespace(fixture.namespace.name()).withName(account).get().getSecrets().isEmpty());
        String secretName = fixture.client.serviceAccounts().inNamespace(fixture.namespace.name()).withName(account).get()
                .getSecrets().getFirst().getName();
        Secret secret = fixture.client.secrets().inNamespace(fixture.namespace.name()).withName(secretName).get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    private void grant(String account, String subresource) {
        String role = "kubelet-" + subresource + "-" + fixture.namespace.name();
        fixture.client.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName(role).endMetadata()
                .addNewRule().withApiGroups("").withResources("nodes/" + subresource).withVerbs("get").endRule().build()).create();
        fixture.client.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(role)
                .endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
                .withName(role).endRoleRef().addNewSubject().withKind("ServiceAccount").withName(account)
                .withNamespace(fixture.namespace.name()).endSubject().build()).create();
    }

    @Test
    void callersAreAuthenticatedAndAuthorizedPerNodeSubresource() throws Exception {
        VirtualNode node = fixture.start(fixture.mock(), name);
        int port = node.kubeletPort();
        HttpClient anonymous = direct(null);

        assertThat(status(anonymous, port, "/pods", null)).as("no credentials").isEqualTo(401);
        assertThat(status(anonymous, port, "/pods", "not-a-token")).as("bad token").isEqualTo(401);

        String token = serviceAccountToken("reader");
        assertThat(status(anonymous, port, "/pods", token)).as("authenticated, not allowed").isEqualTo(403);

        grant("reader", "stats");
        await().atMost(NodeFixture.waitLimit()).until(() -> status(anonymous, port, "/stats/summary", token) == 200);
        assertThat(status(anonymous, port, "/metrics/resource", token)).as("needs nodes/metrics").isEqualTo(403);

        var admin = fixture.cluster.controlPlane().certificateAuthority().issueClient("capstan-test-admin",
                java.util.List.of("system:masters"));
        assertThat(status(direct(admin), port, "/pods", null)).as("client certificate").isEqualTo(200);
    }

    @Test
    void requiringClientCertificatesRejectsTokenOnlyClientsAtTheHandshake() throws Exception {
        VirtualNode node = fixture.start(fixture.mock(), name, config -> config.withAuthentication(true, ClientAuth.REQUIRE));

        assertThatThrownBy(() -> status(direct(null), node.kubeletPort(), "/pods", "any-token"))
                .isInstanceOf(IOException.class);
        var admin = fixture.cluster.controlPlane().certificateAuthority().issueClient("capstan-test-admin",
                java.util.List.of("system:masters"));
        assertThat(status(direct(admin), node.kubeletPort(), "/pods", null)).isEqualTo(200);
    }

    private int throughApiServer(String path) throws Exception {
        HttpRequest request = fixture.client.getHttpClient().newHttpRequestBuilder()
                .uri(fixture.client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/nodes/" + name + "/proxy" + path)
                .build();
        HttpResponse<String> response = fixture.client.getHttpClient().sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
        return response.code();
    }

    @Test
    void badRequestsUnknownPathsAndMissingHooksMapToHttpStatuses() throws Exception {
        fixture.start(new PollingProvider(fixture.mock()), name);
        fixture.create(fixture.pod("web", name, Map.of()));
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("web").getStatus().getPhase() != null
                && fixture.get("web").getStatus().getPhase().equals("Running"));
        String logs = "/containerLogs/" + fixture.namespace.name() + "/web/main";

        assertThat(throughApiServer(logs)).isEqualTo(200);
        assertThat(throughApiServer(logs + "?tailLines=-1")).isEqualTo(400);
        assertThat(throughApiServer(logs + "?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z")).isEqualTo(400);
        assertThat(throughApiServer(logs + "?limitBytes=0")).isEqualTo(400);
        assertThat(throughApiServer("/containerLogs/" + fixture.namespace.name() + "/no-such-pod/main")).isEqualTo(404);
        assertThat(throughApiServer("/no/such/path")).isEqualTo(404);
        assertThat(throughApiServer("/stats/summary")).as("hook the provider lacks").isEqualTo(501);
    }

    @Test
    void kubectlPortForwardAndAttachToAProviderWithoutThemFailClearly() throws Exception {
        MockProvider mock = fixture.mock();
        fixture.start(mock, name);
        fixture.create(fixture.pod("web", name, Map.of()));
        await().atMost(NodeFixture.waitLimit()).until(() -> "Running".equals(fixture.get("web").getStatus().getPhase()));

        NodeFixture.Result attach = fixture.kubectl("attach", "web", "-c", "main");

        assertThat(attach.exitCode()).isNotZero();
        assertThat(attach.err()).contains("does not support attach");
    }

    @Test
    void logOptionsReachTheProvider(TestCluster cluster) throws Exception {
        ProcessProvider provider = new ProcessProvider(ProcessProvider.Settings.detect(Files.createTempDirectory("pods-")));
        fixture.start(provider, name);
        Pod pod = new PodBuilder(fixture.pod("counter", name, Map.of())).editSpec().editFirstContainer()
                .withCommand("sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; sleep 3600").endContainer().endSpec().build();
        fixture.create(pod);
        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.kubectl("logs", "counter").out().contains("line-5"));

        assertThat(fixture.kubectl("logs", "counter", "--tail=2").out()).isEqualTo("line-4\nline-5\n");
        assertThat(fixture.kubectl("logs", "counter", "--limit-bytes=6").out()).isEqualTo("line-1");
        assertThat(fixture.kubectl("logs", "counter", "--since=1h").out()).startsWith("line-1\n");
        assertThat(fixture.kubectl("logs", "counter", "--timestamps", "--tail=1").out())
                .matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z line-5\n");
        NodeFixture.Result previous = fixture.kubectl("logs", "counter", "--previous");
        assertThat(previous.exitCode()).isNotZero();
        assertThat(previous.err()).contains("previous terminated container");
    }
}
