package io.capstan.queue.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.queue.model.QuotaBook.FlavorQuotas;
import io.capstan.queue.model.QuotaBook.PodSetRequest;
import io.capstan.queue.model.QuotaBook.Queue;
import io.capstan.queue.model.QuotaBook.Quota;
import io.capstan.queue.model.QuotaBook.ResourceGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class QuotaBookTest {

    private static Queue queue(String name, String cohort, FlavorQuotas... flavors) {
        return new Queue(name, cohort, List.of(new ResourceGroup(List.of("cpu"), List.of(flavors))));
    }

    private static FlavorQuotas cpu(String flavor, long nominal, Long borrowingLimit, Long lendingLimit) {
        return new FlavorQuotas(flavor, Map.of("cpu", new Quota(nominal * 1000, borrowingLimit == null ? null
                : borrowingLimit * 1000, lendingLimit == null ? null : lendingLimit * 1000)));
    }

    private static List<PodSetRequest> cpus(int pods, long each) {
        return List.of(new PodSetRequest("main", pods, Map.of("cpu", each * 1000, Resources.PODS, 1000L)));
    }

    private static boolean admit(QuotaBook book, String queue, List<PodSetRequest> request) {
        QuotaBook.Fit fit = book.fit(queue, request);
        if (fit.fits()) {
            book.add(queue, fit.assignments());
        }
        return fit.fits();
    }

    @Test
    void aGangFitsWholeOrNotAtAll() {
        QuotaBook book = new QuotaBook(List.of(queue("cq", null, cpu("default", 4, null, null))));
        assertThat(admit(book, "cq", cpus(3, 1))).isTrue();
        QuotaBook.Fit fit = book.fit("cq", cpus(2, 1));
        assertThat(fit.fits()).isFalse();
        assertThat(fit.reason()).isEqualTo("podSet main: insufficient quota for cpu in flavor default: needs 2 within a limit of 4");
        assertThat(book.used("cq", "default", "cpu")).as("nothing of the refused gang is booked").isEqualTo(3000);
    }

    @Test
    void theNextFlavorIsTriedWhenTheFirstIsFull() {
        QuotaBook book = new QuotaBook(List.of(queue("cq", null, cpu("spot", 2, null, null), cpu("on-demand", 4, null, null))));
        assertThat(book.fit("cq", cpus(1, 2)).assignments().getFirst().flavors()).containsEntry("cpu", "spot");
        admit(book, "cq", cpus(1, 2));
        assertThat(book.fit("cq", cpus(1, 2)).assignments().getFirst().flavors()).containsEntry("cpu", "on-demand");
    }

    @Test
    void aQueueBorrowsWhatItsCohortDoesNotUseUpToItsBorrowingLimit() {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", cpu("f", 2, 1L, null)),
                queue("b", "pool", cpu("f", 4, null, null))));
        assertThat(admit(book, "a", cpus(3, 1))).as("2 nominal + 1 borrowed").isTrue();
        assertThat(book.borrowed("a", "f", "cpu")).isEqualTo(1000);
        assertThat(book.fit("a", cpus(1, 1)).reason()).as("the borrowing limit").contains("needs 1 within a limit of 3");
        assertThat(admit(book, "b", cpus(3, 1))).as("b still has 3 of its own").isTrue();
        assertThat(book.fit("b", cpus(1, 1)).fits()).as("its fourth CPU is lent to a").isFalse();
    }

    @Test
    void aLendingLimitKeepsTheRestForTheLender() {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", cpu("f", 0, null, null)),
                queue("b", "pool", cpu("f", 4, null, 1L))));
        assertThat(admit(book, "a", cpus(1, 1))).isTrue();
        assertThat(book.fit("a", cpus(1, 1)).reason()).contains("insufficient unused quota for cpu in flavor f in cohort pool: needs 1");
        assertThat(admit(book, "b", cpus(3, 1))).as("b's three guaranteed CPUs").isTrue();
    }

    @Test
    void aResourceNoGroupCoversIsRefusedByName() {
        QuotaBook book = new QuotaBook(List.of(queue("cq", null, cpu("default", 4, null, null))));
        QuotaBook.Fit fit = book.fit("cq", List.of(new PodSetRequest("gpu", 1, Map.of("nvidia.com/gpu", 1000L))));
        assertThat(fit.reason()).isEqualTo("podSet gpu: resource nvidia.com/gpu is not covered by ClusterQueue cq");
    }

    /** Whatever arrives in whatever order, no queue uses more than nominal + borrowing, and no cohort lends more than it has. */
    @Property(tries = 300)
    void admissionsNeverExceedQuota(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 5) Integer> requests,
            @ForAll @IntRange(min = 0, max = 6) int nominalA, @ForAll @IntRange(min = 0, max = 6) int nominalB,
            @ForAll @IntRange(min = 0, max = 3) int borrowingA, @ForAll @IntRange(min = 0, max = 6) int lendingB) {
        QuotaBook book = new QuotaBook(List.of(queue("a", "pool", cpu("f", nominalA, (long) borrowingA, null)),
                queue("b", "pool", cpu("f", nominalB, null, (long) Math.min(lendingB, nominalB)))));
        List<String> order = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            String target = i % 2 == 0 ? "a" : "b";
            if (admit(book, target, cpus(1, requests.get(i)))) {
                order.add(target);
            }
            long a = book.used("a", "f", "cpu");
            long b = book.used("b", "f", "cpu");
            assertThat(a).isLessThanOrEqualTo((nominalA + borrowingA) * 1000L);
            long lendableB = Math.min(lendingB, nominalB) * 1000L;
            long guaranteedB = nominalB * 1000L - lendableB;
            long lent = Math.max(0, a - 0) + Math.max(0, b - guaranteedB);
            assertThat(lent).as("what the cohort's members use beyond what they keep").isLessThanOrEqualTo(
                    nominalA * 1000L + lendableB);
        }
    }
}
