package io.capstan.cluster;

import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

/**
 * The certificates and keys of one embedded cluster, kept in {@code <state>/pki}: created on first start and
 * reused afterwards, so kubeconfigs and service-account tokens stay valid across restarts.
 */
final class Pki {

    static final List<String> API_SERVER_NAMES = List.of("localhost", "kubernetes", "kubernetes.default",
            "kubernetes.default.svc", "kubernetes.default.svc.cluster.local");
    static final List<String> API_SERVER_IPS = List.of("127.0.0.1", "10.0.0.1");

    private final Path dir;
    private final CertificateAuthority ca;

    private Pki(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    static Pki loadOrCreate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path caCert = dir.resolve("ca.crt");
        Path caKey = dir.resolve("ca.key");
        CertificateAuthority ca;
        if (Files.exists(caCert) && Files.exists(caKey)) {
            ca = CertificateAuthority.load(caCert, caKey);
        } else {
            ca = CertificateAuthority.create("capstan-ca");
            ca.write(caCert, caKey);
        }
        Pki pki = new Pki(dir, ca);
        pki.ensureServer("apiserver", "kube-apiserver", API_SERVER_NAMES, API_SERVER_IPS);
        pki.ensureServer("controller-manager", "kube-controller-manager", List.of("localhost"), List.of("127.0.0.1"));
        pki.ensureServer("scheduler", "kube-scheduler", List.of("localhost"), List.of("127.0.0.1"));
        pki.ensureClient("admin", "capstan-admin", List.of("system:masters"));
        pki.ensureClient("controller-manager-client", "system:kube-controller-manager", List.of());
        pki.ensureClient("scheduler-client", "system:kube-scheduler", List.of());
        pki.ensureClient("apiserver-kubelet-client", "kube-apiserver-kubelet-client", List.of("system:masters"));
        pki.ensureServiceAccountKeys();
        return pki;
    }

    CertificateAuthority ca() {
        return ca;
    }

    Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    Path caKey() {
        return dir.resolve("ca.key");
    }

    Path certificate(String name) {
        return dir.resolve(name + ".crt");
    }

    Path key(String name) {
        return dir.resolve(name + ".key");
    }

    KeyPairCertificate credentials(String name) throws IOException {
        return KeyPairCertificate.read(certificate(name), key(name));
    }

    Path serviceAccountKey() {
        return dir.resolve("sa.key");
    }

    Path serviceAccountPublicKey() {
        return dir.resolve("sa.pub");
    }

    private void ensureServer(String name, String commonName, List<String> dns, List<String> ips) throws IOException {
        if (!Files.exists(certificate(name))) {
            ca.issueServer(commonName, dns, ips).write(certificate(name), key(name));
        }
    }

    private void ensureClient(String name, String commonName, List<String> groups) throws IOException {
        if (!Files.exists(certificate(name))) {
            ca.issueClient(commonName, groups).write(certificate(name), key(name));
        }
    }

    private void ensureServiceAccountKeys() throws IOException {
        if (Files.exists(serviceAccountKey()) && Files.exists(serviceAccountPublicKey())) {
            return;
        }
        KeyPair keys = CertificateAuthority.newKeyPair();
        Files.writeString(serviceAccountPublicKey(), KeyPairCertificate.pem(keys.getPublic()));
        Files.writeString(serviceAccountKey(), KeyPairCertificate.privateKeyPem(keys.getPrivate()));
    }
}
