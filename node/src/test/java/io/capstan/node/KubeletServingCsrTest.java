package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.runtime.tls.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class KubeletServingCsrTest {

    @Test
    void aCertificateIsRenewedOnceFourFifthsOfItsValidityHavePassed() {
        X509Certificate certificate = CertificateAuthority.create("test").issueServer("n", List.of("n"), List.of("127.0.0.1"))
                .certificate();
        Instant from = certificate.getNotBefore().toInstant();
        Duration validity = Duration.between(from, certificate.getNotAfter().toInstant());

        Instant renewal = KubeletServingCsr.renewalTime(certificate);

        assertThat(Duration.between(from, renewal).toSeconds()).isEqualTo(validity.toSeconds() * 8 / 10);
    }

    @Test
    void theRequestNamesTheNodeAsTheKubeletServingSignerRequires() {
        PKCS10CertificationRequest request = KubeletServingCsr.certificationRequest(CertificateAuthority.newKeyPair(),
                "edge-1", "10.0.0.7");

        assertThat(request.getSubject().toString()).isEqualTo("O=system:nodes,CN=system:node:edge-1");
        Extensions requested = Extensions.getInstance(request.getAttributes(
                PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0].getAttrValues().getObjectAt(0));
        assertThat(GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName).getNames())
                .extracting(GeneralName::toString).containsExactly("2: edge-1", "7: #0a000007");
    }
}
