package io.capstan.lambda.hosted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;

class SyncResponseTest {

    @Test
    void looseDecodingIgnoresUnknownFieldsAndNullChildren() {
        SyncResponse response = SyncResponse.parse("""
                {"status": {"ready": 1}, "children": [null, {"apiVersion": "v1", "kind": "ConfigMap"}],
                 "resyncAfterSeconds": 2.5, "extra": true}
                """, false);

        assertThat(response.status().path("ready").asInt()).isEqualTo(1);
        assertThat(response.children()).hasSize(1);
        assertThat(response.resyncAfterSeconds()).isEqualTo(2.5);
        assertThat(response.finalized()).isFalse();
    }

    @Test
    void strictDecodingRefusesUnknownAndRepeatedFields() {
        assertThatThrownBy(() -> SyncResponse.parse("{\"status\": {}, \"extra\": 1}", true))
                .hasMessageContaining("cannot be decoded (strict)").hasMessageContaining("extra");
        assertThatThrownBy(() -> SyncResponse.parse("{\"status\": {}, \"status\": {}}", true))
                .hasMessageContaining("Duplicate field 'status'");
    }

    @Test
    void noChildrenMeansNone() {
        assertThat(SyncResponse.parse("{}", false).children()).isEmpty();
        assertThat(SyncResponse.parse("{\"children\": null}", true).children()).isEmpty();
        assertThatThrownBy(() -> SyncResponse.parse("not json", false)).hasMessageContaining("cannot be decoded");
    }

    @Test
    void mapKeysAreRelativeForV1UnderANamespacedParentAndUniformForV2() {
        var parent = new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("p").endMetadata().build();
        var clusterParent = new ConfigMapBuilder().withNewMetadata().withName("p").endMetadata().build();
        var child = new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("c").endMetadata().build();
        var clusterChild = new ConfigMapBuilder().withNewMetadata().withName("c").endMetadata().build();

        assertThat(ObjectMaps.key(parent, child, false)).isEqualTo("c");
        assertThat(ObjectMaps.key(parent, child, true)).isEqualTo("ns/c");
        assertThat(ObjectMaps.key(clusterParent, child, false)).isEqualTo("ns/c");
        assertThat(ObjectMaps.key(clusterParent, clusterChild, false)).isEqualTo("c");
        assertThat(ObjectMaps.key(parent, clusterChild, true)).isEqualTo("c");
    }
}
