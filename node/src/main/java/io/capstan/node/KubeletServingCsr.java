package io.capstan.node;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kubelet serving certificate obtained as the kubelet obtains one with {@code serverTLSBootstrap}: a
 * CertificateSigningRequest for the signer {@code kubernetes.io/kubelet-serving} (subject {@code system:node:<name>}
 * in {@code system:nodes}, the node's name and address as subject alternative names), approved by an administrator
 * or an approver ({@code kubectl certificate approve}) and signed by the cluster's signer (kube-controller-manager).
 * API servers that verify kubelets against the cluster CA ({@code --kubelet-certificate-authority}) then accept the
 * node, where they refuse a self-signed certificate.
 */
public final class KubeletServingCsr {

    public static final String SIGNER = "kubernetes.io/kubelet-serving";
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RENEWAL_APPROVAL_TIMEOUT = Duration.ofHours(1);
    private static final Duration RENEWAL_RETRY = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(KubeletServingCsr.class);

    private KubeletServingCsr() {
    }

    /**
     * Requests the certificate and waits for it.
     *
     * @param progress told the request's name once, so whoever approves knows what to approve
     * @throws IllegalStateException when the request is denied or fails to be signed
     * @throws TimeoutException when it is not signed within {@code timeout}
     */
    public static KeyPairCertificate request(KubernetesClient client, String nodeName, String address, Duration timeout,
            Consumer<String> progress) throws InterruptedException, TimeoutException {
        KeyPair keys = CertificateAuthority.newKeyPair();
        String request = KeyPairCertificate.pem(certificationRequest(keys, nodeName, address));
        CertificateSigningRequest created = client.certificates().v1().certificateSigningRequests().resource(
                new CertificateSigningRequestBuilder().withNewMetadata().withGenerateName("capstan-node-" + nodeName + "-")
                        .endMetadata().withNewSpec()
                        .withRequest(Base64.getEncoder().encodeToString(request.getBytes(StandardCharsets.US_ASCII)))
                        .withSignerName(SIGNER).withUsages("digital signature", "key encipherment", "server auth")
                        .endSpec().build()).create();
        String name = created.getMetadata().getName();
        progress.accept("Requested the kubelet serving certificate: CertificateSigningRequest " + name
                + " waits for approval (kubectl certificate approve " + name + ")");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CertificateSigningRequest current = client.certificates().v1().certificateSigningRequests().withName(name).get();
            if (current == null) {
                throw new IllegalStateException("CertificateSigningRequest " + name + " was deleted before it was signed");
            }
            List<CertificateSigningRequestCondition> conditions = current.getStatus() == null ? List.of()
                    : current.getStatus().getConditions();
            for (CertificateSigningRequestCondition condition : conditions) {
                if ("Denied".equals(condition.getType()) || "Failed".equals(condition.getType())) {
                    throw new IllegalStateException("CertificateSigningRequest " + name + " was "
                            + condition.getType().toLowerCase(Locale.ROOT) + " (" + condition.getReason() + ": "
                            + condition.getMessage() + "); pass --tls-cert-file and --tls-private-key-file instead");
                }
            }
            String certificate = current.getStatus() == null ? null : current.getStatus().getCertificate();
            if (certificate != null && !certificate.isEmpty()) {
                return new KeyPairCertificate(decode(certificate, name), keys.getPrivate());
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("CertificateSigningRequest " + name + " was not approved and signed within "
                        + timeout.toSeconds() + " s; approve it (kubectl certificate approve " + name + ") or pass "
                        + "--tls-cert-file and --tls-private-key-file");
            }
            TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
        }
    }

    /** When to renew: once 80 % of the certificate's validity has passed (the kubelet picks 70–90 %). */
    static Instant renewalTime(X509Certificate certificate) {
        Instant from = certificate.getNotBefore().toInstant();
        Duration validity = Duration.between(from, certificate.getNotAfter().toInstant());
        return from.plus(validity.multipliedBy(8).dividedBy(10));
    }

    /**
     * Renews the node's serving certificate for as long as the node runs, as the kubelet's certificate manager does:
     * at each certificate's {@linkplain #renewalTime renewal time} a new request is sent and, once signed, served to
     * new connections. A renewal that is denied or not signed within an hour is logged and retried five minutes
     * later, the current certificate served meanwhile.
     *
     * @return the (virtual) thread doing it; interrupt it to stop
     */
    public static Thread renewWhileRunning(KubernetesClient client, VirtualNode node, KeyPairCertificate first,
            String nodeName, String address) {
        return Thread.ofVirtual().name("serving-certificate-" + nodeName).start(() -> {
            Instant next = renewalTime(first.certificate());
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Duration wait = Duration.between(Instant.now(), next);
                    if (!wait.isNegative()) {
                        Thread.sleep(wait);
                    }
                    KeyPairCertificate renewed = request(client, nodeName, address, RENEWAL_APPROVAL_TIMEOUT, log::info);
                    node.replaceServingCertificate(renewed);
                    next = renewalTime(renewed.certificate());
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    log.warn("Renewing the serving certificate of node {} failed ({}); retrying in {} min", nodeName,
                            ApiErrors.describe(e), RENEWAL_RETRY.toMinutes());
                    next = Instant.now().plus(RENEWAL_RETRY);
                }
            }
        });
    }

    static PKCS10CertificationRequest certificationRequest(KeyPair keys, String nodeName, String address) {
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, nodeName),
                    new GeneralName(GeneralName.iPAddress, InetAddress.getByName(address).getHostAddress())}));
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("O=system:nodes,CN=system:node:" + nodeName),
                    keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot build the certificate request for node " + nodeName + ": "
                    + e.getMessage(), e);
        }
    }

    /** The signed certificate from {@code status.certificate}: base64 of PEM; the first certificate is the node's. */
    private static X509Certificate decode(String certificate, String name) {
        try {
            byte[] pem = Base64.getDecoder().decode(certificate);
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("CertificateSigningRequest " + name + " carries a certificate that cannot "
                    + "be read: " + e.getMessage(), e);
        }
    }
}
