package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
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
}
