package io.capstan.runtime.leader;

import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.controller.LeaderWork;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a {@code coordination.k8s.io/v1} Lease. The {@link LeaderWork} runs only while this
 * process holds the lease. Losing the lease stops the work (reconciles in flight finish, no new ones start)
 * and puts the process back in the running for leadership; the process itself keeps running. On
 * {@link #close()} the lease is released so a standby takes over within one retry period rather than
 * after the lease expires.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    private final KubernetesClient client;
    private final Settings settings;
    private final LeaderWork work;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("leader-election-", 0).factory());
    private volatile boolean leading;
    private volatile boolean closed;
    private volatile String currentLeader;
    private CompletableFuture<?> round;
    private Thread campaign;

    /** Lease timings as in client-go: lease 15 s, renew deadline 10 s, retry every 2 s. */
    public record Settings(String namespace, String leaseName, String identity, Duration leaseDuration,
            Duration renewDeadline, Duration retryPeriod) {

        public Settings {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(leaseName, "leaseName");
            Objects.requireNonNull(identity, "identity");
            if (renewDeadline.compareTo(leaseDuration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
                throw new IllegalArgumentException(
                        "leader election needs retryPeriod < renewDeadline < leaseDuration, got " + retryPeriod + ", "
                                + renewDeadline + ", " + leaseDuration);
            }
        }

        public static Settings defaults(String namespace, String leaseName, String identity) {
            return new Settings(namespace, leaseName, identity, Duration.ofSeconds(15), Duration.ofSeconds(10),
                    Duration.ofSeconds(2));
        }
    }

    public LeaderElection(KubernetesClient client, Settings settings, LeaderWork work) {
        this.client = client;
        this.settings = settings;
        this.work = work;
    }

    public synchronized void start() {
        if (campaign != null) {
            return;
        }
        campaign = Thread.ofVirtual().name("leader-election").start(this::campaign);
    }

    private void campaign() {
        while (!closed) {
            CompletableFuture<?> current;
            synchronized (this) {
                if (closed) {
                    return;
                }
                current = elector().start();
                round = current;
            }
            try {
                current.join();
            } catch (RuntimeException e) {
                if (!closed) {
                    log.warn("Leader election round for {} ended: {}", settings.leaseName(), ApiErrors.describe(e));
                }
            }
            stopLeading();
            if (!closed) {
                sleep(settings.retryPeriod());
            }
        }
    }

    private LeaderElector elector() {
        var config = new LeaderElectionConfigBuilder()
                .withName(settings.leaseName())
                .withLock(new LeaseLock(settings.namespace(), settings.leaseName(), settings.identity()))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::startLeading, this::stopLeading, this::newLeader))
                .build();
        return new LeaderElector(client, config, executor);
    }

    private synchronized void startLeading() {
        if (closed || leading) {
            return;
        }
        log.info("Became leader on lease {}/{} as {}", settings.namespace(), settings.leaseName(), settings.identity());
        leading = true;
        work.start();
    }

    private synchronized void stopLeading() {
        if (!leading) {
            return;
        }
        leading = false;
        log.info("Lost leadership of lease {}/{}; stopping work", settings.namespace(), settings.leaseName());
        work.stop();
    }

    private void newLeader(String identity) {
        currentLeader = identity;
        if (!settings.identity().equals(identity)) {
            log.info("Leader of {}/{} is now {}", settings.namespace(), settings.leaseName(), identity);
        }
    }

    public boolean isLeader() {
        return leading;
    }

    /** The identity that holds the lease as last observed, or null if none was seen yet. */
    public String currentLeader() {
        return currentLeader;
    }

    public String identity() {
        return settings.identity();
    }

    /** Stops the work, releases the lease and ends the campaign. */
    @Override
    public void close() {
        Thread campaignThread;
        synchronized (this) {
            closed = true;
            campaignThread = campaign;
        }
        // Stop the work before the lease is released, so the next leader never overlaps with it.
        stopLeading();
        synchronized (this) {
            if (round != null) {
                round.cancel(true);
            }
        }
        if (campaignThread != null) {
            try {
                campaignThread.join(settings.renewDeadline().plusSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        executor.shutdown();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
