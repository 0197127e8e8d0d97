package io.capstan.queue.model;

import io.capstan.queue.model.QuotaBook.Assignment;
import io.capstan.queue.model.QuotaBook.PodSetRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Kueue's classic preemption (kubernetes-sigs/kueue, site/content/en/docs/concepts/preemption.md): which admitted
 * workloads a pending one may evict to fit. Candidates are the workloads of its own ClusterQueue that
 * {@code withinClusterQueue} allows (lower priority; or, with {@code LowerOrNewerEqualPriority}, equal priority and
 * newer) and those of other ClusterQueues of its cohort that borrow, as {@code reclaimWithinCohort} allows (any, or
 * lower priority). They are taken — from borrowing queues first, lowest priority first, most recently admitted first —
 * until the preemptor fits, then any that turn out not to be needed are given back.
 *
 * <p>Whether the preemptor may end up borrowing decides which candidates count, as in Kueue's preemptor: with
 * {@code borrowWithinCohort: LowerPriority} it may (and, if its queue is already at its nominal quota, cohort members'
 * workloads above {@code maxPriorityThreshold} are spared); without it, cohort members' workloads are taken only while
 * its queue is under its nominal quota and only so that it fits within that quota, and otherwise only its own queue's
 * workloads, borrowing allowed. So no queue evicts its peers' workloads merely to borrow from them. Pure.
 */
public final class Preemption {

    /** A ClusterQueue's preemption policies. */
    public enum WithinClusterQueue { Never, LowerPriority, LowerOrNewerEqualPriority }

    public enum ReclaimWithinCohort { Never, LowerPriority, Any }

    public enum BorrowWithinCohort { Never, LowerPriority }

    /**
     * @param maxPriorityThreshold with {@code borrowWithinCohort}, the highest priority of another queue's workload a
     *                             borrowing preemptor may evict (always lower than its own), or null for no threshold
     */
    public record Policy(WithinClusterQueue withinClusterQueue, ReclaimWithinCohort reclaimWithinCohort,
            BorrowWithinCohort borrowWithinCohort, Integer maxPriorityThreshold) {
        public static final Policy NEVER = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Never);

        public Policy(WithinClusterQueue withinClusterQueue, ReclaimWithinCohort reclaimWithinCohort) {
            this(withinClusterQueue, reclaimWithinCohort, BorrowWithinCohort.Never, null);
        }

