package io.capstan.runtime.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority that issues the serving and client certificates of the embedded cluster, virtual
 * nodes and webhooks. Keys are ECDSA P-256: fast to generate and accepted by every Kubernetes component.
 */
public final class CertificateAuthority {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(825);

    private final KeyPairCertificate root;

    private CertificateAuthority(KeyPairCertificate root) {
        this.root = root;
    }

    /** A new self-signed CA. */
    public static CertificateAuthority create(String commonName) {
        KeyPair keys = newKeyPair();
        X500Name subject = name(commonName, List.of());
        try {
            X509v3CertificateBuilder builder = builder(subject, subject, keys.getPublic(), CA_VALIDITY);
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new CertificateAuthority(new KeyPairCertificate(sign(builder, keys.getPrivate()), keys.getPrivate()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create CA certificate", e);
        }
    }

    /** Loads a CA written by {@link #write}. */
    public static CertificateAuthority load(Path certificate, Path key) throws IOException {
        return new CertificateAuthority(KeyPairCertificate.read(certificate, key));
    }

    public X509Certificate certificate() {
        return root.certificate();
    }

    public PrivateKey key() {
        return root.key();
    }

    public void write(Path certificate, Path key) throws IOException {
        root.write(certificate, key);
    }

    /** A TLS server certificate for the given DNS names and IP addresses. */
    public KeyPairCertificate issueServer(String commonName, List<String> dnsNames, List<String> ipAddresses) {
        return issue(commonName, List.of(), dnsNames, ipAddresses, KeyPurposeId.id_kp_serverAuth);
    }

    /** A TLS client certificate; Kubernetes reads the user from CN and groups from O. */
    public KeyPairCertificate issueClient(String commonName, List<String> organizations) {
        return issue(commonName, organizations, List.of(), List.of(), KeyPurposeId.id_kp_clientAuth);
    }

    private KeyPairCertificate issue(String commonName, List<String> organizations, List<String> dnsNames,
            List<String> ipAddresses, KeyPurposeId purpose) {
        KeyPair keys = newKeyPair();
        try {
            X509v3CertificateBuilder builder = builder(name(root.certificate().getSubjectX500Principal().getName()),
                    name(commonName, organizations), keys.getPublic(), LEAF_VALIDITY);
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(root.certificate()));
            List<GeneralName> alternatives = new ArrayList<>();
            dnsNames.forEach(dns -> alternatives.add(new GeneralName(GeneralName.dNSName, dns)));
            for (String ip : ipAddresses) {
                alternatives.add(new GeneralName(GeneralName.iPAddress, InetAddress.getByName(ip).getHostAddress()));
            }
            if (!alternatives.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(alternatives.toArray(GeneralName[]::new)));
            }
            return new KeyPairCertificate(sign(builder, root.key()), keys.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue certificate for " + commonName, e);
        }
    }

    /**
     * A new ECDSA P-256 key pair (also used for service-account token signing). Generated by BouncyCastle so the
     * private key's encoding embeds its public key, which PEM readers such as fabric8's expect.
     */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BOUNCY_CASTLE);
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate EC keys", e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key, Duration validity) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            var contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X500Name name(String commonName, List<String> organizations) {
        X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE);
        organizations.forEach(o -> name.addRDN(BCStyle.O, o));
        name.addRDN(BCStyle.CN, commonName);
        return name.build();
    }

    private static X500Name name(String rfc2253) {
        return new X500Name(BCStyle.INSTANCE, rfc2253);
    }
}
