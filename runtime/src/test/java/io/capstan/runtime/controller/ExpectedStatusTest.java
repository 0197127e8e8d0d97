package io.capstan.runtime.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The expected-status discipline with a status that is a map and writes that are recorded (or refused). */
class ExpectedStatusTest {

    private final List<String> writes = new ArrayList<>();
    private boolean refuseWrites;
    private final ExpectedStatus<ConfigMap, Map<String, String>> expected = new ExpectedStatus<>(TreeMap::new,
            (object, status) -> {
                if (refuseWrites) {
                    throw new IllegalStateException("the API server is away");
                }
                writes.add(object.getMetadata().getUid() + " " + status);
            });

    private static ConfigMap object(String uid) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("x").withUid(uid).endMetadata().build();
    }

    @Test
    void withNothingDecidedTheCachedStatusIsTheStartAsACopy() {
        Map<String, String> cached = new TreeMap<>(Map.of("state", "Pending"));

        Map<String, String> current = expected.current(object("1"), cached);
        current.put("state", "Running");

        assertThat(cached).containsEntry("state", "Pending");
        assertThat(expected.current(object("1"), null)).isNull();
    }

    @Test
    void aStaleCacheNeverTakesStatusBack() {
        expected.write(object("1"), Map.of("state", "Running"));

        assertThat(expected.current(object("1"), Map.of("state", "Pending"))).containsEntry("state", "Running");
        assertThat(writes).containsExactly("1 {state=Running}");
    }

    @Test
    void aWriteThatFailedIsDoneAgainBeforeTheNextReconcileBuildsOnIt() {
        refuseWrites = true;
        assertThatThrownBy(() -> expected.write(object("1"), Map.of("state", "Running"))).hasMessageContaining("away");
        refuseWrites = false;

        assertThat(expected.current(object("1"), Map.of("state", "Pending"))).containsEntry("state", "Running");
        assertThat(writes).containsExactly("1 {state=Running}");
        expected.current(object("1"), null);
        assertThat(writes).as("written once it went through").hasSize(1);
    }

    @Test
    void aRecreatedObjectOfTheSameNameStartsFromItsOwnStatus() {
        expected.write(object("1"), Map.of("state", "Completed"));

        assertThat(expected.current(object("2"), null)).isNull();
        expected.forget(ObjectKey.of(object("2")));
        assertThat(expected.size()).isZero();
    }
}
