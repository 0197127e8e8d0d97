package io.capstan.runtime.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;

class WatchesTest {

    private static ConfigMap child(String apiVersion, String kind, Boolean controller) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("child").addNewOwnerReference()
                .withApiVersion(apiVersion).withKind(kind).withName("owner").withUid("u").withController(controller)
                .endOwnerReference().endMetadata().build();
    }

    @Test
    void theControllingOwnerOfTheKindIsFoundInAnyVersionOfItsGroup() {
        assertThat(Watches.controllingOwner(child("frameworkcontroller.microsoft.com/v1", "Framework", true),
                "frameworkcontroller.microsoft.com", "Framework")).isEqualTo(new ObjectKey("ns", "owner"));
        assertThat(Watches.controllingOwner(child("v1", "ConfigMap", true), "", "ConfigMap"))
                .isEqualTo(new ObjectKey("ns", "owner"));
    }

    @Test
    void anOwnerThatDoesNotControlOrIsOfAnotherKindOrGroupIsNone() {
        assertThat(Watches.controllingOwner(child("v1", "ConfigMap", false), "", "ConfigMap")).isNull();
        assertThat(Watches.controllingOwner(child("v1", "ConfigMap", null), "", "ConfigMap")).isNull();
        assertThat(Watches.controllingOwner(child("v1", "Secret", true), "", "ConfigMap")).isNull();
        assertThat(Watches.controllingOwner(child("apps/v1", "ConfigMap", true), "", "ConfigMap")).isNull();
        assertThat(Watches.controllingOwner(new ConfigMapBuilder().withNewMetadata().withName("x").endMetadata().build(),
                "", "ConfigMap")).isNull();
    }

    @Test
    void aStatusWriteIsNotASpecChangeButANewGenerationIdentityOrDeletionIs() {
        ConfigMap before = new ConfigMapBuilder().withNewMetadata().withName("x").withUid("1").withGeneration(1L)
                .endMetadata().build();

        assertThat(Watches.specOrDeletionChanged(before, new ConfigMapBuilder(before).addToData("k", "v").build())).isFalse();
        assertThat(Watches.specOrDeletionChanged(before, new ConfigMapBuilder(before).editMetadata().withGeneration(2L)
                .endMetadata().build())).isTrue();
        assertThat(Watches.specOrDeletionChanged(before, new ConfigMapBuilder(before).editMetadata().withUid("2")
                .endMetadata().build())).isTrue();
        assertThat(Watches.specOrDeletionChanged(before, new ConfigMapBuilder(before).editMetadata()
                .withDeletionTimestamp("2026-01-01T00:00:00Z").endMetadata().build())).isTrue();
        assertThat(Watches.metadataOrSpecChanged(before, new ConfigMapBuilder(before).editMetadata().addToLabels("a", "b")
                .endMetadata().build())).isTrue();
    }
}