        public boolean never() {
            return withinClusterQueue == WithinClusterQueue.Never && reclaimWithinCohort == ReclaimWithinCohort.Never;
        }
    }

    /** An admitted workload that could be evicted. */
    public record Admitted<K>(K key, String queue, int priority, Instant created, Instant admittedAt,
            List<Assignment> assignments) {
    }

    private Preemption() {
    }

    /**
     * The workloads to evict so that the preemptor fits, or an empty list when no allowed set of evictions makes it
     * fit.
     */
    public static <K> List<Admitted<K>> victims(QuotaBook book, String queue, List<PodSetRequest> podSets, int priority,
            Instant created, Policy policy, List<Admitted<K>> admitted) {
        if (policy.never()) {
            return List.of();
        }
        QuotaBook.Queue own = book.queue(queue);
        List<Admitted<K>> candidates = new ArrayList<>();
        for (Admitted<K> workload : admitted) {
            if (workload.queue().equals(queue)) {
                boolean allowed = switch (policy.withinClusterQueue()) {
                    case Never -> false;
                    case LowerPriority -> workload.priority() < priority;
                    case LowerOrNewerEqualPriority -> workload.priority() < priority
                            || (workload.priority() == priority && workload.created().isAfter(created));
                };
                if (allowed) {
                    candidates.add(workload);
                }
            } else if (own.cohort() != null && book.queue(workload.queue()) != null
                    && own.cohort().equals(book.queue(workload.queue()).cohort()) && borrows(book, workload.queue())) {
                boolean allowed = switch (policy.reclaimWithinCohort()) {
                    case Never -> false;
                    case LowerPriority -> workload.priority() < priority;
                    case Any -> true;
                };
                if (allowed) {
                    candidates.add(workload);
                }
            }
        }
        // Borrowers of the cohort first (false sorts first), then the lowest priority, then the most recently admitted.
        candidates.sort(Comparator.<Admitted<K>, Boolean>comparing(w -> w.queue().equals(queue))
                .thenComparingInt(Admitted::priority)
                .thenComparing(Admitted::admittedAt, Comparator.reverseOrder()));
        boolean underNominal = underNominal(book, own, podSets);
        if (policy.borrowWithinCohort() == BorrowWithinCohort.LowerPriority) {
            List<Admitted<K>> allowed = candidates;
            if (!underNominal) {
                // Borrowing to fit: another queue's workload goes only if of lower priority, and not above the threshold.
                allowed = candidates.stream().filter(w -> w.queue().equals(queue) || (w.priority() < priority
                        && (policy.maxPriorityThreshold() == null || w.priority() <= policy.maxPriorityThreshold())))
                        .toList();
            }
            return minimal(book, queue, podSets, allowed, true);
        }
        if (underNominal) {
            List<Admitted<K>> withinNominal = minimal(book, queue, podSets, candidates, false);
            if (!withinNominal.isEmpty()) {
                return withinNominal;
            }
        }
        return minimal(book, queue, podSets, candidates.stream().filter(w -> w.queue().equals(queue)).toList(), true);
    }

    /**
     * Whether the queue uses less than its nominal quota of every resource the preemptor asks for, in some flavor that
     * could hold it: only then may it take back what its cohort borrows.
     */
    private static boolean underNominal(QuotaBook book, QuotaBook.Queue queue, List<PodSetRequest> podSets) {
        for (PodSetRequest podSet : podSets) {
            for (var request : podSet.total().entrySet()) {
                if (request.getValue() == 0) {
                    continue;
                }
                boolean room = false;
                for (QuotaBook.ResourceGroup group : queue.resourceGroups()) {
                    if (!group.coveredResources().contains(request.getKey())) {
                        continue;
                    }
                    for (QuotaBook.FlavorQuotas flavor : group.flavors()) {
                        QuotaBook.Quota quota = flavor.resources().get(request.getKey());
                        room |= quota != null && book.used(queue.name(), flavor.flavor(), request.getKey())
                                < quota.nominal();
                    }
                }
                if (!room && !request.getKey().equals(Resources.PODS)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Candidates taken in order until the preemptor fits — within its nominal quota unless {@code mayBorrow} — then
     * those it can do without given back; empty when it never fits.
     */
    private static <K> List<Admitted<K>> minimal(QuotaBook book, String queue, List<PodSetRequest> podSets,
            List<Admitted<K>> candidates, boolean mayBorrow) {
        java.util.function.Predicate<QuotaBook> fits = trialBook -> {
            QuotaBook.Fit fit = trialBook.fit(queue, podSets);
            return fit.fits() && (mayBorrow || !fit.borrows());
        };
        QuotaBook trial = book.copy();
        List<Admitted<K>> taken = new ArrayList<>();
        for (Admitted<K> candidate : candidates) {
            trial.remove(candidate.queue(), candidate.assignments());
            taken.add(candidate);
            if (fits.test(trial)) {
                // Give back, last taken first, every one the preemptor can do without.
                for (int i = taken.size() - 1; i >= 0; i--) {
                    Admitted<K> victim = taken.get(i);
                    trial.add(victim.queue(), victim.assignments());
                    if (fits.test(trial)) {
                        taken.remove(i);
                    } else {
                        trial.remove(victim.queue(), victim.assignments());
                    }
                }
                return taken;
            }
        }
        return List.of();
    }

    /** Whether a queue uses more than its nominal quota of anything. */
    private static boolean borrows(QuotaBook book, String queue) {
        for (var flavor : book.usage(queue).entrySet()) {
            for (String resource : flavor.getValue().keySet()) {
                if (book.borrowed(queue, flavor.getKey(), resource) > 0) {
                    return true;
                }
            }
        }
        return false;
    }
}
