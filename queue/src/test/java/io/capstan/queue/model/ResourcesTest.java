package io.capstan.queue.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResourcesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"2, 2000", "500m, 500", "1.5, 1500", "1Ki, 1024000", "1Gi, 1073741824000", "100M, 100000000000"})
    void quantitiesAreCountedInThousandths(String quantity, long milli) {
        assertThat(Resources.milli(quantity)).isEqualTo(milli);
    }

    @Test
    void aPodRequestsItsContainersSumAtLeastAnyInitContainerLimitsStandingInForRequestsPlusOverhead() throws Exception {
        var template = new YAMLMapper().readTree("""
                spec:
                  overhead: {cpu: 100m}
                  initContainers:
                  - {name: setup, resources: {requests: {cpu: "3", memory: 1Gi}}}
                  containers:
                  - {name: a, resources: {requests: {cpu: "1"}}}
                  - {name: b, resources: {limits: {cpu: 500m, memory: 2Gi}}}
                """);
        assertThat(Resources.perPod(template)).containsEntry("cpu", 3100L)
                .containsEntry("memory", 2L * 1073741824000L).containsEntry(Resources.PODS, 1000L);
    }

    @Test
    void thousandthsAreWrittenBackAsQuantities() {
        assertThat(Resources.format(2000)).isEqualTo("2");
        assertThat(Resources.format(1500)).isEqualTo("1500m");
    }
}
