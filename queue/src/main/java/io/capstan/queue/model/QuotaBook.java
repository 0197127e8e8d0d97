package io.capstan.queue.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The quota of every ClusterQueue and what admitted workloads use of it, and the decision whether a workload fits
 * (kubernetes-sigs/kueue, site/content/en/docs/concepts/cluster_queue.md): per podSet and resource group, the flavors
 * are tried in order and the first one in which every requested resource of the group fits is assigned. A request fits
 * a flavor when the ClusterQueue's usage stays within its nominal quota, or — borrowing — within nominal quota plus its
 * borrowing limit while the cohort's lendable quota covers what its members use beyond what they keep for themselves
 * ({@code nominalQuota − lendingLimit}) — so a queue's own nominal quota, while another member borrows it, is not free
 * for it either (taking it back would be preemption). Pure: no clocks, no API; amounts in thousandths
 * ({@link Resources}).
 */
public final class QuotaBook {

    /** One resource of one flavor in a ClusterQueue; null limits mean none. */
    public record Quota(long nominal, Long borrowingLimit, Long lendingLimit) {
        long lendable() {
            return lendingLimit == null ? nominal : Math.min(lendingLimit, nominal);
        }

        long guaranteed() {
            return nominal - lendable();
        }
    }

    public record FlavorQuotas(String flavor, Map<String, Quota> resources) {
    }

    public record ResourceGroup(List<String> coveredResources, List<FlavorQuotas> flavors) {
    }

    /** A ClusterQueue as the book sees it; {@code cohort} null when it has none. */
    public record Queue(String name, String cohort, List<ResourceGroup> resourceGroups) {
    }

    /** One podSet of a workload: how many pods, and what each requests. */
    public record PodSetRequest(String name, int count, Map<String, Long> perPod) {
        Map<String, Long> total() {
            return Resources.times(perPod, count);
        }
    }

    /** Where a podSet's resources go: a flavor per resource, and the usage. */
    public record Assignment(String podSet, int count, Map<String, String> flavors, Map<String, Long> usage) {
    }

    /** The outcome for one workload: its assignments when it fits, else why not; {@code borrows} when it borrows. */
    public record Fit(List<Assignment> assignments, boolean borrows, String reason) {
        public boolean fits() {
            return reason == null;
        }
    }

    private final Map<String, Queue> queues = new LinkedHashMap<>();
    /** queue → flavor → resource → amount in use. */
    private final Map<String, Map<String, Map<String, Long>>> usage = new HashMap<>();

    public QuotaBook(List<Queue> queues) {
        queues.forEach(q -> this.queues.put(q.name(), q));
    }

    public Queue queue(String name) {
        return queues.get(name);
    }

    /** Records what an admitted workload uses. */
    public void add(String queue, List<Assignment> assignments) {
        for (Assignment assignment : assignments) {
            assignment.usage().forEach((resource, amount) -> {
                String flavor = assignment.flavors().get(resource);
                if (flavor != null) {
                    usage.computeIfAbsent(queue, q -> new HashMap<>()).computeIfAbsent(flavor, f -> new TreeMap<>())
                            .merge(resource, amount, Long::sum);
                }
            });
        }
    }

    /** Gives back what an admitted workload used. */
    public void remove(String queue, List<Assignment> assignments) {
        for (Assignment assignment : assignments) {
            assignment.usage().forEach((resource, amount) -> {
                String flavor = assignment.flavors().get(resource);
                if (flavor != null) {
                    usage.computeIfAbsent(queue, q -> new HashMap<>()).computeIfAbsent(flavor, f -> new TreeMap<>())
                            .merge(resource, -amount, Long::sum);
                }
            });
        }
    }

    /** A book with the same quotas and usage, to try things on. */
    public QuotaBook copy() {
        QuotaBook copy = new QuotaBook(List.copyOf(queues.values()));
        usage.forEach((queue, flavors) -> flavors.forEach((flavor, resources) -> copy.usage
                .computeIfAbsent(queue, q -> new HashMap<>()).put(flavor, new TreeMap<>(resources))));
        return copy;
    }

    public long used(String queue, String flavor, String resource) {
        return usage.getOrDefault(queue, Map.of()).getOrDefault(flavor, Map.of()).getOrDefault(resource, 0L);
    }

    /** What a queue uses, flavor → resource → amount. */
    public Map<String, Map<String, Long>> usage(String queue) {
        return usage.getOrDefault(queue, Map.of());
    }

    /** How much of a queue's use of a flavor's resource is beyond its nominal quota. */
    public long borrowed(String queue, String flavor, String resource) {
        Quota quota = quotaOf(queues.get(queue), flavor, resource);
        return quota == null ? 0 : Math.max(0, used(queue, flavor, resource) - quota.nominal());
    }

