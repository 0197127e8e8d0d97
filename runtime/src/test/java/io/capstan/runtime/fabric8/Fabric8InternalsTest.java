package io.capstan.runtime.fabric8;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.HandlerInstantiator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.dsl.internal.ByteLineHttpWatch;
import io.fabric8.kubernetes.client.impl.BaseClient;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What Capstan relies on in fabric8 beyond its public API (see this package's documentation). What the compiler checks
 * (signatures of the interfaces and constructors used) fails the build; this test covers what only shows at run time,
 * and names the version it was all checked against, so an upgrade of fabric8 stops here first.
 */
class Fabric8InternalsTest {

    /** The fabric8 version this package was written and checked against. */
    static final String CHECKED_AGAINST = "7.9.0";

    @Test
    void fabric8IsTheVersionThisPackageWasCheckedAgainst() throws Exception {
        Properties pom = new Properties();
        try (InputStream in = BaseClient.class.getResourceAsStream(
                "/META-INF/maven/io.fabric8/kubernetes-client/pom.properties")) {
            assertThat(in).as("kubernetes-client's pom.properties").isNotNull();
            pom.load(in);
        }
        assertThat(pom.getProperty("version"))
                .as("fabric8 was upgraded: check io.capstan.runtime.fabric8 and ByteLineHttpWatch against the new version "
                        + "(AbstractWatchManager's constructor and watch life cycle, ListerWatcher, "
                        + "DefaultSharedIndexInformer, KubernetesDeserializer), then change CHECKED_AGAINST")
                .isEqualTo(CHECKED_AGAINST);
    }

    @Test
    void aResourceOperationIsTheListerWatcherAnInformerIsBuiltFrom() {
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:1").build()).build()) {
            Object operation = client.pods().inAnyNamespace().withLabel("a").withLimit(500L);

            assertThat(operation).as("Fabric8Informers casts an operation to a ListerWatcher").isInstanceOf(ListerWatcher.class);
            assertThat(client.adapt(BaseClient.class).getExecutor()).isNotNull();
        }
    }

    @Test
    void theByteLineWatchIsStillAWatchManager() {
        assertThat(AbstractWatchManager.class).isAssignableFrom(ByteLineHttpWatch.class);
    }

    @Test
    void fabric8sModelStillAsksForItsKubernetesDeserializerWhereAnyKindMayAppear() {
        AtomicInteger replaced = new AtomicInteger();
        KubernetesSerialization serialization = new KubernetesSerialization() {
            @Override
            protected void configureMapper(ObjectMapper mapper) {
                super.configureMapper(mapper);
                HandlerInstantiator fabric8 = mapper.getDeserializationConfig().getHandlerInstantiator();
                mapper.setConfig(mapper.getDeserializationConfig().with(new ResourceDeserializerHandlers(fabric8,
                        original -> {
                            replaced.incrementAndGet();
                            return original;
                        })));
            }
        };

        WatchEvent event = serialization.unmarshal("""
                {"type": "ADDED", "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}
                """, WatchEvent.class);

        assertThat(event.getObject()).isInstanceOf(Pod.class);
        assertThat(replaced).as("ResourceDeserializerHandlers saw fabric8's KubernetesDeserializer").hasPositiveValue();
    }
}
