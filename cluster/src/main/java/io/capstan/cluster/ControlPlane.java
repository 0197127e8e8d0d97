package io.capstan.cluster;

import io.capstan.runtime.tls.KeyPairCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Kubernetes control plane made of the real binaries: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, all on 127.0.0.1 with free ports and certificates from the cluster's own CA. State (etcd data,
 * certificates, kubeconfigs, logs) lives in one directory, so a stopped control plane can be started again with
 * its objects intact.
 *
 * <p>Start-up waits for each component's real health endpoint; a component that exits is reported with its exit
 * code and the end of its log. No process outlives the JVM: {@link #stop()}, a shutdown hook and a watchdog
 * (for SIGKILL) each make sure of that.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    public static final String SERVICE_CIDR = "10.0.0.0/24";

    private final Spec spec;
    private final Path stateDir;
    private final Pki pki;
    private final Properties ports;
    private final List<Component> components = new ArrayList<>();
    private final List<Consumer<Component.Failure>> failureListeners = new CopyOnWriteArrayList<>();
    private final Watchdog watchdog = new Watchdog();
    private final Thread shutdownHook = new Thread(this::stopQuietly, "capstan-control-plane-shutdown");
    private final HttpClient adminHttp;
    private volatile Component.Failure failure;
    private volatile boolean stopped;

    /**
     * What to start.
     *
     * @param stateDir where etcd data, certificates, kubeconfigs and logs live
     * @param apiServerPort a fixed secure port, or 0 for a free one (reused on later starts when still free)
     * @param controllerManager whether to run kube-controller-manager (garbage collection, namespaces, ...)
     * @param scheduler whether to run kube-scheduler
     * @param extraApiServerFlags additional {@code --flag=value} arguments for kube-apiserver
     */
    public record Spec(Path stateDir, KubernetesBinaries binaries, int apiServerPort, boolean controllerManager,
            boolean scheduler, List<String> extraApiServerFlags, Progress progress) {

        public static Spec of(Path stateDir, KubernetesBinaries binaries) {
            return new Spec(stateDir, binaries, 0, true, true, List.of(), Progress.SILENT);
        }

        public Spec withProgress(Progress progress) {
            return new Spec(stateDir, binaries, apiServerPort, controllerManager, scheduler, extraApiServerFlags, progress);
        }

        public Spec withApiServerPort(int port) {
            return new Spec(stateDir, binaries, port, controllerManager, scheduler, extraApiServerFlags, progress);
        }
    }

    private ControlPlane(Spec spec) throws IOException {
        this.spec = spec;
        this.stateDir = spec.stateDir().toAbsolutePath();
        Files.createDirectories(stateDir);
        this.pki = Pki.loadOrCreate(stateDir.resolve("pki"));
        this.ports = loadPorts();
        KeyPairCertificate admin = pki.credentials("admin");
        SSLContext tls = admin.clientContext(pki.ca().certificate());
        this.adminHttp = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Starts every component and returns once all are healthy.
     *
     * @throws ControlPlaneException saying which component failed and why; nothing is left running
     */
    public static ControlPlane start(Spec spec) {
        ControlPlane plane;
        try {
            plane = new ControlPlane(spec);
        } catch (IOException e) {
            throw new ControlPlaneException("cannot prepare the control-plane directory " + spec.stateDir() + ": "
                    + e.getMessage(), e);
        }
        try {
            plane.startAll();
            return plane;
        } catch (RuntimeException e) {
            plane.stopQuietly();
            throw e;
        }
    }

    private void startAll() {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        long started = System.nanoTime();
        Progress progress = spec.progress();
        int apiPort = choosePort("apiserver", spec.apiServerPort());
        int etcdPort = choosePort("etcd.client", 0);
        int etcdPeerPort = choosePort("etcd.peer", 0);
        savePorts();
        writeKubeconfigs(apiPort);

        progress.step("Starting etcd on 127.0.0.1:" + etcdPort);
        Component etcd = launch("etcd", List.of(spec.binaries().etcd().toString(),
                "--name=capstan",
                "--data-dir=" + stateDir.resolve("etcd"),
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster=capstan=http://127.0.0.1:" + etcdPeerPort,
                "--quota-backend-bytes=8589934592",
                "--log-level=warn"), etcdPort);
        awaitHealthy(etcd, Duration.ofSeconds(30), () -> plainGet("http://127.0.0.1:" + etcdPort + "/health")
                .contains("\"health\":\"true\""));

        progress.step("Starting kube-apiserver on https://127.0.0.1:" + apiPort);
        List<String> apiServer = new ArrayList<>(List.of(spec.binaries().kubeApiServer().toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--secure-port=" + apiPort,
                "--insecure-port=0",
                "--tls-cert-file=" + pki.certificate("apiserver"),
                "--tls-private-key-file=" + pki.key("apiserver"),
                "--client-ca-file=" + pki.caCertificate(),
                "--kubelet-client-certificate=" + pki.certificate("apiserver-kubelet-client"),
                "--kubelet-client-key=" + pki.key("apiserver-kubelet-client"),
                "--kubelet-certificate-authority=" + pki.caCertificate(),
                "--kubelet-preferred-address-types=InternalIP,Hostname,ExternalIP",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=" + pki.serviceAccountPublicKey(),
                "--service-account-signing-key-file=" + pki.serviceAccountKey(),
                "--service-cluster-ip-range=" + SERVICE_CIDR,
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                // The loopback advertise address cannot be an endpoint of the 'kubernetes' Service.
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--profiling=false",
                "--v=0"));
        apiServer.addAll(spec.extraApiServerFlags());
        Component kubeApiServer = launch("kube-apiserver", apiServer, apiPort);
        awaitHealthy(kubeApiServer, Duration.ofSeconds(90), () -> adminGet(apiServerUrl() + "/readyz") == 200);

        if (spec.controllerManager()) {
            int port = choosePort("controller-manager", 0);
            progress.step("Starting kube-controller-manager");
            Path kubeconfig = stateDir.resolve("controller-manager.kubeconfig");
            Component kcm = launch("kube-controller-manager", List.of(spec.binaries().kubeControllerManager().toString(),
                    "--kubeconfig=" + kubeconfig,
                    "--authentication-kubeconfig=" + kubeconfig,
                    "--authorization-kubeconfig=" + kubeconfig,
                    "--bind-address=127.0.0.1",
                    "--secure-port=" + port,
                    "--port=0",
                    "--tls-cert-file=" + pki.certificate("controller-manager"),
                    "--tls-private-key-file=" + pki.key("controller-manager"),
                    "--client-ca-file=" + pki.caCertificate(),
                    "--root-ca-file=" + pki.caCertificate(),
                    "--service-account-private-key-file=" + pki.serviceAccountKey(),
                    "--use-service-account-credentials=true",
                    "--cluster-signing-cert-file=" + pki.caCertificate(),
                    "--cluster-signing-key-file=" + pki.caKey(),
                    "--service-cluster-ip-range=" + SERVICE_CIDR,
                    "--leader-elect=false",
                    // Its clients' default limit (20 requests/s, burst 30) throttles the garbage collector on a
                    // one-user cluster: each Framework's attempt ConfigMap is deleted in the foreground, and with
                    // thousands completing the collector finished about 6 per second, queued behind its own limit.
                    "--kube-api-qps=100",
                    "--kube-api-burst=200",
                    "--profiling=false",
                    "--v=0"), port);
            awaitHealthy(kcm, Duration.ofSeconds(60), () -> adminGet("https://127.0.0.1:" + port + "/healthz") == 200);
        }
        if (spec.scheduler()) {
            int port = choosePort("scheduler", 0);
            progress.step("Starting kube-scheduler");
            Path kubeconfig = stateDir.resolve("scheduler.kubeconfig");
            Component scheduler = launch("kube-scheduler", List.of(spec.binaries().kubeScheduler().toString(),
                    "--kubeconfig=" + kubeconfig,
                    "--authentication-kubeconfig=" + kubeconfig,
                    "--authorization-kubeconfig=" + kubeconfig,
                    "--bind-address=127.0.0.1",
                    "--secure-port=" + port,
                    "--port=0",
                    "--tls-cert-file=" + pki.certificate("scheduler"),
                    "--tls-private-key-file=" + pki.key("scheduler"),
                    "--client-ca-file=" + pki.caCertificate(),
                    "--leader-elect=false",
                    "--profiling=false",
                    "--v=0"), port);
            awaitHealthy(scheduler, Duration.ofSeconds(60), () -> adminGet("https://127.0.0.1:" + port + "/healthz") == 200);
            // Pods can only be created once the service-account controller has made the 'default' account.
            if (spec.controllerManager()) {
                awaitCondition("the default service account", Duration.ofSeconds(60), () -> adminGet(
                        apiServerUrl() + "/api/v1/namespaces/default/serviceaccounts/default") == 200);
            }
        }
        savePorts();
        progress.step(String.format("Control plane ready in %.1fs; kubeconfig: %s", (System.nanoTime() - started) / 1e9,
                kubeconfig()));
    }

    private Component launch(String name, List<String> command, int port) {
        checkFailure();
        Component component = Component.start(name, command, stateDir.resolve("logs").resolve(name + ".log"), port,
                watchdog, this::onUnexpectedExit);
        components.add(component);
        return component;
    }

    private void onUnexpectedExit(Component.Failure exited) {
        if (stopped) {
            return;
        }
        failure = exited;
        log.error("Control-plane component failed: {}", exited.describe());
        failureListeners.forEach(listener -> listener.accept(exited));
    }

    /** Called when a component exits on its own after start-up (not called for {@link #stop()}). */
    public void onFailure(Consumer<Component.Failure> listener) {
        failureListeners.add(listener);
        Component.Failure already = failure;
        if (already != null) {
            listener.accept(already);
        }
    }

    private interface Check {
        boolean passes() throws IOException;
    }

    private void awaitHealthy(Component component, Duration timeout, Check check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastError = "no answer yet";
        while (true) {
            checkFailure();
            if (!component.isAlive()) {
                throw new ControlPlaneException(component.failure().describe());
            }
            try {
                if (check.passes()) {
                    return;
                }
                lastError = "not ready yet";
            } catch (IOException e) {
                lastError = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new ControlPlaneException(component.name() + " did not become healthy within " + timeout.toSeconds()
                        + "s (" + lastError + "). Last lines of " + component.logFile() + ":\n"
                        + Component.tail(component.logFile(), 20));
            }
            pause();
        }
    }

    private void awaitCondition(String what, Duration timeout, Check check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            checkFailure();
            try {
                if (check.passes()) {
                    return;
                }
            } catch (IOException e) {
                log.debug("Waiting for {}: {}", what, e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw new ControlPlaneException("the control plane did not create " + what + " within "
                        + timeout.toSeconds() + "s; see the logs in " + stateDir.resolve("logs"));
            }
            pause();
        }
    }

    private void checkFailure() {
        Component.Failure current = failure;
        if (current != null) {
            throw new ControlPlaneException(current.describe());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlPlaneException("interrupted while starting the control plane", e);
        }
    }

    private String plainGet(String url) throws IOException {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** GET with the cluster-admin certificate; returns the status code. */
    private int adminGet(String url) throws IOException {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build();
            return adminHttp.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** True when the API server answers {@code /readyz} and no component has failed. */
    public boolean isHealthy() {
        if (stopped || failure != null || components.stream().anyMatch(c -> !c.isAlive())) {
            return false;
        }
        try {
            return adminGet(apiServerUrl() + "/readyz") == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private int choosePort(String name, int requested) {
        if (requested > 0) {
            if (Ports.inUse(requested)) {
                throw new ControlPlaneException("port " + requested + " for " + name + " is already in use on 127.0.0.1. "
                        + "Stop whatever listens there (see 'ss -ltnp'), or choose another port.");
            }
            ports.setProperty(name, Integer.toString(requested));
            return requested;
        }
        String previous = ports.getProperty(name);
        if (previous != null && !Ports.inUse(Integer.parseInt(previous))) {
            return Integer.parseInt(previous);
        }
        int port = Ports.free();
        ports.setProperty(name, Integer.toString(port));
        return port;
    }

    private Properties loadPorts() throws IOException {
        Properties properties = new Properties();
        Path file = stateDir.resolve("ports.properties");
        if (Files.exists(file)) {
            try (var in = Files.newInputStream(file)) {
                properties.load(in);
            }
        }
        return properties;
    }

    private void savePorts() {
        try (var out = Files.newOutputStream(stateDir.resolve("ports.properties"))) {
            ports.store(out, "ports of the embedded control plane, reused on the next start when free");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeKubeconfigs(int apiPort) {
        String server = "https://127.0.0.1:" + apiPort;
        X509Certificate ca = pki.ca().certificate();
        try {
            Kubeconfig.write(kubeconfig(), Kubeconfig.render(server, ca, pki.credentials("admin"), "capstan-admin"));
            Kubeconfig.write(stateDir.resolve("controller-manager.kubeconfig"), Kubeconfig.render(server, ca,
                    pki.credentials("controller-manager-client"), "system:kube-controller-manager"));
            Kubeconfig.write(stateDir.resolve("scheduler.kubeconfig"), Kubeconfig.render(server, ca,
                    pki.credentials("scheduler-client"), "system:kube-scheduler"));
        } catch (IOException e) {
            throw new ControlPlaneException("cannot write kubeconfig files into " + stateDir + ": " + e.getMessage(), e);
        }
    }

    public Path stateDir() {
        return stateDir;
    }

    /** The cluster-admin kubeconfig. */
    public Path kubeconfig() {
        return stateDir.resolve("kubeconfig");
    }

    public String kubeconfigYaml() {
        try {
            return Files.readString(kubeconfig());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String apiServerUrl() {
        return "https://127.0.0.1:" + ports.getProperty("apiserver");
    }

    public int apiServerPort() {
        return Integer.parseInt(ports.getProperty("apiserver"));
    }

    /** The cluster CA, to issue more certificates (e.g. a virtual node's serving certificate). */
    public io.capstan.runtime.tls.CertificateAuthority certificateAuthority() {
        return pki.ca();
    }

    public KubernetesBinaries binaries() {
        return spec.binaries();
    }

    public List<Component> components() {
        return List.copyOf(components);
    }

    /** Stops every component (scheduler first, etcd last) and waits for them to exit. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (int i = components.size() - 1; i >= 0; i--) {
            components.get(i).stop();
        }
        watchdog.close();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
        log.info("Control plane in {} stopped", stateDir);
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            log.warn("Stopping the control plane failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        stop();
    }
}
