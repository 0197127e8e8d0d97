package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class ClientSerializationTest {

    private final KubernetesSerialization json = ClientSerialization.serialization();

    private Pod read(String name, String note) {
        return json.unmarshal("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"team-a",
                 "labels":{"app":"trainer"},"annotations":{"note":"%s"}},
                 "spec":{"nodeName":"node-1","containers":[{"name":"main","image":"busybox:1.36"}]},
                 "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}
                """.formatted(name, note), Pod.class);
    }

    @Test
    void repeatedValuesAreOneInstanceAcrossObjects() {
        Pod first = read("p-1", "n".repeat(ClientSerialization.MAX_SHARED_LENGTH + 1));
        Pod second = read("p-2", "n".repeat(ClientSerialization.MAX_SHARED_LENGTH + 1));

        assertThat(second.getMetadata().getNamespace()).isSameAs(first.getMetadata().getNamespace());
        assertThat(second.getSpec().getNodeName()).isSameAs(first.getSpec().getNodeName());
        assertThat(second.getSpec().getContainers().get(0).getImage())
                .isSameAs(first.getSpec().getContainers().get(0).getImage());
        assertThat(second.getStatus().getConditions().get(0).getStatus())
                .isSameAs(first.getStatus().getConditions().get(0).getStatus());
        assertThat(second.getMetadata().getLabels().get("app")).as("map values too")
                .isSameAs(first.getMetadata().getLabels().get("app"));
        assertThat(second.getMetadata().getAnnotations().get("note")).as("long values are left alone")
                .isEqualTo(first.getMetadata().getAnnotations().get("note"))
                .isNotSameAs(first.getMetadata().getAnnotations().get("note"));
    }

    @Test
    void mapKeysAreOneInstanceAcrossObjects() {
        Pod first = read("p-1", "x");
        Pod second = read("p-2", "y");

        assertThat(second.getMetadata().getLabels().keySet().iterator().next())
                .isSameAs(first.getMetadata().getLabels().keySet().iterator().next());
        assertThat(second.getMetadata().getAnnotations().keySet().iterator().next())
                .isSameAs(first.getMetadata().getAnnotations().keySet().iterator().next());
    }

    @Test
    void objectsReadTheSameAsWithFabric8sDefaults() {
        Pod pod = read("p-1", "x");

        assertThat(pod).isEqualTo(new KubernetesSerialization().unmarshal(json.asJson(pod), Pod.class));
        assertThat(pod.getMetadata().getName()).isEqualTo("p-1");
        assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    }

    @Test
    void managedFieldsAreSkippedWhenReadingAndKeptWhenWriting() {
        String withManagedFields = """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-1","namespace":"team-a","labels":{"app":"a"},
                 "managedFields":[{"manager":"kubelet","operation":"Update","apiVersion":"v1",
                   "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:phase":{}}}}],
                 "resourceVersion":"42","surprise":"kept"},
                 "status":{"phase":"Running"}}
                """;

        Pod pod = json.unmarshal(withManagedFields, Pod.class);

        assertThat(pod.getMetadata().getManagedFields()).isEmpty();
        assertThat(pod.getMetadata().getResourceVersion()).as("the fields after it").isEqualTo("42");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app", "a");
        assertThat(pod.getMetadata().getAdditionalProperties()).as("unknown fields as before")
                .containsEntry("surprise", "kept");
        Pod plain = new KubernetesSerialization().unmarshal(withManagedFields, Pod.class);
        assertThat(json.asJson(plain)).as("a caller that sets them still sends them").contains("\"manager\":\"kubelet\"");
    }

    // ----- objects typed by their kind (watch events) ---------------------------------------------------------------

    private static final String POD = """
            {"kind":"Pod","apiVersion":"v1","metadata":{"name":"p-1","namespace":"team-a","labels":{"app":"a"},
             "managedFields":[{"manager":"kubelet","operation":"Update","apiVersion":"v1",
               "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:phase":{}}}}],"resourceVersion":"42"},
             "spec":{"containers":[{"name":"main","image":"busybox:1.36","command":["sleep","1"]}]},
             "status":{"phase":"Running","podIP":"10.1.2.3"}}""";

    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    private KubernetesResource objectOf(KubernetesSerialization serialization, String event) {
        return (KubernetesResource) serialization.unmarshal(event, WatchEvent.class).getObject();
    }

    @Test
    void aWatchEventsObjectIsReadAsItsKindWithoutManagedFields() {
        String event = "{\"type\":\"MODIFIED\",\"object\":" + POD + "}";

        KubernetesResource object = objectOf(json, event);

        assertThat(object).isInstanceOf(Pod.class);
        Pod pod = (Pod) object;
        assertThat(pod.getMetadata().getManagedFields()).isEmpty();
        assertThat(pod.getMetadata().getResourceVersion()).isEqualTo("42");
        assertThat(pod.getStatus().getPodIP()).isEqualTo("10.1.2.3");
        Pod expected = (Pod) objectOf(fabric8, event);
        expected.getMetadata().setManagedFields(pod.getMetadata().getManagedFields());
        assertThat(pod).as("all else as fabric8 reads it").isEqualTo(expected);
    }

    @Test
    void fieldsAfterTheObjectAreStillRead() {
        WatchEvent event = json.unmarshal("{\"object\":" + POD + ",\"type\":\"DELETED\"}", WatchEvent.class);

        assertThat(event.getType()).isEqualTo("DELETED");
        assertThat(((Pod) event.getObject()).getMetadata().getName()).isEqualTo("p-1");
    }

    @Test
    void kindAndApiVersionAfterOtherFieldsAreFoundToo() {
        String event = """
                {"type":"ADDED","object":{"metadata":{"name":"settings","namespace":"team-a"},"data":{"k":"v"},
                 "apiVersion":"v1","immutable":true,"kind":"ConfigMap"}}""";

        KubernetesResource object = objectOf(json, event);

        assertThat(object).isInstanceOf(ConfigMap.class).isEqualTo(objectOf(fabric8, event));
        assertThat(((ConfigMap) object).getData()).containsEntry("k", "v");
        assertThat(((ConfigMap) object).getImmutable()).isTrue();
    }

    @Test
    void unregisteredKindsAndObjectsWithoutAKindReadAsFabric8ReadsThem() {
        String custom = """
                {"type":"ADDED","object":{"apiVersion":"example.com/v1","kind":"Widget",
                 "metadata":{"name":"w"},"spec":{"size":3,"parts":["a","b"]}}}""";
        String kindless = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":{}}}";

        assertThat(objectOf(json, custom)).isInstanceOf(GenericKubernetesResource.class)
                .isEqualTo(objectOf(fabric8, custom));
        assertThat(objectOf(json, kindless)).isEqualTo(objectOf(fabric8, kindless));
    }

    @Test
    void yamlAndBrokenJsonGoTheWayFabric8Goes() {
        Pod fromYaml = json.unmarshal("kind: Pod\napiVersion: v1\nmetadata:\n  name: from-yaml\n", Pod.class);

        assertThat(fromYaml.getMetadata().getName()).isEqualTo("from-yaml");
        assertThatThrownBy(() -> json.unmarshal("{\"kind\":\"Pod\",", Pod.class))
                .isInstanceOf(KubernetesClientException.class);
    }
}
