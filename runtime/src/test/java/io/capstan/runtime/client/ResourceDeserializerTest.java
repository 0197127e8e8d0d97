package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which objects stream straight into their type, and which go to fabric8's tree-building deserializer. */
class ResourceDeserializerTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final AtomicInteger fabric8Calls = new AtomicInteger();
    private final ResourceDeserializer deserializer = new ResourceDeserializer(new KubernetesSerialization(),
            new CountingDeserializer());

    private final class CountingDeserializer extends JsonDeserializer<KubernetesResource> {
        private final KubernetesDeserializer fabric8 = new KubernetesDeserializer();

        @Override
        public KubernetesResource deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            fabric8Calls.incrementAndGet();
            return fabric8.deserialize(parser, context);
        }
    }

    private KubernetesResource read(String json) throws IOException {
        JsonParser parser = mapper.createParser(json);
        DeserializationContext context = ((DefaultDeserializationContext) mapper.getDeserializationContext())
                .createInstance(mapper.getDeserializationConfig(), parser, null);
        parser.nextToken();
        KubernetesResource resource = deserializer.deserialize(parser, context);
        // Read to its end, and no further (fabric8, like Jackson at a root value, clears the current token).
        assertThat(parser.nextToken()).as("the whole object was read").isNull();
        return resource;
    }

    @Test
    void aRegisteredKindStreamsIntoItsType() throws IOException {
        KubernetesResource pod = read("""
                {"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"nodeName":"n"}}""");

        assertThat(pod).isInstanceOf(Pod.class);
        assertThat(((Pod) pod).getSpec().getNodeName()).isEqualTo("n");
        assertThat(fabric8Calls).hasValue(0);
    }

    @Test
    void fieldsBeforeTheKindAreReplayed() throws IOException {
        KubernetesResource pod = read("""
                {"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"nodeName":"n"},"apiVersion":"v1","kind":"Pod",
                 "status":{"phase":"Pending"}}""");

        assertThat(((Pod) pod).getMetadata().getLabels()).containsEntry("a", "b");
        assertThat(((Pod) pod).getSpec().getNodeName()).isEqualTo("n");
        assertThat(((Pod) pod).getStatus().getPhase()).isEqualTo("Pending");
        assertThat(fabric8Calls).hasValue(0);
    }

    @Test
    void anUnregisteredKindGoesToFabric8WithEveryField() throws IOException {
        KubernetesResource widget = read("""
                {"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}""");

        assertThat(widget).isInstanceOf(GenericKubernetesResource.class);
        assertThat(((GenericKubernetesResource) widget).getMetadata().getName()).isEqualTo("w");
        assertThat(((GenericKubernetesResource) widget).getAdditionalProperties()).containsKey("spec");
        assertThat(fabric8Calls).hasValue(1);
    }

    @Test
    void anObjectWithoutKindGoesToFabric8WithEveryField() throws IOException {
        KubernetesResource kindless = read("""
                {"apiVersion":"v1","metadata":{"name":"x"}}""");

        assertThat(fabric8Calls).hasValue(1);
        assertThat(kindless).isEqualTo(new KubernetesSerialization().unmarshal("""
                {"apiVersion":"v1","metadata":{"name":"x"}}""", KubernetesResource.class));
    }
}
