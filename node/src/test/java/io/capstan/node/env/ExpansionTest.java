package io.capstan.node.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpansionTest {

    private static final Map<String, String> VARS = Map.of("A", "a", "B", "b", "EMPTY", "");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "$(A)|a",
        "x$(A)y|xay",
        "$(A)$(B)|ab",
        "$(MISSING)|$(MISSING)",
        "$$(A)|$(A)",
        "$$|$",
        "$(A|$(A",
        "$x|$x",
        "tail$|tail$",
        "$(EMPTY)-|-",
        "no vars|no vars",
    })
    void expandsLikeTheKubelet(String input, String expected) {
        assertThat(Expansion.expand(input, VARS::get)).isEqualTo(expected);
    }

    @Property
    void textWithoutDollarSignsIsUnchanged(@ForAll @CharRange(from = ' ', to = '#') String text) {
        assertThat(Expansion.expand(text, VARS::get)).isEqualTo(text);
    }

    @Property
    void anEscapedReferenceSurvivesOneExpansionLiterally(@ForAll @CharRange(from = 'A', to = 'Z') String name) {
        assertThat(Expansion.expand("$$(" + name + ")", VARS::get)).isEqualTo("$(" + name + ")");
    }
}
