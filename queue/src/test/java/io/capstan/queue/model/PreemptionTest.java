package io.capstan.queue.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.queue.model.Preemption.Admitted;
import io.capstan.queue.model.Preemption.Policy;
import io.capstan.queue.model.Preemption.ReclaimWithinCohort;
import io.capstan.queue.model.Preemption.WithinClusterQueue;
import io.capstan.queue.model.QuotaBook.FlavorQuotas;
import io.capstan.queue.model.QuotaBook.PodSetRequest;
import io.capstan.queue.model.QuotaBook.Queue;
import io.capstan.queue.model.QuotaBook.Quota;
import io.capstan.queue.model.QuotaBook.ResourceGroup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreemptionTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Queue queue(String name, String cohort, long nominal) {
        return new Queue(name, cohort, List.of(new ResourceGroup(List.of("cpu"), List.of(new FlavorQuotas("f",
                Map.of("cpu", new Quota(nominal * 1000, null, null)))))));
    }

    private static List<PodSetRequest> cpus(long n) {
        return List.of(new PodSetRequest("main", 1, Map.of("cpu", n * 1000)));
    }

    private final List<Admitted<String>> admitted = new ArrayList<>();

    private void admit(QuotaBook book, String name, String queue, int priority, long cpus, int admittedSecond) {
        QuotaBook.Fit fit = book.fit(queue, cpus(cpus));
        assertThat(fit.fits()).as(name).isTrue();
        book.add(queue, fit.assignments());
        admitted.add(new Admitted<>(name, queue, priority, T0, T0.plusSeconds(admittedSecond), fit.assignments()));
    }

    private static List<String> names(List<Admitted<String>> victims) {
        return victims.stream().map(Admitted::key).toList();
    }

    @Test
    void withinAQueueTheLowestPriorityAndThenTheNewestGoFirstAndNoMoreThanNeeded() {
        QuotaBook book = new QuotaBook(List.of(queue("cq", null, 4)));
        admit(book, "low-old", "cq", 1, 1, 1);
        admit(book, "low-new", "cq", 1, 1, 2);
        admit(book, "mid", "cq", 5, 2, 3);
        Policy lower = new Policy(WithinClusterQueue.LowerPriority, ReclaimWithinCohort.Never);
        assertThat(names(Preemption.victims(book, "cq", cpus(1), 10, T0, lower, admitted))).containsExactly("low-new");
        assertThat(names(Preemption.victims(book, "cq", cpus(2), 10, T0, lower, admitted)))
                .containsExactlyInAnyOrder("low-new", "low-old");
        assertThat(names(Preemption.victims(book, "cq", cpus(3), 10, T0, lower, admitted)))
                .as("the two lows are not enough alone; mid is needed, and then one low is not").hasSize(2).contains("mid");
        assertThat(Preemption.victims(book, "cq", cpus(1), 1, T0, lower, admitted)).as("equal priority").isEmpty();
        assertThat(Preemption.victims(book, "cq", cpus(5), 10, T0, lower, admitted)).as("never fits").isEmpty();
        assertThat(Preemption.victims(book, "cq", cpus(1), 10, T0, Policy.NEVER, admitted)).isEmpty();
    }

    @Test
    void equalPriorityNewerWorkloadsGoOnlyWithLowerOrNewerEqualPriority() {
        QuotaBook book = new QuotaBook(List.of(queue("cq", null, 1)));
        admit(book, "newer", "cq", 5, 1, 1);
        admitted.set(0, new Admitted<>("newer", "cq", 5, T0.plusSeconds(10), T0.plusSeconds(11),
                admitted.getFirst().assignments()));
        assertThat(Preemption.victims(book, "cq", cpus(1), 5, T0, new Policy(WithinClusterQueue.LowerPriority,
                ReclaimWithinCohort.Never), admitted)).isEmpty();
        assertThat(names(Preemption.victims(book, "cq", cpus(1), 5, T0, new Policy(
                WithinClusterQueue.LowerOrNewerEqualPriority, ReclaimWithinCohort.Never), admitted))).containsExactly("newer");
    }

    @Test
    void aQueueReclaimsItsNominalQuotaFromCohortMembersThatBorrowIt() {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", 2), queue("b", "pool", 2)));
        admit(book, "b-own", "b", 0, 2, 1);
        admit(book, "b-borrowed", "b", 0, 2, 2);
        assertThat(book.fit("a", cpus(2)).fits()).isFalse();
        Policy reclaim = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Any);
        assertThat(names(Preemption.victims(book, "a", cpus(2), 0, T0, reclaim, admitted)))
                .as("the most recently admitted of the borrower").containsExactly("b-borrowed");
        assertThat(Preemption.victims(book, "a", cpus(2), 0, T0, new Policy(WithinClusterQueue.Never,
                ReclaimWithinCohort.LowerPriority), admitted)).as("not lower priority").isEmpty();
    }

    @Test
    void aQueueAtItsNominalQuotaTakesFromItsCohortOnlyWithBorrowWithinCohortAndBelowTheThreshold() {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", 2), queue("b", "pool", 2), queue("c", "pool", 2)));
        admit(book, "a-own", "a", 0, 2, 1);
        admit(book, "b-own", "b", 3, 2, 2);
        admit(book, "b-borrowed-low", "b", 1, 1, 3);
        admit(book, "b-borrowed-high", "b", 8, 1, 4);
        // a is at its nominal quota: one more CPU means borrowing, and the cohort has none left to lend.
        assertThat(book.fit("a", cpus(1)).fits()).isFalse();
        Policy reclaimOnly = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Any);
        assertThat(Preemption.victims(book, "a", cpus(1), 5, T0, reclaimOnly, admitted))
                .as("no reclaiming just to borrow").isEmpty();
        Policy borrowing = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Any,
                Preemption.BorrowWithinCohort.LowerPriority, null);
        assertThat(names(Preemption.victims(book, "a", cpus(1), 5, T0, borrowing, admitted)))
                .as("lower priority only").containsExactly("b-borrowed-low");
        Policy threshold = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Any,
                Preemption.BorrowWithinCohort.LowerPriority, 0);
        assertThat(Preemption.victims(book, "a", cpus(1), 5, T0, threshold, admitted))
                .as("above the threshold of 0").isEmpty();
    }

    @Test
    void underItsNominalQuotaAQueueReclaimsOnlyWhatLetsItFitWithinThatQuota() {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", 2), queue("b", "pool", 2)));
        admit(book, "b-own", "b", 0, 2, 1);
        admit(book, "b-borrowed", "b", 0, 2, 2);
        Policy reclaim = new Policy(WithinClusterQueue.Never, ReclaimWithinCohort.Any);
        assertThat(names(Preemption.victims(book, "a", cpus(2), 0, T0, reclaim, admitted))).containsExactly("b-borrowed");
        assertThat(Preemption.victims(book, "a", cpus(3), 0, T0, reclaim, admitted))
                .as("3 CPUs would borrow beyond a's 2").isEmpty();
    }
}
