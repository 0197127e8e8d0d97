package io.capstan.appwrapper.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AutopilotTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static ObjectNode podSpec(String yaml) throws Exception {
        return (ObjectNode) YAML.readTree(yaml);
    }

    @Test
    void aGpuPodIsKeptOffNodesAutopilotMarksAndPrefersNodesWithoutWarnings() throws Exception {
        ObjectNode spec = podSpec("containers: [{name: main, resources: {limits: {nvidia.com/gpu: 1}}}]");

        Autopilot.DEFAULTS.injectAntiAffinities(spec);

        assertThat(spec.path("affinity").path("nodeAffinity").toString()).isEqualTo(
                "{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":"
                        + "[{\"key\":\"autopilot.ibm.com/gpuhealth\",\"operator\":\"NotIn\",\"values\":[\"TESTING\",\"EVICT\"]}]}]},"
                        + "\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":50,\"preference\":{\"matchExpressions\":"
                        + "[{\"key\":\"autopilot.ibm.com/gpuhealth\",\"operator\":\"NotIn\",\"values\":[\"WARN\"]}]}}]}");
    }

    @Test
    void everyExistingRequiredTermGetsTheExpressionSinceTermsAreAlternatives() throws Exception {
        ObjectNode spec = podSpec("""
                containers: [{name: main, resources: {requests: {nvidia.com/gpu: "2"}}}]
                affinity:
                  nodeAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms:
                      - matchExpressions: [{key: zone, operator: In, values: [a]}]
                      - matchExpressions: [{key: zone, operator: In, values: [b]}]
                """);

        Autopilot.DEFAULTS.injectAntiAffinities(spec);

        var terms = spec.path("affinity").path("nodeAffinity").path("requiredDuringSchedulingIgnoredDuringExecution")
                .path("nodeSelectorTerms");
        assertThat(terms).hasSize(2);
        assertThat(terms).allSatisfy(term -> assertThat(term.path("matchExpressions")).hasSize(2));
    }

    @Test
    void podsThatUseNoConfiguredResourceAreLeftAlone() throws Exception {
        ObjectNode spec = podSpec("containers: [{name: main, resources: {requests: {cpu: 1, nvidia.com/gpu: 0}}}]");

        Autopilot.DEFAULTS.injectAntiAffinities(spec);
        Autopilot.OFF.injectAntiAffinities(podSpec("containers: [{name: main, resources: {limits: {nvidia.com/gpu: 1}}}]"));

        assertThat(spec.has("affinity")).isFalse();
    }

    @Test
    void onlyALabelWhoseValueMeansNoExecuteMakesPodsLeave() {
        assertThat(Autopilot.DEFAULTS.noExecuteResources(Map.of("autopilot.ibm.com/gpuhealth", "EVICT")))
                .containsExactly("nvidia.com/gpu");
        assertThat(Autopilot.DEFAULTS.noExecuteResources(Map.of("autopilot.ibm.com/gpuhealth", "TESTING"))).isEmpty();
        assertThat(Autopilot.DEFAULTS.noExecuteResources(Map.of())).isEmpty();
        assertThat(Autopilot.OFF.noExecuteResources(Map.of("autopilot.ibm.com/gpuhealth", "EVICT"))).isEmpty();
    }

    @Test
    void anUnknownEffectIsRefused() {
        assertThatThrownBy(() -> new Autopilot(true, true, 50, Map.of("gpu", List.of(new Autopilot.Taint("k", "v",
                "Evict"))))).hasMessageContaining("effect Evict is not NoSchedule, PreferNoSchedule or NoExecute");
    }
}
