package io.capstan.node;

import io.capstan.runtime.tls.CertificateAuthority;
import io.capstan.runtime.tls.KeyPairCertificate;
import java.util.List;

/** Where a virtual node's kubelet serving certificate comes from. */
public final class ServingCertificate {

    private ServingCertificate() {
    }

    /**
     * Issued by the cluster's CA: the API server can then verify the node (the embedded cluster runs with
     * {@code --kubelet-certificate-authority}).
     */
    public static KeyPairCertificate issuedBy(CertificateAuthority ca, String nodeName, String address) {
        return ca.issueServer("system:node:" + nodeName, List.of(nodeName, "localhost"), List.of(address));
    }

    /**
     * Signed by a CA of the node's own. Works with API servers that do not verify kubelet certificates (the default
     * of kube-apiserver without {@code --kubelet-certificate-authority}).
     */
    public static KeyPairCertificate selfSigned(String nodeName, String address) {
        return issuedBy(CertificateAuthority.create("capstan-node-" + nodeName), nodeName, address);
    }
}
