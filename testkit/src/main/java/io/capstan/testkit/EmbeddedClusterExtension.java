package io.capstan.testkit;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.KubernetesBinaries;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link EmbeddedCluster}. */
public final class EmbeddedClusterExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedClusterExtension.class);
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(EmbeddedClusterExtension.class);
    private static final String CLUSTER = "cluster";
    private static final String NAMESPACE = "namespace";

    /** The shared cluster, started on first use and stopped when the whole test run ends. */
    public static TestCluster cluster(ExtensionContext context) {
        return context.getRoot().getStore(STORE).getOrComputeIfAbsent(CLUSTER, key -> new SharedCluster(),
                SharedCluster.class).cluster;
    }

    private static final class SharedCluster implements ExtensionContext.Store.CloseableResource {
        private final Path state;
        private final TestCluster cluster;

        SharedCluster() {
            try {
                state = Files.createTempDirectory("capstan-test-cluster-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            log.info("Starting the embedded control plane for this test run in {}", state);
            KubernetesBinaries binaries = KubernetesBinaries.locate(line -> log.info(line));
            cluster = new TestCluster(ControlPlane.start(ControlPlane.Spec.of(state, binaries)
                    .withProgress(line -> log.info(line))));
        }

        @Override
        public void close() throws IOException {
            cluster.close();
            try (var walk = Files.walk(state)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        TestCluster cluster = cluster(context);
        String name = createNamespace(cluster.client(), namespaceFor(context.getRequiredTestMethod().getName()));
        context.getStore(STORE).put(NAMESPACE, new TestNamespace(name));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TestNamespace namespace = context.getStore(STORE).get(NAMESPACE, TestNamespace.class);
        if (namespace != null && !Boolean.getBoolean("capstan.keepNamespaces")) {
            cluster(context).client().namespaces().withName(namespace.name()).delete();
        }
    }

    /** {@code scaleUpThenDown} → {@code scale-up-then-down}, within the 63 characters a namespace may have. */
    static String namespaceFor(String methodName) {
        String kebab = methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]+", "-").replaceAll("-+", "-").replaceAll("^-|-$", "");
        return kebab.length() > 56 ? kebab.substring(0, 56).replaceAll("-$", "") : kebab;
    }

    private static String createNamespace(KubernetesClient client, String base) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            String name = attempt == 1 ? base : base + "-" + attempt;
            try {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                        .addToLabels("capstan.io/test", "true").endMetadata().build()).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    continue;
                }
                throw e;
            }
            // The ServiceAccount admission plugin rejects pods until the namespace's default account exists.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (client.serviceAccounts().inNamespace(name).withName("default").get() == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("namespace " + name + " got no default service account in 60s");
                }
                Thread.sleep(50);
            }
            return name;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestCluster.class || type == TestNamespace.class || type == ControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == TestCluster.class) {
            return cluster(context);
        }
        if (type == ControlPlane.class) {
            return cluster(context).controlPlane();
        }
        TestNamespace namespace = context.getStore(STORE).get(NAMESPACE, TestNamespace.class);
        if (namespace == null) {
            throw new ParameterResolutionException("a TestNamespace exists only for test methods, not for " + context.getDisplayName());
        }
        return namespace;
    }
}
