package io.capstan.node.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnvironmentResolverTest {

    private final Map<String, ConfigMap> configMaps = new LinkedHashMap<>();
    private final Map<String, Secret> secrets = new LinkedHashMap<>();
    private final List<Service> services = new ArrayList<>();
    private final EnvironmentResolver resolver = new EnvironmentResolver(new EnvironmentSource() {
        @Override
        public Optional<ConfigMap> configMap(String namespace, String name) {
            return Optional.ofNullable(configMaps.get(namespace + "/" + name));
        }

        @Override
        public Optional<Secret> secret(String namespace, String name) {
            return Optional.ofNullable(secrets.get(namespace + "/" + name));
        }

        @Override
        public List<Service> services(String namespace) {
            return services.stream().filter(s -> s.getMetadata().getNamespace().equals(namespace)).toList();
        }
    });
    private final EnvironmentResolver.NodeFacts node = new EnvironmentResolver.NodeFacts("192.0.2.1",
            Map.of("cpu", new Quantity("8"), "memory", new Quantity("16Gi")));

    private void configMap(String name, Map<String, String> data) {
        configMaps.put("ns/" + name, new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName(name)
                .endMetadata().withData(data).build());
    }

    private void secret(String name, Map<String, String> data) {
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        secrets.put("ns/" + name, new SecretBuilder().withNewMetadata().withNamespace("ns").withName(name)
                .endMetadata().withData(encoded).build());
    }

    private static Pod pod(Container container) {
        return new PodBuilder().withNewMetadata().withNamespace("ns").withName("p").withUid("uid-1")
                .addToLabels("app", "web").addToLabels("tier", "front").addToAnnotations("note", "say \"hi\"").endMetadata()
                .withNewSpec().withNodeName("node-1").withServiceAccountName("builder").withEnableServiceLinks(true)
                .withContainers(container).endSpec().build();
    }

    private Map<String, String> env(Pod pod) throws Exception {
        Pod resolved = resolver.resolve(pod, Optional.of("10.1.2.3"), node).pod();
        Container container = resolved.getSpec().getContainers().getFirst();
        assertThat(container.getEnvFrom()).isEmpty();
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvVar variable : container.getEnv()) {
            assertThat(variable.getValueFrom()).isNull();
            values.put(variable.getName(), variable.getValue());
        }
        return values;
    }

    @Test
    void envFromSourcesApplyInOrderAndEnvOverridesThem() throws Exception {
        configMap("one", Map.of("A", "from-one", "B", "from-one"));
        configMap("two", Map.of("B", "from-two"));
        secret("s", Map.of("C", "secret-c"));
        Container container = new ContainerBuilder().withName("c")
                .addNewEnvFrom().withNewConfigMapRef().withName("one").endConfigMapRef().endEnvFrom()
                .addNewEnvFrom().withNewConfigMapRef().withName("two").endConfigMapRef().endEnvFrom()
                .addNewEnvFrom().withPrefix("S_").withNewSecretRef().withName("s").endSecretRef().endEnvFrom()
                .addNewEnv().withName("A").withValue("explicit").endEnv()
                .build();

        assertThat(env(pod(container))).containsEntry("A", "explicit").containsEntry("B", "from-two")
                .containsEntry("S_C", "secret-c");
    }

    @Test
    void valuesExpandReferencesToEarlierVariables() throws Exception {
        Container container = new ContainerBuilder().withName("c")
                .addNewEnv().withName("HOST").withValue("db").endEnv()
                .addNewEnv().withName("URL").withValue("postgres://$(HOST):$(PORT)/$$(HOST)").endEnv()
                .addNewEnv().withName("EMPTY").withValue("").endEnv()
                .build();

        assertThat(env(pod(container))).containsEntry("URL", "postgres://db:$(PORT)/$(HOST)").containsEntry("EMPTY", "");
    }

    @Test
    void fieldReferencesResolveIncludingThePodIpThatVirtualKubeletCannot() throws Exception {
        Container container = new ContainerBuilder().withName("c")
                .addNewEnv().withName("NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("NS").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.namespace").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("UID").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.uid").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("APP").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.labels['app']").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("LABELS").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("NOTES").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.annotations").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("NODE").withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("SA").withNewValueFrom().withNewFieldRef().withFieldPath("spec.serviceAccountName").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("HOST_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.hostIP").endFieldRef().endValueFrom().endEnv()
                .build();

        assertThat(env(pod(container)))
                .containsEntry("NAME", "p").containsEntry("NS", "ns").containsEntry("UID", "uid-1")
                .containsEntry("APP", "web").containsEntry("LABELS", "app=\"web\"\ntier=\"front\"")
                .containsEntry("NOTES", "note=\"say \\\"hi\\\"\"")
                .containsEntry("NODE", "node-1").containsEntry("SA", "builder")
                .containsEntry("POD_IP", "10.1.2.3").containsEntry("HOST_IP", "192.0.2.1");
    }

    @Test
    void resourceReferencesDivideAndRoundUpAndFallBackToAllocatable() throws Exception {
        Container container = new ContainerBuilder().withName("c")
                .withNewResources().addToLimits("cpu", new Quantity("1500m")).addToRequests("memory", new Quantity("64Mi")).endResources()
                .addNewEnv().withName("CPU").withNewValueFrom().withNewResourceFieldRef().withResource("limits.cpu").endResourceFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("MILLI").withNewValueFrom().withNewResourceFieldRef().withResource("limits.cpu")
                .withDivisor(new Quantity("1m")).endResourceFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("MEM_REQ").withNewValueFrom().withNewResourceFieldRef().withResource("requests.memory")
                .withDivisor(new Quantity("1Mi")).endResourceFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("MEM_LIMIT").withNewValueFrom().withNewResourceFieldRef().withResource("limits.memory")
                .withDivisor(new Quantity("1Gi")).endResourceFieldRef().endValueFrom().endEnv()
                .build();

        assertThat(env(pod(container))).containsEntry("CPU", "2").containsEntry("MILLI", "1500")
                .containsEntry("MEM_REQ", "64").containsEntry("MEM_LIMIT", "16");
    }

    @Test
    void serviceLinksFollowTheKubeletsNamingAndTheKubernetesServiceIsAlwaysThere() throws Exception {
        services.add(new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("my-db").endMetadata()
                .withNewSpec().withClusterIP("10.0.0.9").addNewPort().withName("sql").withPort(5432).withProtocol("TCP")
                .endPort().endSpec().build());
        services.add(new ServiceBuilder().withNewMetadata().withNamespace("default").withName("kubernetes").endMetadata()
                .withNewSpec().withClusterIP("10.0.0.1").addNewPort().withName("https").withPort(443).withProtocol("TCP")
                .endPort().endSpec().build());
        services.add(new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("headless").endMetadata()
                .withNewSpec().withClusterIP("None").endSpec().build());
        Container container = new ContainerBuilder().withName("c").build();

        Map<String, String> env = env(pod(container));
        assertThat(env).containsEntry("MY_DB_SERVICE_HOST", "10.0.0.9").containsEntry("MY_DB_SERVICE_PORT", "5432")
                .containsEntry("MY_DB_SERVICE_PORT_SQL", "5432").containsEntry("MY_DB_PORT", "tcp://10.0.0.9:5432")
                .containsEntry("MY_DB_PORT_5432_TCP", "tcp://10.0.0.9:5432").containsEntry("MY_DB_PORT_5432_TCP_PROTO", "tcp")
                .containsEntry("MY_DB_PORT_5432_TCP_PORT", "5432").containsEntry("MY_DB_PORT_5432_TCP_ADDR", "10.0.0.9")
                .containsEntry("KUBERNETES_SERVICE_HOST", "10.0.0.1").doesNotContainKey("HEADLESS_SERVICE_HOST");

        Pod withoutLinks = pod(container);
        withoutLinks.getSpec().setEnableServiceLinks(false);
        assertThat(env(withoutLinks)).doesNotContainKey("MY_DB_SERVICE_HOST").containsKey("KUBERNETES_SERVICE_HOST");
    }

    @Test
    void optionalMissingReferencesWarnAndTheVariableIsLeftOut() throws Exception {
        Container container = new ContainerBuilder().withName("c")
                .addNewEnv().withName("X").withNewValueFrom().withNewSecretKeyRef().withName("absent").withKey("k")
                .withOptional(true).endSecretKeyRef().endValueFrom().endEnv()
                .addNewEnvFrom().withNewConfigMapRef().withName("absent").withOptional(true).endConfigMapRef().endEnvFrom()
                .build();

        EnvironmentResolver.Resolution resolution = resolver.resolve(pod(container), Optional.empty(), node);

        assertThat(resolution.warnings()).extracting(EnvironmentResolver.Finding::reason)
                .containsExactlyInAnyOrder(EnvironmentReason.OptionalSecretNotFound, EnvironmentReason.OptionalConfigMapNotFound);
        assertThat(resolution.pod().getSpec().getContainers().getFirst().getEnv()).extracting(EnvVar::getName)
                .doesNotContain("X");
    }

    @Test
    void mandatoryMissingReferencesFailAndNameWhatIsAwaited() {
        configMap("present", Map.of("other", "x"));
        Container container = new ContainerBuilder().withName("c")
                .addNewEnv().withName("X").withNewValueFrom().withNewConfigMapKeyRef().withName("present").withKey("wanted")
                .endConfigMapKeyRef().endValueFrom().endEnv()
                .addNewEnv().withName("Y").withNewValueFrom().withNewSecretKeyRef().withName("absent").withKey("k")
                .endSecretKeyRef().endValueFrom().endEnv()
                .build();

        assertThatThrownBy(() -> resolver.resolve(pod(container), Optional.empty(), node))
                .isInstanceOfSatisfying(UnresolvedEnvironmentException.class, e -> {
                    assertThat(e.findings()).extracting(EnvironmentResolver.Finding::reason).containsExactly(
                            EnvironmentReason.MandatoryConfigMapKeyNotFound, EnvironmentReason.MandatorySecretNotFound);
                    assertThat(e.awaited()).containsExactlyInAnyOrder("configmap/ns/present", "secret/ns/absent");
                    assertThat(e.getMessage()).contains("doesn't contain the \"wanted\" key");
                });
    }

    @Test
    void invalidKeysFromEnvFromAreSkippedAndReportedOnce() throws Exception {
        configMap("mixed", Map.of("GOOD", "1", "1BAD", "2", "also bad", "3"));
        Container container = new ContainerBuilder().withName("c")
                .addNewEnvFrom().withNewConfigMapRef().withName("mixed").endConfigMapRef().endEnvFrom().build();

        EnvironmentResolver.Resolution resolution = resolver.resolve(pod(container), Optional.empty(), node);

        assertThat(resolution.warnings()).singleElement().satisfies(warning -> {
            assertThat(warning.reason()).isEqualTo(EnvironmentReason.InvalidEnvironmentVariableNames);
            assertThat(warning.message()).contains("[1BAD, also bad]");
        });
        assertThat(resolution.pod().getSpec().getContainers().getFirst().getEnv()).extracting(EnvVar::getName)
                .containsExactly("GOOD");
    }

    @Test
    void aPodIpThatCannotBeKnownInAdvanceIsAClearFailure() {
        Container container = new ContainerBuilder().withName("c")
                .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef()
                .endValueFrom().endEnv().build();

        assertThatThrownBy(() -> resolver.resolve(pod(container), Optional.empty(), node))
                .isInstanceOf(UnresolvedEnvironmentException.class)
                .hasMessageContaining("status.podIP").hasMessageContaining("cannot tell the pod's IP");
    }

    @Test
    void theOriginalPodIsNotModified() throws Exception {
        configMap("c", Map.of("K", "v"));
        Container container = new ContainerBuilder().withName("c")
                .addNewEnvFrom().withNewConfigMapRef().withName("c").endConfigMapRef().endEnvFrom().build();
        Pod original = pod(container);
        Pod copy = new PodBuilder(original).build();

        resolver.resolve(original, Optional.empty(), node);

        assertThat(original).isEqualTo(copy);
    }
}
