package io.capstan.queue.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What makes a ClusterQueue's spec valid beyond its schema — the rules Kueue checks in its webhook and its CRD's CEL
 * rules (kubernetes-sigs/kueue, pkg/webhooks/clusterqueue_webhook.go), which a Kubernetes 1.20 schema cannot express:
 * each flavor of a resource group lists exactly the group's covered resources, in the same order; a resource is
 * covered and a flavor used by one group only; borrowing and lending limits need a cohort; a lending limit is at most
 * the nominal quota; {@code borrowWithinCohort} needs {@code reclaimWithinCohort}. Pure.
 */
public final class ClusterQueueRules {

    private ClusterQueueRules() {
    }

    /** What is wrong with a ClusterQueue's spec (as JSON), each naming the field; empty when nothing is. */
    public static List<String> problems(JsonNode spec) {
        List<String> problems = new ArrayList<>();
        boolean cohort = !spec.path("cohortName").asText(spec.path("cohort").asText("")).isEmpty();
        Set<String> coveredSoFar = new HashSet<>();
        Set<String> flavorsSoFar = new HashSet<>();
        int g = 0;
        for (JsonNode group : spec.path("resourceGroups")) {
            String at = "spec.resourceGroups[" + g + "]";
            List<String> covered = new ArrayList<>();
            group.path("coveredResources").forEach(r -> covered.add(r.asText()));
            for (String resource : covered) {
                if (!coveredSoFar.add(resource)) {
                    problems.add(at + ".coveredResources: " + resource + " is covered by another resource group");
                }
            }
            int f = 0;
            for (JsonNode flavor : group.path("flavors")) {
                String flavorAt = at + ".flavors[" + f + "]";
                String name = flavor.path("name").asText();
                if (!flavorsSoFar.add(name)) {
                    problems.add(flavorAt + ".name: flavor " + name + " is used by another resource group");
                }
                List<String> listed = new ArrayList<>();
                int r = 0;
                for (JsonNode resource : flavor.path("resources")) {
                    String resourceAt = flavorAt + ".resources[" + r + "]";
                    listed.add(resource.path("name").asText());
                    if (!cohort && resource.has("borrowingLimit")) {
                        problems.add(resourceAt + ".borrowingLimit: only a ClusterQueue in a cohort can borrow");
                    }
                    if (!cohort && resource.has("lendingLimit")) {
                        problems.add(resourceAt + ".lendingLimit: only a ClusterQueue in a cohort can lend");
                    }
                    if (resource.has("lendingLimit") && resource.has("nominalQuota")
                            && Resources.milli(resource.path("lendingLimit")) > Resources.milli(resource.path("nominalQuota"))) {
                        problems.add(resourceAt + ".lendingLimit: must not exceed nominalQuota");
                    }
                    r++;
                }
                if (!listed.equals(covered)) {
                    problems.add(flavorAt + ".resources: must list the group's coveredResources " + covered
                            + " in that order, not " + listed);
                }
                f++;
            }
            g++;
        }
        JsonNode preemption = spec.path("preemption");
        if (!"Never".equals(preemption.path("borrowWithinCohort").path("policy").asText("Never"))
                && "Never".equals(preemption.path("reclaimWithinCohort").asText("Never"))) {
            problems.add("spec.preemption.borrowWithinCohort: needs reclaimWithinCohort other than Never");
        }
        return problems;
    }
}
