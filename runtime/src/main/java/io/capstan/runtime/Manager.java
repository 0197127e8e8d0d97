package io.capstan.runtime;

import io.capstan.runtime.controller.LeaderWork;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.runtime.health.HealthChecks;
import io.capstan.runtime.http.HttpServer;
import io.capstan.runtime.http.Router;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.leader.LeaderElection;
import io.capstan.runtime.metrics.Metrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a set of controllers the way controller-runtime's manager does: one API client, shared informers
 * (started on every replica, so a standby is warm), the HTTP endpoints ({@code /healthz}, {@code /readyz},
 * {@code /metrics}), and the controllers themselves, which run only on the elected leader once every
 * informer has synced.
 */
public final class Manager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Manager.class);

    private final KubernetesClient client;
    private final Informers informers;
    private final Metrics metrics = new Metrics();
    private final HealthChecks health = new HealthChecks();
    private final Router router = new Router();
    private final List<LeaderWork> work = new ArrayList<>();
    private final List<EventRecorder> recorders = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Settings settings;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<HttpServer> servers = new ArrayList<>();
    private LeaderElection election;
    private boolean workStarted;

    /**
     * @param namespace watch scope for namespaced objects, null for all namespaces
     * @param metricsAddress where {@code /metrics} is served, null to disable
     * @param healthAddress where {@code /healthz} and {@code /readyz} are served, null to disable; the same
     *     address as metrics shares one server
     * @param leaderElection lease settings, or null to run the controllers without election
     * @param syncTimeout how long to wait for the informers' first list
     */
    public record Settings(String namespace, InetSocketAddress metricsAddress, InetSocketAddress healthAddress,
            LeaderElection.Settings leaderElection, Duration syncTimeout) {
    }

    public Manager(KubernetesClient client, Settings settings) {
        this.client = client;
        this.settings = settings;
        this.informers = new Informers(client, settings.namespace());
        health.addReadinessCheck("informers-synced", informers::hasSynced);
        metrics.registry().gauge("capstan.leader", this, m -> m.isLeader() ? 1 : 0);
    }

    public KubernetesClient client() {
        return client;
    }

    public Informers informers() {
        return informers;
    }

    public Metrics metrics() {
        return metrics;
    }

    public HealthChecks health() {
        return health;
    }

    /** Routes served next to the health endpoints (e.g. admission webhooks); add them before {@link #start()}. */
    public Router router() {
        return router;
    }

    /** An Event recorder writing as the given component; closed with the manager. */
    public synchronized EventRecorder eventRecorder(String component) {
        EventRecorder recorder = new EventRecorder(client, component, hostName());
        recorders.add(recorder);
        return recorder;
    }

    /** Work that runs only while this process leads (controllers). */
    public synchronized Manager add(LeaderWork leaderWork) {
        work.add(leaderWork);
        return this;
    }

    /** Something to close when the manager closes (after the controllers stopped). */
    public synchronized Manager closeOnStop(AutoCloseable resource) {
        resources.add(resource);
        return this;
    }

    /**
     * Serves the endpoints, syncs the informers and then starts the controllers (directly, or when this process
     * wins the election).
     */
    public void start() throws IOException, TimeoutException, InterruptedException {
        startServers();
        log.info("Waiting for informer caches to sync");
        informers.startAndSync(settings.syncTimeout());
        log.info("Informer caches synced");
        if (settings.leaderElection() != null) {
            election = new LeaderElection(client, settings.leaderElection(), new LeaderWork() {
                @Override
                public void start() {
                    startWork();
                }

                @Override
                public void stop() {
                    stopWork();
                }
            });
            election.start();
        } else {
            startWork();
        }
    }

    private void startServers() throws IOException {
        InetSocketAddress metricsAddress = settings.metricsAddress();
        InetSocketAddress healthAddress = settings.healthAddress();
        if (metricsAddress != null && metricsAddress.equals(healthAddress)) {
            health.install(router);
            installMetrics(router);
            servers.add(HttpServer.start(metricsAddress, router));
            return;
        }
        if (healthAddress != null) {
            health.install(router);
            servers.add(HttpServer.start(healthAddress, router));
        }
        if (metricsAddress != null) {
            Router metricsRouter = new Router();
            installMetrics(metricsRouter);
            servers.add(HttpServer.start(metricsAddress, metricsRouter));
        }
    }

    private void installMetrics(Router target) {
        target.get("/metrics", exchange -> exchange.respond(200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private synchronized void startWork() {
        if (workStarted) {
            return;
        }
        workStarted = true;
        work.forEach(LeaderWork::start);
    }

    private synchronized void stopWork() {
        if (!workStarted) {
            return;
        }
        workStarted = false;
        for (int i = work.size() - 1; i >= 0; i--) {
            work.get(i).stop();
        }
    }

    public boolean isLeader() {
        return election == null ? workStarted : election.isLeader();
    }

    /** The bound address of the server that answers {@code /healthz}, for callers that asked for port 0. */
    public List<InetSocketAddress> serverAddresses() {
        return servers.stream().map(HttpServer::address).toList();
    }

    /** Blocks until {@link #close()} was called. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        if (election != null) {
            election.close();
        }
        stopWork();
        for (AutoCloseable resource : resources.reversed()) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Closing {} failed: {}", resource, e.getMessage());
            }
        }
        recorders.forEach(EventRecorder::close);
        informers.close();
        servers.forEach(HttpServer::close);
        metrics.close();
        stopped.countDown();
    }

    private static String hostName() {
        String pod = System.getenv("HOSTNAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
