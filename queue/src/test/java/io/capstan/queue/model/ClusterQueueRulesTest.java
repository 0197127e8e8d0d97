package io.capstan.queue.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;

class ClusterQueueRulesTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void aValidSpecHasNoProblems() throws Exception {
        assertThat(ClusterQueueRules.problems(YAML.readTree("""
                cohort: pool
                preemption: {reclaimWithinCohort: Any, borrowWithinCohort: {policy: LowerPriority}}
                resourceGroups:
                - coveredResources: [cpu, memory]
                  flavors:
                  - name: a
                    resources: [{name: cpu, nominalQuota: 4, borrowingLimit: 2, lendingLimit: 1}, {name: memory, nominalQuota: 1Gi}]
                - coveredResources: [nvidia.com/gpu]
                  flavors:
                  - name: gpus
                    resources: [{name: nvidia.com/gpu, nominalQuota: 8}]
                """))).isEmpty();
    }

    @Test
    void everyBrokenRuleIsNamedByItsField() throws Exception {
        assertThat(ClusterQueueRules.problems(YAML.readTree("""
                preemption: {borrowWithinCohort: {policy: LowerPriority}}
                resourceGroups:
                - coveredResources: [cpu, memory]
                  flavors:
                  - name: a
                    resources: [{name: memory, nominalQuota: 1Gi}, {name: cpu, nominalQuota: 4, borrowingLimit: 2}]
                - coveredResources: [cpu]
                  flavors:
                  - name: a
                    resources: [{name: cpu, nominalQuota: 1, lendingLimit: 2}]
                """))).containsExactly(
                "spec.resourceGroups[0].flavors[0].resources[1].borrowingLimit: only a ClusterQueue in a cohort can borrow",
                "spec.resourceGroups[0].flavors[0].resources: must list the group's coveredResources [cpu, memory] in "
                        + "that order, not [memory, cpu]",
                "spec.resourceGroups[1].coveredResources: cpu is covered by another resource group",
                "spec.resourceGroups[1].flavors[0].name: flavor a is used by another resource group",
                "spec.resourceGroups[1].flavors[0].resources[0].lendingLimit: only a ClusterQueue in a cohort can lend",
                "spec.resourceGroups[1].flavors[0].resources[0].lendingLimit: must not exceed nominalQuota",
                "spec.preemption.borrowWithinCohort: needs reclaimWithinCohort other than Never");
    }
}
