package io.capstan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoDurationsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"10s, 10000", "500ms, 500", "1m30s, 90000", "1.5s, 1500", "2h, 7200000", "0, 0", "-1s, -1000"})
    void goDurations(String text, long millis) {
        assertThat(GoDurations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"", "10", "ten seconds", "5 m", "1d", "1s garbage"}) {
            assertThatThrownBy(() -> GoDurations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a duration");
        }
    }
}
