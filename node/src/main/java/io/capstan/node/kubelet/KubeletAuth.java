package io.capstan.node.kubelet;

import io.capstan.runtime.http.HttpExchange;
import io.capstan.runtime.http.HttpStatusException;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who may use the kubelet API, decided the way the kubelet (and Virtual Kubelet's webhook mode) does: the caller is
 * the subject of a client certificate issued by the cluster CA, or the user a bearer token stands for according to
 * a TokenReview; what it may do is asked with a SubjectAccessReview on {@code nodes/<subresource>} of this node
 * ({@code stats}, {@code metrics}, {@code log} or {@code proxy}). Answers are cached: tokens for 2 minutes,
 * allowed decisions for 5 minutes, denials for 30 seconds.
 */
public final class KubeletAuth {

    /** The caller, as Kubernetes knows it. */
    public record User(String name, String uid, List<String> groups) {
    }

    private final KubernetesClient client;
    private final String nodeName;
    private final boolean enabled;
    private final TtlCache<String, User> tokens = new TtlCache<>(4096);
    private final TtlCache<String, Boolean> decisions = new TtlCache<>(4096);

    private KubeletAuth(KubernetesClient client, String nodeName, boolean enabled) {
        this.client = client;
        this.nodeName = nodeName;
        this.enabled = enabled;
    }

    /** Authenticates with certificates and TokenReview, authorizes with SubjectAccessReview. */
    public static KubeletAuth webhook(KubernetesClient client, String nodeName) {
        return new KubeletAuth(client, nodeName, true);
    }

    /** Anyone may do anything (Virtual Kubelet's {@code NoAuth}); only for trusted networks. */
    public static KubeletAuth none() {
        return new KubeletAuth(null, null, false);
    }

    /** Throws 401 or 403 unless the caller may make this request. */
    void check(HttpExchange exchange) {
        if (!enabled) {
            return;
        }
        User user = authenticate(exchange);
        String verb = switch (exchange.method().name()) {
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "get";
        };
        String subresource = subresource(exchange.path());
        String decisionKey = user.name() + "|" + String.join(",", user.groups()) + "|" + verb + "|" + subresource;
        Boolean allowed = decisions.get(decisionKey);
        if (allowed == null) {
            allowed = authorize(user, verb, subresource);
            decisions.put(decisionKey, allowed, allowed ? Duration.ofMinutes(5) : Duration.ofSeconds(30));
        }
        if (!allowed) {
            throw new HttpStatusException(403, "Forbidden (user=" + user.name() + ", verb=" + verb + ", resource=nodes, "
                    + "subresource=" + subresource + ")");
        }
    }

    /** The kubelet's mapping from request path to the {@code nodes} subresource that is authorized. */
    static String subresource(String path) {
        if (path.startsWith("/stats")) {
            return "stats";
        }
        if (path.startsWith("/metrics")) {
            return "metrics";
        }
        if (path.startsWith("/logs")) {
            return "log";
        }
        return "proxy";
    }

    private User authenticate(HttpExchange exchange) {
        X509Certificate[] certificates = exchange.clientCertificates();
        if (certificates.length > 0) {
            return fromCertificate(certificates[0]);
        }
        String authorization = exchange.headers().get("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            User user = tokens.get(token);
            if (user == null) {
                user = review(token);
                tokens.put(token, user, Duration.ofMinutes(2));
            }
            return user;
        }
        throw new HttpStatusException(401, "Unauthorized");
    }

    /** CN is the user name and each O a group, as for the API server's own client-certificate authentication. */
    static User fromCertificate(X509Certificate certificate) {
        try {
            String commonName = null;
            List<String> groups = new ArrayList<>();
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    commonName = rdn.getValue().toString();
                } else if (rdn.getType().equalsIgnoreCase("O")) {
                    groups.add(rdn.getValue().toString());
                }
            }
            if (commonName == null) {
                throw new HttpStatusException(401, "Unauthorized (client certificate has no CN)");
            }
            groups.add("system:authenticated");
            return new User(commonName, null, groups);
        } catch (InvalidNameException e) {
            throw new HttpStatusException(401, "Unauthorized (unreadable client certificate subject)");
        }
    }

    private User review(String token) {
        TokenReview review = client.resource(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build())
                .create();
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
            throw new HttpStatusException(401, "Unauthorized");
        }
        var info = review.getStatus().getUser();
        return new User(info.getUsername(), info.getUid(), info.getGroups() == null ? List.of() : info.getGroups());
    }

    private boolean authorize(User user, String verb, String subresource) {
        SubjectAccessReview review = client.resource(new SubjectAccessReviewBuilder().withNewSpec()
                .withUser(user.name()).withUid(user.uid()).withGroups(user.groups())
                .withNewResourceAttributes().withVerb(verb).withGroup("").withVersion("v1").withResource("nodes")
                .withSubresource(subresource).withName(nodeName).endResourceAttributes()
                .endSpec().build()).create();
        return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
    }

    /** A small map whose entries expire. */
    static final class TtlCache<K, V> {
        private record Timed<V>(V value, long expiresNanos) {
        }

        private final Map<K, Timed<V>> entries;

        TtlCache(int capacity) {
            this.entries = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<K, Timed<V>> eldest) {
                    return size() > capacity;
                }
            };
        }

        synchronized V get(K key) {
            Timed<V> entry = entries.get(key);
            if (entry == null || entry.expiresNanos() < System.nanoTime()) {
                entries.remove(key);
                return null;
            }
            return entry.value();
        }

        synchronized void put(K key, V value, Duration ttl) {
            entries.put(key, new Timed<>(value, System.nanoTime() + ttl.toNanos()));
        }
    }

    @Override
    public String toString() {
        return enabled ? "webhook(" + nodeName.toLowerCase(Locale.ROOT) + ")" : "none";
    }
}
