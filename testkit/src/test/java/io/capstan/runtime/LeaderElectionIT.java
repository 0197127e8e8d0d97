package io.capstan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.leader.LeaderElection;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@EmbeddedCluster
class LeaderElectionIT {

    private static final Duration LEASE = Duration.ofSeconds(4);

    /** Counts starts and stops, and whether it is running now. */
    static final class RecordingWork implements LeaderWork {
        final AtomicInteger starts = new AtomicInteger();
        final AtomicInteger stops = new AtomicInteger();
        volatile boolean running;

        @Override
        public void start() {
            starts.incrementAndGet();
            running = true;
        }

        @Override
        public void stop() {
            running = false;
            stops.incrementAndGet();
        }
    }

    private static LeaderElection election(KubernetesClient client, String namespace, String identity, LeaderWork work) {
        return new LeaderElection(client, new LeaderElection.Settings(namespace, "capstan-test", identity, LEASE,
                Duration.ofSeconds(3), Duration.ofMillis(500)), work);
    }

    @Test
    void leadershipHandsOverToTheStandbyWithinTheLeaseDuration(TestCluster cluster, TestNamespace namespace) {
        RecordingWork firstWork = new RecordingWork();
        RecordingWork secondWork = new RecordingWork();
        try (KubernetesClient firstClient = cluster.newClient(); KubernetesClient secondClient = cluster.newClient()) {
            LeaderElection first = election(firstClient, namespace.name(), "first", firstWork);
            first.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> firstWork.running);

            try (LeaderElection second = election(secondClient, namespace.name(), "second", secondWork)) {
                second.start();
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                        .until(() -> !secondWork.running && firstWork.running);

                long handedOverAt = System.nanoTime();
                first.close();
                assertThat(firstWork.running).as("work stops before the lease is released").isFalse();
                await().atMost(LEASE).until(() -> secondWork.running);
                assertThat(Duration.ofNanos(System.nanoTime() - handedOverAt)).isLessThan(LEASE);
                Lease lease = cluster.client().leases().inNamespace(namespace.name()).withName("capstan-test").get();
                assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("second");
            }
        }
    }

    @Test
    void losingTheLeaseStopsTheWorkButNotTheProcessAndItRunsForLeadershipAgain(TestCluster cluster,
            TestNamespace namespace) {
        RecordingWork work = new RecordingWork();
        try (KubernetesClient client = cluster.newClient();
                LeaderElection election = election(client, namespace.name(), "victim", work)) {
            election.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> work.running);

            // Another party takes the lease over, as a new leader would after a network partition. The victim
            // renews every 500 ms, so the takeover may meet a conflict and is retried like any optimistic write.
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(KubernetesClientException.class)
                    .until(() -> cluster.client().leases().inNamespace(namespace.name()).withName("capstan-test")
                            .edit(lease -> {
                                lease.getSpec().setHolderIdentity("usurper");
                                lease.getSpec().setRenewTime(java.time.ZonedDateTime.now().plusSeconds(3));
                                return lease;
                            }) != null);

            await().atMost(Duration.ofSeconds(10)).until(() -> !work.running);
            assertThat(work.stops).hasValue(1);
            assertThat(election.isLeader()).isFalse();
            // Once the usurper stops renewing, this process wins the lease back and restarts its work.
            await().atMost(Duration.ofSeconds(20)).until(() -> work.running);
            assertThat(work.starts).hasValue(2);
        }
    }
}
