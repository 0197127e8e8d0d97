package io.capstan.runtime.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** A certificate with its private key, readable from and writable to PEM files. */
public record KeyPairCertificate(X509Certificate certificate, PrivateKey key) {

    public void write(Path certificateFile, Path keyFile) throws IOException {
        Files.createDirectories(certificateFile.toAbsolutePath().getParent());
        Files.writeString(certificateFile, pem(certificate));
        Files.writeString(keyFile, privateKeyPem(key));
        try {
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system; nothing to tighten
        }
    }

    public static KeyPairCertificate read(Path certificateFile, Path keyFile) throws IOException {
        return new KeyPairCertificate(readCertificate(certificateFile), readPrivateKey(keyFile));
    }

    public String certificatePem() {
        return pem(certificate);
    }

    public String keyPem() {
        return privateKeyPem(key);
    }

    /** A Netty server context presenting this certificate; clients are asked for (not required to send) one. */
    public SslContext serverContext(X509Certificate trustedClientCa, ClientAuth clientAuth) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forServer(key, certificate)
                .protocols("TLSv1.3", "TLSv1.2");
        if (trustedClientCa != null) {
            builder.trustManager(trustedClientCa).clientAuth(clientAuth);
        }
        return builder.build();
    }

    /** A JDK SSL context that authenticates with this certificate and trusts the given CA. */
    public SSLContext clientContext(X509Certificate trustedCa) {
        try {
            char[] password = new char[0];
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", key, password, new X509Certificate[] {certificate});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers(trustedCa), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS client context", e);
        }
    }

    static javax.net.ssl.TrustManager[] trustManagers(X509Certificate trustedCa) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", trustedCa);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        return factory.getTrustManagers();
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    /** The key in its traditional PEM form ({@code EC PRIVATE KEY}), which Go and fabric8 both read. */
    public static String privateKeyPem(PrivateKey key) {
        return pem(key);
    }

    public static X509Certificate readCertificate(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new IOException(file + " does not hold a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot parse certificate " + file, e);
        }
    }

    public static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new IOException(file + " does not hold a PEM private key");
        }
    }
}
