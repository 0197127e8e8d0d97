package io.capstan.runtime.webhook;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The CA behind the webhook serving certificates. Replicas of the operator share one, kept in a Secret, so whichever
 * replica registers the webhook configuration last, every replica's certificate stays trusted.
 */
public final class WebhookAuthority {

    private static final String CERTIFICATE = "ca.crt";
    private static final String KEY = "ca.key";

    private WebhookAuthority() {
    }

    /** A CA of this process only (a single operator, e.g. in the embedded cluster). */
    public static CertificateAuthority ephemeral() {
        return CertificateAuthority.create("capstan-webhook-ca");
    }

    /** The CA stored in the Secret, created there first if absent (the first replica to get there wins). */
    public static CertificateAuthority shared(KubernetesClient client, String namespace, String secretName) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
            if (secret != null) {
                return read(secret);
            }
            CertificateAuthority ca = ephemeral();
            try {
                client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(secretName)
                        .addToLabels("app.kubernetes.io/part-of", "capstan").endMetadata()
                        .addToData(CERTIFICATE, base64(KeyPairCertificate.pem(ca.certificate())))
                        .addToData(KEY, base64(KeyPairCertificate.privateKeyPem(ca.key()))).build()).create();
                return ca;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw new IllegalStateException("cannot store the webhook CA in Secret " + namespace + "/" + secretName
                            + ": " + ApiErrors.describe(e), e);
                }
            }
        }
        throw new IllegalStateException("Secret " + namespace + "/" + secretName + " keeps changing; cannot read the webhook CA");
    }

    private static CertificateAuthority read(Secret secret) {
        try {
            Path dir = Files.createTempDirectory("capstan-webhook-ca");
            try {
                Path certificate = Files.writeString(dir.resolve(CERTIFICATE), decode(secret, CERTIFICATE));
                Path key = Files.writeString(dir.resolve(KEY), decode(secret, KEY));
                return CertificateAuthority.load(certificate, key);
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName()
                    + " does not hold a usable CA (" + e.getMessage() + "); delete it and the operator creates a new one", e);
        }
    }

    private static String decode(Secret secret, String key) {
        String value = secret.getData() == null ? null : secret.getData().get(key);
        if (value == null) {
            throw new IllegalStateException("it has no " + key);
        }
        return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
