package io.capstan.runtime.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorsTest {

    private static LabelSelector expression(String key, String operator, String... values) {
        return new LabelSelectorBuilder().addNewMatchExpression().withKey(key).withOperator(operator).withValues(values)
                .endMatchExpression().build();
    }

    @Test
    void matchLabelsMustAllHold() {
        LabelSelector selector = new LabelSelectorBuilder().addToMatchLabels("app", "x").addToMatchLabels("tier", "web")
                .build();

        assertThat(LabelSelectors.matches(selector, Map.of("app", "x", "tier", "web", "other", "y"))).isTrue();
        assertThat(LabelSelectors.matches(selector, Map.of("app", "x"))).isFalse();
        assertThat(LabelSelectors.matches(selector, null)).isFalse();
    }

    @Test
    void expressionsFollowKubernetes() {
        assertThat(LabelSelectors.matches(expression("env", "In", "a", "b"), Map.of("env", "b"))).isTrue();
        assertThat(LabelSelectors.matches(expression("env", "In", "a"), Map.of())).isFalse();
        assertThat(LabelSelectors.matches(expression("env", "NotIn", "a"), Map.of())).isTrue();
        assertThat(LabelSelectors.matches(expression("env", "NotIn", "a"), Map.of("env", "a"))).isFalse();
        assertThat(LabelSelectors.matches(expression("env", "Exists"), Map.of("env", ""))).isTrue();
        assertThat(LabelSelectors.matches(expression("env", "DoesNotExist"), Map.of("env", ""))).isFalse();
    }

    @Test
    void anEmptySelectorMatchesEverythingAndNullNothing() {
        assertThat(LabelSelectors.matches(new LabelSelector(), Map.of("a", "b"))).isTrue();
        assertThat(LabelSelectors.isEmpty(new LabelSelector())).isTrue();
        assertThat(LabelSelectors.matches(null, Map.of())).isFalse();
    }

    @Test
    void badRequirementsAreRejected() {
        assertThatThrownBy(() -> LabelSelectors.matches(expression("env", "Near", "a"), Map.of()))
                .hasMessageContaining("\"Near\" is not a valid label selector operator");
        assertThatThrownBy(() -> LabelSelectors.matches(expression("env", "In"), Map.of()))
                .hasMessageContaining("needs values");
        assertThatThrownBy(() -> LabelSelectors.matches(expression("env", "Exists", "a"), Map.of()))
                .hasMessageContaining("takes no values");
    }
}
