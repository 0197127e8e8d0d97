package io.capstan.lambda.hosted;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Metacontroller's selection modes for related objects (its pkg/controller/common/customize/manager.go). */
class RelatedSelectionTest {

    private static final LabelSelector TEAM_A = new LabelSelectorBuilder().addToMatchLabels("team", "a").build();
    private static final Map<String, String> A = Map.of("team", "a");
    private static final Map<String, String> B = Map.of("team", "b");

    private static Related.Rule rule(LabelSelector labels, LabelSelector namespaces, String namespace, List<String> names) {
        return new Related.Rule("v1", "configmaps", labels, namespaces, namespace, names);
    }

    private static boolean v2Selects(Related.Rule rule, String namespace, String name, Map<String, String> labels,
            Map<String, String> namespaceLabels) {
        return Related.selects(rule, true, null, true, namespace, name, labels, namespaceLabels);
    }

    @Test
    void namesPickThoseObjectsInTheNamespaceIfOneIsGiven() {
        assertThat(v2Selects(rule(null, null, null, List.of("x")), "any", "x", B, null)).isTrue();
        assertThat(v2Selects(rule(null, null, "ns", List.of("x")), "other", "x", B, null)).isFalse();
        assertThat(v2Selects(rule(null, null, null, List.of("x")), "any", "y", A, null)).isFalse();
    }

    @Test
    void aNamespaceAloneTakesEverythingInItAndWithALabelSelectorWhatMatches() {
        assertThat(v2Selects(rule(null, null, "ns", null), "ns", "x", B, null)).isTrue();
        assertThat(v2Selects(rule(TEAM_A, null, "ns", null), "ns", "x", B, null)).isFalse();
        assertThat(v2Selects(rule(TEAM_A, null, "ns", null), "ns", "x", A, null)).isTrue();
    }

    @Test
    void aNamespaceSelectorLooksAtTheNamespacesLabels() {
        assertThat(v2Selects(rule(null, TEAM_A, null, null), "ns", "x", B, A)).isTrue();
        assertThat(v2Selects(rule(null, TEAM_A, null, null), "ns", "x", A, B)).isFalse();
        assertThat(v2Selects(rule(TEAM_A, TEAM_A, null, null), "ns", "x", B, A)).isFalse();
    }

    @Test
    void onlyALabelSelectorMatchesEverywhereAndNothingAtAllSelectsNothing() {
        assertThat(v2Selects(rule(TEAM_A, null, null, null), "anywhere", "x", A, null)).isTrue();
        assertThat(v2Selects(rule(new LabelSelector(), null, null, null), "anywhere", "x", B, null)).isTrue();
        assertThat(v2Selects(rule(null, null, null, null), "anywhere", "x", A, null)).isFalse();
    }

    @Test
    void aV1HookOfANamespacedParentSeesOnlyItsNamespace() {
        Related.Rule everything = rule(new LabelSelector(), null, null, null);
        assertThat(Related.selects(everything, false, "mine", true, "mine", "x", A, null)).isTrue();
        assertThat(Related.selects(everything, false, "mine", true, "other", "x", A, null)).isFalse();
        assertThat(Related.selects(everything, true, "mine", true, "other", "x", A, null)).as("v2").isTrue();
        assertThat(Related.selects(everything, false, null, true, "other", "x", A, null)).as("cluster parent").isTrue();
    }
}
