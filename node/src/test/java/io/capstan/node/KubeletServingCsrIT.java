package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.capstan.runtime.tls.KeyPairCertificate;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The serving certificate from the cluster's kubelet-serving signer: the embedded API server verifies kubelets
 * against the cluster CA, so only a certificate the cluster signed lets it reach the node.
 */
@EmbeddedCluster
class KubeletServingCsrIT {

    private NodeFixture fixture;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) {
        fixture = new NodeFixture(cluster, namespace);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** Starts a request and returns its future, once the request exists under the name it reported. */
    private CompletableFuture<KeyPairCertificate> request(String node, AtomicReference<String> name) {
        CompletableFuture<KeyPairCertificate> certificate = CompletableFuture.supplyAsync(() -> {
            try {
                return KubeletServingCsr.request(fixture.client, node, "127.0.0.1", Duration.ofMinutes(1),
                        message -> name.set(message.replaceAll(".*CertificateSigningRequest (\\S+) .*", "$1")));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        await().atMost(NodeFixture.waitLimit()).until(() -> name.get() != null);
        return certificate;
    }

    @Test
    void anApprovedRequestGivesACertificateTheApiServerTrusts() throws Exception {
        String node = fixture.nodeName("csr");
        AtomicReference<String> name = new AtomicReference<>();
        CompletableFuture<KeyPairCertificate> pending = request(node, name);

        fixture.client.certificates().v1().certificateSigningRequests().withName(name.get()).approve();
        KeyPairCertificate certificate = pending.get();

        var ca = fixture.cluster.controlPlane().certificateAuthority().certificate();
        certificate.certificate().verify(ca.getPublicKey());
        assertThat(certificate.certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=system:node:" + node + ",O=system:nodes");
        assertThat(certificate.certificate().getSubjectAlternativeNames()).extracting(entry -> String.valueOf(entry.get(1)))
                .contains(node, "127.0.0.1");
        fixture.start(fixture.mock(), node, config -> config.withServingCertificate(certificate));
        assertThat(fixture.client.raw("/api/v1/nodes/" + node + "/proxy/pods")).contains("\"kind\":\"PodList\"");
    }

    @Test
    void aSelfSignedNodeIsRefusedUntilItServesACertificateTheClusterSigned() throws Exception {
        String node = fixture.nodeName("self-signed");
        VirtualNode running = fixture.start(fixture.mock(), node, config -> config.withServingCertificate(
                ServingCertificate.selfSigned(node, "127.0.0.1")));

        assertThatThrownBy(() -> fixture.client.raw("/api/v1/nodes/" + node + "/proxy/pods"))
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("x509");

        // What a renewal does: the running node takes the new certificate for its next connections.
        AtomicReference<String> name = new AtomicReference<>();
        CompletableFuture<KeyPairCertificate> pending = request(node, name);
        fixture.client.certificates().v1().certificateSigningRequests().withName(name.get()).approve();
        running.replaceServingCertificate(pending.get());
        assertThat(fixture.client.raw("/api/v1/nodes/" + node + "/proxy/pods")).contains("\"kind\":\"PodList\"");
    }

    @Test
    void aDeniedRequestFailsWithTheApproversReason() {
        String node = fixture.nodeName("denied");
        AtomicReference<String> name = new AtomicReference<>();
        CompletableFuture<KeyPairCertificate> pending = request(node, name);

        fixture.client.certificates().v1().certificateSigningRequests().withName(name.get()).deny(
                new CertificateSigningRequestConditionBuilder().withType("Denied").withStatus("True")
                        .withReason("NotOurNode").withMessage("no such machine").build());

        assertThatThrownBy(pending::join).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining(name.get() + " was denied (NotOurNode: no such machine)")
                .hasMessageContaining("--tls-cert-file");
    }
}
