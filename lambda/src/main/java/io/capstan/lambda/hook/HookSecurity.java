package io.capstan.lambda.hook;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.lambda.api.CompositeControllerSpec.Webhook;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A webhook's TLS and authorization, as Metacontroller 4.17 reads them (its pkg/hooks/auth.go, cabundle.go and
 * endpoint_config.go): a {@code caBundle} that replaces the system's trusted roots, a client certificate
 * ({@code clientTLS}), and an {@code Authorization} header from a Bearer token ({@code authorization}) or a user and
 * password ({@code basicAuth}), each read once from a Secret or ConfigMap when the controller starts. A webhook that
 * sets none of them takes them from the first {@code endpointConfigs} entry whose host is the webhook's.
 *
 * @param authorization the {@code Authorization} header, or null
 * @param tls the TLS context, or null for the JDK's default
 */
public record HookSecurity(String authorization, SSLContext tls) {

    public static final HookSecurity NONE = new HookSecurity(null, null);

    /**
     * @throws IllegalArgumentException when a setting is invalid or what it names cannot be read, saying which
     */
    public static HookSecurity resolve(KubernetesClient client, Webhook webhook, JsonNode endpointConfigs) {
        // The webhook's own settings, if it has any; else those of the endpoint config for its host, if one matches.
        JsonNode source = null;
        if (!webhook.hasSecurity()) {
            URI url = HookClient.url(webhook);
            for (JsonNode config : endpointConfigs == null ? List.<JsonNode>of() : iterable(endpointConfigs)) {
                if (hostMatches(config.path("host").asText(""), url)) {
                    source = config;
                    break;
                }
            }
            if (source == null) {
                return NONE;
            }
        }
        JsonNode caBundle = source == null ? webhook.caBundle() : source.get("caBundle");
        JsonNode clientTls = source == null ? webhook.clientTLS() : source.get("clientTLS");
        JsonNode authorization = source == null ? webhook.authorization() : source.get("authorization");
        JsonNode basicAuth = source == null ? webhook.basicAuth() : source.get("basicAuth");
        if (present(authorization) && present(basicAuth)) {
            throw new IllegalArgumentException("a webhook may set authorization or basicAuth, not both");
        }
        String header = null;
        if (present(authorization)) {
            String type = authorization.path("type").asText("Bearer");
            if (type.toLowerCase(Locale.ROOT).equals("basic")) {
                throw new IllegalArgumentException("authorization.type Basic is not allowed; use basicAuth");
            }
            JsonNode ref = authorization.path("secretRef");
            header = type + " " + secretValue(client, ref, ref.path("key").asText(""), "authorization.secretRef").trim();
        } else if (present(basicAuth)) {
            JsonNode ref = basicAuth.path("secretRef");
            String user = secretValue(client, ref, basicAuth.path("usernameKey").asText("username"), "basicAuth").trim();
            String password = secretValue(client, ref, basicAuth.path("passwordKey").asText("password"), "basicAuth")
                    .trim();
            if (user.contains(":")) {
                throw new IllegalArgumentException("basicAuth: the username may not contain ':'");
            }
            header = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                    .getBytes(StandardCharsets.UTF_8));
        }
        SSLContext tls = present(caBundle) || present(clientTls) ? tls(client, caBundle, clientTls) : null;
        return header == null && tls == null ? NONE : new HookSecurity(header, tls);
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items;
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull() && !node.isMissingNode();
    }

    /** {@code host} or {@code host:port}, case-insensitive, a default port the same as none. */
    static boolean hostMatches(String configured, URI url) {
        if (configured.isEmpty() || url.getHost() == null) {
            return false;
        }
        int defaultPort = "https".equals(url.getScheme()) ? 443 : 80;
        int port = url.getPort() < 0 ? defaultPort : url.getPort();
        String host = configured.toLowerCase(Locale.ROOT);
        int colon = host.lastIndexOf(':');
        String configuredHost = colon < 0 ? host : host.substring(0, colon);
        int configuredPort = colon < 0 ? defaultPort : Integer.parseInt(host.substring(colon + 1));
        return configuredHost.equals(url.getHost().toLowerCase(Locale.ROOT)) && configuredPort == port;
    }

    private static String secretValue(KubernetesClient client, JsonNode ref, String key, String what) {
        String name = ref.path("name").asText("");
        String namespace = ref.path("namespace").asText("");
        if (name.isEmpty() || namespace.isEmpty() || key.isEmpty()) {
            throw new IllegalArgumentException(what + " needs a Secret's name, namespace and key");
        }
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            throw new IllegalArgumentException(what + ": Secret " + namespace + "/" + name + " not found");
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded == null) {
            throw new IllegalArgumentException(what + ": Secret " + namespace + "/" + name + " has no key " + key);
        }
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    private static SSLContext tls(KubernetesClient client, JsonNode caBundle, JsonNode clientTls) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (present(caBundle)) {
                KeyStore roots = KeyStore.getInstance("PKCS12");
                roots.load(null, null);
                List<X509Certificate> certificates = certificates(caPem(client, caBundle), "caBundle");
                for (int i = 0; i < certificates.size(); i++) {
                    roots.setCertificateEntry("ca-" + i, certificates.get(i));
                }
                trust.init(roots);
            } else {
                trust.init((KeyStore) null);
            }
            KeyManagerFactory keys = null;
            if (present(clientTls)) {
                JsonNode ref = clientTls.path("secretRef");
                String certificate = secretValue(client, ref, clientTls.path("certKey").asText("tls.crt"), "clientTLS");
                String key = secretValue(client, ref, clientTls.path("privateKeyKey").asText("tls.key"), "clientTLS");
                List<X509Certificate> chain = certificates(certificate, "clientTLS certificate");
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", privateKey(key), new char[0], chain.toArray(X509Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, new char[0]);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up the webhook's TLS: " + e.getMessage(), e);
        }
    }

    /** Exactly one of {@code inline}, {@code secretRef} or {@code configMapRef} (key {@code ca.crt} by default). */
    private static String caPem(KubernetesClient client, JsonNode caBundle) {
        int given = (present(caBundle.get("inline")) ? 1 : 0) + (present(caBundle.get("secretRef")) ? 1 : 0)
                + (present(caBundle.get("configMapRef")) ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("caBundle needs exactly one of inline, secretRef or configMapRef");
        }
        if (present(caBundle.get("inline"))) {
            return caBundle.get("inline").asText();
        }
        if (present(caBundle.get("secretRef"))) {
            JsonNode ref = caBundle.get("secretRef");
            return secretValue(client, ref, ref.path("key").asText("ca.crt"), "caBundle.secretRef");
        }
        JsonNode ref = caBundle.get("configMapRef");
        String name = ref.path("name").asText("");
        String namespace = ref.path("namespace").asText("");
        String key = ref.path("key").asText("ca.crt");
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(name).get();
        if (map == null || map.getData() == null || map.getData().get(key) == null) {
            throw new IllegalArgumentException("caBundle.configMapRef: ConfigMap " + namespace + "/" + name
                    + " with key " + key + " not found");
        }
        return map.getData().get(key);
    }

    private static List<X509Certificate> certificates(String pem, String what) throws IOException,
            GeneralSecurityException {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof X509CertificateHolder holder) {
                    certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
                }
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(what + " holds no PEM certificate");
        }
        return certificates;
    }

    private static PrivateKey privateKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new IllegalArgumentException("clientTLS: the private key is not a PEM private key");
        }
    }
}
