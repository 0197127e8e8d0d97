package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.TreeTraversingParser;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WatchEventDeserializerTest {

    private static final String METADATA = """
            "metadata":{"name":"p-1","namespace":"team-a","resourceVersion":"42","labels":{"app":"a"},
             "managedFields":[{"manager":"node","operation":"Update","fieldsV1":{"f:status":{}}}]}""";
    private static final String SPEC = """
            "spec":{"nodeName":"node-1","containers":[{"name":"main","image":"busybox","command":["sleep","1"]}]}""";
    private static final String STATUS = """
            "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}""";

    private final KubernetesSerialization json = ClientSerialization.serialization();
    /** fabric8 as it reads without Capstan's serialization, managedFields skipped alike, to compare with. */
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    private WatchEvent read(String event) {
        return json.unmarshal(event, WatchEvent.class);
    }

    private Object fabric8sObject(String event) {
        Object object = fabric8.unmarshal(event, WatchEvent.class).getObject();
        if (object instanceof Pod pod) {
            pod.getMetadata().setManagedFields(java.util.List.of());
        }
        return object;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            // the API server's order for built-in types
            "\"kind\":\"Pod\",\"apiVersion\":\"v1\"," + METADATA + "," + SPEC + "," + STATUS,
            // its order for custom resources (sorted keys)
            "\"apiVersion\":\"v1\",\"kind\":\"Pod\"," + METADATA + "," + SPEC + "," + STATUS,
            // other writers: the kind after other fields, or last
            "\"apiVersion\":\"v1\"," + METADATA + ",\"kind\":\"Pod\"," + SPEC + "," + STATUS,
            METADATA + "," + SPEC + "," + STATUS + ",\"apiVersion\":\"v1\",\"kind\":\"Pod\"",
    })
    void aPodReadsAsFabric8ReadsItWhereverItsKindIs(String fields) {
        String event = "{\"type\":\"MODIFIED\",\"object\":{" + fields + "}}";

        WatchEvent read = read(event);

        assertThat(read.getType()).isEqualTo("MODIFIED");
        assertThat(read.getObject()).isInstanceOf(Pod.class).isEqualTo(fabric8sObject(event));
        Pod pod = (Pod) read.getObject();
        assertThat(pod.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(pod.getMetadata().getManagedFields()).as("still skipped").isEmpty();
        assertThat(pod.getSpec().getContainers().get(0).getCommand()).containsExactly("sleep", "1");
        assertThat(pod.getStatus().getConditions().get(0).getType()).isEqualTo("Ready");
    }

    @Test
    void theEventsFieldsMayComeInAnyOrder() {
        String event = "{\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\"," + METADATA + "},\"type\":\"ADDED\","
                + "\"extra\":{\"a\":1}}";

        WatchEvent read = read(event);

        assertThat(read.getType()).isEqualTo("ADDED");
        assertThat(((Pod) read.getObject()).getMetadata().getName()).isEqualTo("p-1");
        assertThat(read.getAdditionalProperties()).containsKey("extra");
    }

    @Test
    void anErrorCarriesItsStatus() {
        String event = """
                {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                 "message":"too old resource version: 1 (42)","reason":"Expired","code":410}}""";

        Status status = (Status) read(event).getObject();

        assertThat(status.getCode()).isEqualTo(410);
        assertThat(status.getReason()).isEqualTo("Expired");
        assertThat(status).isEqualTo(fabric8sObject(event));
    }

    @Test
    void aBookmarkKeepsItsResourceVersionAndAnnotations() {
        String event = """
                {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"77",
                 "annotations":{"k8s.io/initial-events-end":"true"}}}}""";

        Pod pod = (Pod) read(event).getObject();

        assertThat(pod.getMetadata().getResourceVersion()).isEqualTo("77");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("k8s.io/initial-events-end", "true");
    }

    @Test
    void aKindWithoutAClassIsAGenericResourceAsWithFabric8() {
        String event = """
                {"type":"ADDED","object":{"apiVersion":"example.io/v1","kind":"Widget",
                 "metadata":{"name":"w","namespace":"team-a"},"spec":{"size":3,"parts":["a","b"]}}}""";

        Object object = read(event).getObject();

        assertThat(object).isInstanceOf(GenericKubernetesResource.class).isEqualTo(fabric8sObject(event));
        assertThat(((GenericKubernetesResource) object).<Integer>get("spec", "size")).isEqualTo(3);
    }

    @Test
    void aKindRegisteredOnTheClientsSerializationIsReadIntoItsClassFromTheStreamNotATree() {
        String event = """
                {"type":"ADDED","object":{"apiVersion":"example.io/v1","kind":"Widget","metadata":{"name":"w"},
                 "spec":{"size":3}}}""";
        json.registerKubernetesResource("example.io/v1", "Widget", Widget.class);
        fabric8.registerKubernetesResource("example.io/v1", "Widget", Widget.class);

        Widget read = (Widget) read(event).getObject();

        assertThat(read.getMetadata().getName()).isEqualTo("w");
        assertThat(read.readBy).isNotEqualTo(TreeTraversingParser.class);
        assertThat(((Widget) fabric8.unmarshal(event, WatchEvent.class).getObject()).readBy).as("fabric8's own path")
                .isEqualTo(TreeTraversingParser.class);
    }

    @Test
    void aKindThatIsNotTextIsLeftToFabric8() {
        String event = """
                {"type":"ADDED","object":{"kind":7,"apiVersion":"v1","metadata":{"name":"odd"}}}""";

        assertThat(read(event).getObject()).isEqualTo(fabric8sObject(event));
    }

    @Test
    void anEventThatIsNotAnObjectIsRefusedAsBefore() {
        Throwable fabric8s = catchThrowable(() -> fabric8.unmarshal("[\"ADDED\"]", WatchEvent.class));
        assertThat(fabric8s).isNotNull();

        assertThat(catchThrowable(() -> read("[\"ADDED\"]"))).isInstanceOf(fabric8s.getClass())
                .rootCause().hasMessageContaining("WatchEvent");
    }

    @Test
    void aNullObjectStaysNull() {
        assertThat(read("{\"type\":\"DELETED\",\"object\":null}").getObject()).isNull();
    }

    /** A custom resource that tells which parser read its spec. */
    public static final class Widget extends GenericKubernetesResource {
        @JsonIgnore
        Class<?> readBy;

        @JsonSetter("spec")
        @JsonDeserialize(using = ParserSpy.class)
        void spec(Class<?> parser) {
            readBy = parser;
        }
    }

    static final class ParserSpy extends JsonDeserializer<Class<?>> {
        @Override
        public Class<?> deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            Class<?> type = parser.getClass();
            parser.skipChildren();
            return type;
        }
    }
}
