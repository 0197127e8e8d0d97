package io.capstan.node.pod;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class PodComparisonTest {

    private static Pod pod() {
        return new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").withResourceVersion("1")
                .addToLabels("a", "1").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1")
                .addNewEnv().withName("A").withValue("1").endEnv().addNewEnv().withName("B").withValue("2").endEnv()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Pending").endStatus().build();
    }

    @Test
    void imageChangesMatterStatusChangesDoNot() {
        Pod base = pod();
        assertThat(PodComparison.updatableFieldsEqual(base, pod())).isTrue();
        Pod newImage = new PodBuilder(base).editSpec().editFirstContainer().withImage("img:2").endContainer().endSpec().build();
        assertThat(PodComparison.updatableFieldsEqual(base, newImage)).isFalse();
        Pod newStatus = new PodBuilder(base).editStatus().withPhase("Running").endStatus().build();
        assertThat(PodComparison.updatableFieldsEqual(base, newStatus)).isTrue();
    }

    @Test
    void resolvedEnvironmentOrderDoesNotMatter() {
        Pod reordered = new PodBuilder(pod()).editSpec().editFirstContainer().withEnv()
                .addNewEnv().withName("B").withValue("2").endEnv().addNewEnv().withName("A").withValue("1").endEnv()
                .endContainer().endSpec().build();
        assertThat(PodComparison.updatableFieldsEqual(pod(), reordered)).isTrue();
    }

    @Test
    void syncIsTriggeredByMetadataAndDeletionButNotByStatus() {
        Pod base = pod();
        assertThat(PodComparison.shouldSync(base, new PodBuilder(base).editMetadata().addToLabels("b", "2").endMetadata().build())).isTrue();
        assertThat(PodComparison.shouldSync(base, new PodBuilder(base).editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z")
                .endMetadata().build())).isTrue();
        assertThat(PodComparison.shouldSync(base, new PodBuilder(base).editMetadata().withDeletionGracePeriodSeconds(5L)
                .endMetadata().build())).isTrue();
        assertThat(PodComparison.shouldSync(base, new PodBuilder(base).editStatus().withPhase("Running").endStatus().build())).isFalse();
    }

    @Test
    void effectiveEqualityIgnoresResourceVersionAndStatusButNotLabels() {
        Pod base = pod();
        assertThat(PodComparison.effectivelyEqual(base, new PodBuilder(base).editMetadata().withResourceVersion("9").endMetadata()
                .editStatus().withPhase("Running").endStatus().build())).isTrue();
        assertThat(PodComparison.effectivelyEqual(base, new PodBuilder(base).editMetadata().addToLabels("x", "y").endMetadata()
                .build())).isFalse();
    }

    @Test
    void providerStatusKeepsUserLabelsAndOnlyAppliesWhatTheProviderChanged() {
        Pod given = pod();
        Pod server = new PodBuilder(given).editMetadata().addToLabels("user", "edited-later").endMetadata().build();
        Pod reported = new PodBuilder(given).editMetadata().addToLabels("a", "1").addToLabels("provider", "added")
                .addToAnnotations("provider/note", "x").endMetadata().withNewStatus().withPhase("Running").endStatus().build();

        Pod merged = PodController.withProviderStatus(server, reported, given);

        assertThat(merged.getMetadata().getLabels()).containsEntry("user", "edited-later").containsEntry("provider", "added")
                .containsEntry("a", "1");
        assertThat(merged.getMetadata().getAnnotations()).containsEntry("provider/note", "x");
        assertThat(merged.getStatus().getPhase()).isEqualTo("Running");
        assertThat(merged.getMetadata().getResourceVersion()).as("written against the server's version").isEqualTo("1");
    }

    @Test
    void theStatusPatchCarriesOnlyWhatChangedAndTheServersVersion() throws Exception {
        Pod server = new PodBuilder(pod()).editStatus().withMessage("stale message").endStatus().build();
        Pod updated = new PodBuilder(pod()).editMetadata().addToLabels("provider", "added").endMetadata()
                .editStatus().withPhase("Running").withPodIP("10.0.0.7").endStatus().build();
        KubernetesSerialization json = new KubernetesSerialization();

        JsonNode patch = json.unmarshal(PodController.statusPatch(json, server, updated), JsonNode.class);

        assertThat(patch).isEqualTo(json.unmarshal("""
                {"metadata": {"resourceVersion": "1", "labels": {"provider": "added"}},
                 "status": {"phase": "Running", "podIP": "10.0.0.7", "message": null}}""", JsonNode.class));
        assertThat(PodController.statusPatch(json, server, server))
                .as("nothing changed: only the version guard").isEqualTo("{\"metadata\":{\"resourceVersion\":\"1\"},\"status\":{}}");
    }
}