    /** Whether the workload's podSets fit the queue now, all of them together. */
    public Fit fit(String queueName, List<PodSetRequest> podSets) {
        Queue queue = queues.get(queueName);
        // A trial book: the podSets of one workload add up before the next one is placed.
        Map<String, Map<String, Long>> trial = new HashMap<>();
        List<Assignment> assignments = new ArrayList<>();
        boolean borrows = false;
        for (PodSetRequest podSet : podSets) {
            Map<String, Long> total = podSet.total();
            Map<String, String> flavors = new TreeMap<>();
            for (String resource : total.keySet()) {
                if (total.get(resource) == 0 || flavors.containsKey(resource)) {
                    continue;
                }
                ResourceGroup group = groupCovering(queue, resource);
                if (group == null) {
                    if (resource.equals(Resources.PODS)) {
                        continue;
                    }
                    return new Fit(List.of(), false, "podSet " + podSet.name() + ": resource " + resource
                            + " is not covered by ClusterQueue " + queueName);
                }
                String chosen = null;
                StringBuilder why = new StringBuilder();
                for (FlavorQuotas flavor : group.flavors()) {
                    String problem = fitsFlavor(queue, flavor, group, total, trial);
                    if (problem == null) {
                        chosen = flavor.flavor();
                        break;
                    }
                    why.append(why.isEmpty() ? "" : "; ").append(problem);
                }
                if (chosen == null) {
                    return new Fit(List.of(), false, "podSet " + podSet.name() + ": " + why);
                }
                for (String covered : group.coveredResources()) {
                    if (total.getOrDefault(covered, 0L) > 0) {
                        flavors.put(covered, chosen);
                        long after = used(queueName, chosen, covered) + trialUse(trial, chosen, covered)
                                + total.get(covered);
                        borrows |= after > quotaOf(queue, chosen, covered).nominal();
                        trial.computeIfAbsent(chosen, f -> new TreeMap<>()).merge(covered, total.get(covered), Long::sum);
                    }
                }
            }
            Map<String, Long> usageOfPodSet = new TreeMap<>(total);
            usageOfPodSet.keySet().retainAll(flavors.keySet());
            assignments.add(new Assignment(podSet.name(), podSet.count(), flavors, usageOfPodSet));
        }
        return new Fit(assignments, borrows, null);
    }

    /** Null when every requested resource of the group fits this flavor, else what is missing. */
    private String fitsFlavor(Queue queue, FlavorQuotas flavor, ResourceGroup group, Map<String, Long> total,
            Map<String, Map<String, Long>> trial) {
        for (String resource : group.coveredResources()) {
            long needed = total.getOrDefault(resource, 0L);
            if (needed == 0) {
                continue;
            }
            Quota quota = flavor.resources().get(resource);
            if (quota == null) {
                return "flavor " + flavor.flavor() + " has no quota for " + resource;
            }
            long used = used(queue.name(), flavor.flavor(), resource) + trialUse(trial, flavor.flavor(), resource);
            long after = used + needed;
            if (after <= quota.guaranteed() || (queue.cohort() == null && after <= quota.nominal())) {
                continue;
            }
            // Within a cohort, even nominal quota may be lent out at the moment: the cohort's books must balance.
            long ceiling = quota.borrowingLimit() == null ? Long.MAX_VALUE : quota.nominal() + quota.borrowingLimit();
            if (queue.cohort() == null || after > ceiling) {
                long limit = queue.cohort() == null ? quota.nominal() : ceiling;
                // What it needs and the limit, never the amount in use: that changes with every admission, and a
                // message that changes would rewrite every waiting Workload's status each time.
                return "insufficient quota for " + resource + " in flavor " + flavor.flavor() + ": needs "
                        + Resources.format(needed) + " within a limit of " + Resources.format(limit);
            }
            long lendable = 0;
            long lent = 0;
            for (Queue member : queues.values()) {
                if (!queue.cohort().equals(member.cohort())) {
                    continue;
                }
                Quota memberQuota = quotaOf(member, flavor.flavor(), resource);
                if (memberQuota == null) {
                    continue;
                }
                lendable += memberQuota.lendable();
                long memberUse = member == queue ? after : used(member.name(), flavor.flavor(), resource);
                lent += Math.max(0, memberUse - memberQuota.guaranteed());
            }
            if (lent > lendable) {
                return "insufficient unused quota for " + resource + " in flavor " + flavor.flavor() + " in cohort "
                        + queue.cohort() + ": needs " + Resources.format(needed);
            }
        }
        return null;
    }

    private static long trialUse(Map<String, Map<String, Long>> trial, String flavor, String resource) {
        return trial.getOrDefault(flavor, Map.of()).getOrDefault(resource, 0L);
    }

    private static ResourceGroup groupCovering(Queue queue, String resource) {
        for (ResourceGroup group : queue.resourceGroups()) {
            if (group.coveredResources().contains(resource)) {
                return group;
            }
        }
        return null;
    }

    static Quota quotaOf(Queue queue, String flavor, String resource) {
        if (queue == null) {
            return null;
        }
        for (ResourceGroup group : queue.resourceGroups()) {
            for (FlavorQuotas quotas : group.flavors()) {
                if (quotas.flavor().equals(flavor) && quotas.resources().containsKey(resource)) {
                    return quotas.resources().get(resource);
                }
            }
        }
        return null;
    }

    /** The flavors a queue names, for checking that each exists. */
    public static Set<String> flavorsOf(Queue queue) {
        Set<String> names = new java.util.LinkedHashSet<>();
        queue.resourceGroups().forEach(g -> g.flavors().forEach(f -> names.add(f.flavor())));
        return names;
    }
}
