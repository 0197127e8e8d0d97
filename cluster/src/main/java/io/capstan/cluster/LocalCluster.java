package io.capstan.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * The user's own embedded cluster behind {@code capstan up/down/status}: one control plane with its state in
 * {@code ~/.capstan/cluster} (or {@code $CAPSTAN_HOME/cluster}), supervised by one {@code capstan up} process
 * whose details are in {@code ~/.capstan/cluster.json}. A second {@code up} finds the running one and reuses it.
 */
public final class LocalCluster {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private final Path home;

    /** What {@code cluster.json} records about the running cluster. */
    public record State(long pid, String phase, String message, String apiServer, String kubeconfig, String kubectl,
            List<ComponentState> components, List<AddonState> addons, String startedAt) {
    }

    public record ComponentState(String name, long pid, int port, String log) {
    }

    /** Something started in the supervisor next to the control plane (the operator, the local node). */
    public record AddonState(String name, String detail) {
    }

    /** A part started inside the supervising process once the control plane is ready. */
    public interface Addon extends AutoCloseable {
        String name();

        String detail();

        @Override
        void close();
    }

    public static final String STARTING = "starting";
    public static final String READY = "ready";

    public LocalCluster(Path home) {
        this.home = home;
    }

    public static LocalCluster atDefaultHome() {
        String override = System.getenv("CAPSTAN_HOME");
        return new LocalCluster(override != null && !override.isBlank() ? Path.of(override)
                : Path.of(System.getProperty("user.home"), ".capstan"));
    }

    public Path home() {
        return home;
    }

    public Path stateDir() {
        return home.resolve("cluster");
    }

    public Path kubeconfig() {
        return stateDir().resolve("kubeconfig");
    }

    public Path supervisorLog() {
        return home.resolve("up.log");
    }

    private Path stateFile() {
        return home.resolve("cluster.json");
    }

    /** The recorded state if its supervising process is still alive; a stale file is removed. */
    public Optional<State> running() {
        Path file = stateFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        State state;
        try {
            state = JSON.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (ProcessHandle.of(state.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.of(state);
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // another process cleaned up first
        }
        return Optional.empty();
    }

    /**
     * Runs the cluster in this process until it is told to stop (SIGINT/SIGTERM, {@code capstan down}) or a
     * component fails. {@code addons} start once the control plane is ready (e.g. the operator and a node).
     *
     * @return a description of why it stopped, or an empty string for a requested stop
     */
    public String runInForeground(int apiServerPort, Progress progress, Function<ControlPlane, List<Addon>> addons) {
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new ControlPlaneException("cannot create " + home + ": " + e.getMessage(), e);
        }
        try (FileChannel lockFile = FileChannel.open(home.resolve("up.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                throw new ControlPlaneException("another 'capstan up' is starting the cluster in " + home
                        + "; wait for it, or run 'capstan status'");
            }
            return supervise(apiServerPort, progress, addons);
        } catch (IOException e) {
            throw new ControlPlaneException("cannot lock " + home.resolve("up.lock") + ": " + e.getMessage(), e);
        }
    }

    private String supervise(int apiServerPort, Progress progress, Function<ControlPlane, List<Addon>> addonFactory) {
        long pid = ProcessHandle.current().pid();
        write(new State(pid, STARTING, "starting the control plane", null, kubeconfig().toString(), null, List.of(),
                List.of(), Instant.now().toString()));
        KubernetesBinaries binaries = KubernetesBinaries.locate(progress);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch cleanedUp = new CountDownLatch(1);
        String[] reason = {""};
        List<Addon> addons = new ArrayList<>();
        ControlPlane plane = null;
        // On SIGINT/SIGTERM the JVM only waits for shutdown hooks, so the hook waits for the cleanup below.
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                cleanedUp.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "capstan-up-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            plane = ControlPlane.start(ControlPlane.Spec.of(stateDir(), binaries).withApiServerPort(apiServerPort)
                    .withProgress(progress));
            plane.onFailure(failure -> {
                reason[0] = failure.describe();
                stop.countDown();
            });
            addons.addAll(addonFactory.apply(plane));
            write(readyState(pid, plane, binaries, addons));
            progress.step("Cluster ready. Use it with:\n  export KUBECONFIG=" + kubeconfig()
                    + binaries.kubectl().map(k -> "\n  " + k + " get nodes").orElse("\n  kubectl get nodes"));
            stop.await();
            return reason[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            for (int i = addons.size() - 1; i >= 0; i--) {
                addons.get(i).close();
            }
            if (plane != null) {
                plane.stop();
            }
            try {
                Files.deleteIfExists(stateFile());
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IOException | IllegalStateException ignored) {
                // shutting down already
            }
            cleanedUp.countDown();
        }
    }

    private State readyState(long pid, ControlPlane plane, KubernetesBinaries binaries, List<Addon> addons) {
        List<ComponentState> components = plane.components().stream()
                .map(c -> new ComponentState(c.name(), c.pid(), c.port(), c.logFile().toString())).toList();
        List<AddonState> addonStates = addons.stream().map(a -> new AddonState(a.name(), a.detail())).toList();
        return new State(pid, READY, "running", plane.apiServerUrl(), plane.kubeconfig().toString(),
                binaries.kubectl().map(Path::toString).orElse(null), components, addonStates, Instant.now().toString());
    }

    /**
     * Stops the running cluster and waits for its processes to exit.
     *
     * @return false if no cluster was running
     */
    public boolean stop(Duration timeout) {
        Optional<State> state = running();
        if (state.isEmpty()) {
            return false;
        }
        ProcessHandle supervisor = ProcessHandle.of(state.get().pid()).orElse(null);
        if (supervisor != null) {
            supervisor.destroy();
            try {
                supervisor.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new ControlPlaneException("the cluster supervisor (pid " + supervisor.pid() + ") did not stop within "
                        + timeout.toSeconds() + "s; see " + supervisorLog());
            }
        }
        for (ComponentState component : state.get().components()) {
            ProcessHandle.of(component.pid()).filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroyForcibly);
        }
        return true;
    }

    private void write(State state) {
        try {
            Path temporary = stateFile().resolveSibling("cluster.json.tmp");
            JSON.writeValue(temporary.toFile(), state);
            Files.move(temporary, stateFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile(), e);
        }
    }
}
