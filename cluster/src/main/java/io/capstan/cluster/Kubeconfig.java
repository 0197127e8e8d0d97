package io.capstan.cluster;

import io.capstan.runtime.tls.KeyPairCertificate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** Writes self-contained kubeconfig files (certificates embedded), usable by kubectl and every client library. */
final class Kubeconfig {

    private Kubeconfig() {
    }

    static String render(String server, X509Certificate ca, KeyPairCertificate user, String userName) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: capstan
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: %s
                  user:
                    client-certificate-data: %s
                    client-key-data: %s
                contexts:
                - name: capstan
                  context:
                    cluster: capstan
                    user: %s
                current-context: capstan
                """.formatted(server, base64(KeyPairCertificate.pem(ca)), userName, base64(user.certificatePem()),
                base64(user.keyPem()), userName);
    }

    static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        try {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String base64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }
}
