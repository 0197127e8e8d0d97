package io.capstan.node.provider.process;

import io.capstan.node.env.Expansion;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container of a process pod: its command run as a host process (in a bubblewrap sandbox when available), its
 * output captured per run, restarts with the kubelet's crash back-off, probes, lifecycle hooks, and the state the
 * pod status reports.
 */
final class ContainerRuntime {

    private static final Logger log = LoggerFactory.getLogger(ContainerRuntime.class);
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Duration RESET_BACKOFF_AFTER = Duration.ofMinutes(10);

    private final PodRuntime pod;
    private final boolean init;
    private volatile Container spec;
    private volatile ContainerState state;
    private volatile ContainerState lastState = new ContainerState();
    private volatile int restartCount;
    private volatile boolean ready;
    private volatile boolean started;
    private volatile Process process;
    private volatile ContainerLog log_;
    private volatile Path cgroup;
    private volatile boolean stopping;
    private final List<Probe> probes = new ArrayList<>();

    ContainerRuntime(PodRuntime pod, Container spec, boolean init) {
        this.pod = pod;
        this.spec = spec;
        this.init = init;
        this.state = waiting("ContainerCreating", null);
    }

    String name() {
        return spec.getName();
    }

    Container spec() {
        return spec;
    }

    void replaceSpec(Container updated) {
        this.spec = updated;
    }

    boolean isRunning() {
        return state.getRunning() != null;
    }

    boolean ready() {
        return ready;
    }

    ContainerState state() {
        return state;
    }

    void showWaiting(String reason, String message) {
        state = waiting(reason, message);
    }

    private static ContainerState waiting(String reason, String message) {
        return new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build();
    }

    ContainerStatus status() {
        return new ContainerStatusBuilder().withName(spec.getName()).withImage(spec.getImage())
                .withImageID("process://" + spec.getImage())
                .withContainerID(process == null ? null : "process://" + process.pid())
                .withReady(ready).withRestartCount(restartCount).withStarted(init ? null : started)
                .withState(state).withLastState(lastState).build();
    }

    /**
     * Runs the container until it should not run anymore: init containers until they succeed (or fail under
     * restartPolicy Never), other containers as the restart policy says.
     *
     * @return true if the last run succeeded (exit code 0)
     */
    boolean runToEnd() throws InterruptedException {
        Duration backoff = pod.settings().backoffBase();
        while (!stopping) {
            Instant runStarted = Instant.now();
            int exitCode = runOnce();
            if (stopping) {
                return exitCode == 0;
            }
            boolean restart = switch (pod.restartPolicy()) {
                case "Never" -> false;
                case "OnFailure" -> exitCode != 0;
                default -> !init || exitCode != 0;
            };
            if (init && exitCode == 0) {
                return true;
            }
            if (!restart) {
                return exitCode == 0;
            }
            if (Duration.between(runStarted, Instant.now()).compareTo(RESET_BACKOFF_AFTER) > 0) {
                backoff = pod.settings().backoffBase();
            }
            lastState = state;
            state = waiting("CrashLoopBackOff", "back-off " + backoff.toSeconds() + "s restarting failed container="
                    + name() + " pod=" + pod.name());
            pod.event(io.capstan.runtime.events.EventReason.Type.Warning, "BackOff", "Back-off restarting failed container "
                    + name());
            pod.publish();
            pod.sleepUnlessStopped(backoff);
            backoff = backoff.multipliedBy(2).compareTo(pod.settings().backoffMax()) > 0 ? pod.settings().backoffMax()
                    : backoff.multipliedBy(2);
            if (!stopping) {
                restartCount++;
            }
        }
        return false;
    }

    /** One run of the process; returns its exit code (127/126 when it cannot be started). */
    private int runOnce() throws InterruptedException {
        Map<String, String> env = environment();
        List<String> command = command(env);
        if (command.isEmpty()) {
            state = waiting("CreateContainerError", "container " + name() + " has no command: the process provider runs "
                    + "command + args as a host process and cannot use the entrypoint of image " + spec.getImage());
            pod.publish();
            pod.sleepUnlessStopped(Duration.ofDays(365));
            return 1;
        }
        String notRunnable = notRunnable(command.getFirst(), env.get("PATH"));
        String startedAt = now();
        if (notRunnable != null) {
            int code = notRunnable.contains("permission") ? 126 : 127;
            state = terminated(code, "ContainerCannotRun", notRunnable, startedAt);
            pod.event(io.capstan.runtime.events.EventReason.Type.Warning, "Failed", "Error: " + notRunnable);
            pod.publish();
            return code;
        }
        Path logFile = pod.logFile(name(), restartCount);
        Process started;
        try {
            Path terminationLog = pod.terminationLog(name());
            Files.deleteIfExists(terminationLog);
            Files.createFile(terminationLog);
            log_ = new ContainerLog(logFile, pod.settings().logMaxBytes());
            started = launch(command, env, spec.getStdin() != null && spec.getStdin());
        } catch (IOException e) {
            state = terminated(128, "StartError", "cannot start " + command.getFirst() + ": " + e.getMessage(), startedAt);
            pod.publish();
            return 128;
        }
        process = started;
        confineMemory(started);
        ContainerLog output = log_;
        Thread stdout = Thread.ofVirtual().start(() -> output.capture(started.getInputStream(), "stdout"));
        Thread stderr = Thread.ofVirtual().start(() -> output.capture(started.getErrorStream(), "stderr"));
        if (!(spec.getStdin() != null && spec.getStdin())) {
            closeQuietly(started.getOutputStream());
        }
        state = new ContainerStateBuilder().withNewRunning().withStartedAt(startedAt).endRunning().build();
        this.started = spec.getStartupProbe() == null;
        ready = !init && spec.getReadinessProbe() == null && this.started;
        pod.event(io.capstan.runtime.events.EventReason.Type.Normal, "Started", "Started container " + name());
        pod.publish();
        runHook(spec.getLifecycle() == null ? null : spec.getLifecycle().getPostStart(), "PostStart");
        startProbes();
        int exitCode = started.waitFor();
        stdout.join(Duration.ofSeconds(5));
        stderr.join(Duration.ofSeconds(5));
        output.finish();
        stopProbes();
        ready = false;
        boolean oom = cgroup != null && MemoryLimits.oomKilled(cgroup);
        if (cgroup != null) {
            MemoryLimits.release(cgroup);
            cgroup = null;
        }
        String reason = oom ? "OOMKilled" : exitCode == 0 ? "Completed" : "Error";
        state = terminated(exitCode, reason, terminationMessage(exitCode, logFile), startedAt);
        pod.publish();
        return exitCode;
    }

    private Process launch(List<String> command, Map<String, String> env, boolean keepStdin) throws IOException {
        List<String> full = new ArrayList<>();
        if (pod.settings().setsid()) {
            full.add("setsid");
        }
        String workingDir = spec.getWorkingDir() == null || spec.getWorkingDir().isEmpty() ? null : spec.getWorkingDir();
        if (pod.settings().bubblewrap()) {
            full.addAll(Sandbox.bubblewrap(pod.mountsFor(this), workingDir == null ? "/" : workingDir, command));
        } else {
            full.addAll(command);
        }
        ProcessBuilder builder = new ProcessBuilder(full);
        builder.environment().clear();
        builder.environment().putAll(env);
        if (!pod.settings().bubblewrap()) {
            File dir = workingDir != null && new File(workingDir).isDirectory() ? new File(workingDir)
                    : pod.sandbox().toFile();
            builder.directory(dir);
        }
        if (!keepStdin) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        return builder.start();
    }

    private void confineMemory(Process started) {
        Quantity limit = spec.getResources() == null || spec.getResources().getLimits() == null ? null
                : spec.getResources().getLimits().get("memory");
        if (limit == null || pod.memoryLimits() == null) {
            return;
        }
        try {
            cgroup = pod.memoryLimits().confine(pod.uid() + "_" + name(), started.pid(),
                    limit.getNumericalAmount().longValue());
        } catch (IOException e) {
            log.warn("Cannot enforce the memory limit of container {} of pod {}: {}", name(), pod.name(), e.getMessage());
        }
    }

    /** The container's environment: resolved env, plus PATH and HOSTNAME defaults and the reachable API server. */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", pod.settings().tools() == null ? DEFAULT_PATH : pod.settings().tools() + ":" + DEFAULT_PATH);
        env.put("HOSTNAME", pod.hostname());
        env.put("HOME", "/root");
        for (EnvVar variable : spec.getEnv() == null ? List.<EnvVar>of() : spec.getEnv()) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            }
        }
        pod.apiServerEnvironment(env);
        if (!pod.settings().bubblewrap()) {
            pod.volumeEnvironment(env);
        }
        return env;
    }

    /** command + args with $(VAR) expanded from the container's environment. */
    List<String> command(Map<String, String> env) {
        List<String> command = new ArrayList<>();
        for (String part : spec.getCommand() == null ? List.<String>of() : spec.getCommand()) {
            command.add(Expansion.expand(part, env::get));
        }
        if (command.isEmpty()) {
            return command;
        }
        for (String part : spec.getArgs() == null ? List.<String>of() : spec.getArgs()) {
            command.add(Expansion.expand(part, env::get));
        }
        return command;
    }

    /** Why an executable cannot run, like the container runtime would say, or null if it can. */
    static String notRunnable(String executable, String path) {
        if (executable.contains("/")) {
            Path file = Path.of(executable);
            if (!Files.exists(file)) {
                return "exec: \"" + executable + "\": stat " + executable + ": no such file or directory";
            }
            return Files.isExecutable(file) && !Files.isDirectory(file) ? null
                    : "exec: \"" + executable + "\": permission denied";
        }
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, executable)) && !Files.isDirectory(Path.of(dir, executable))) {
                return null;
            }
        }
        return "exec: \"" + executable + "\": executable file not found in $PATH";
    }

    private ContainerState terminated(int exitCode, String reason, String message, String startedAt) {
        return new ContainerStateBuilder().withNewTerminated().withExitCode(exitCode)
                .withSignal(exitCode > 128 && exitCode <= 192 ? exitCode - 128 : null)
                .withReason(reason).withMessage(message == null || message.isEmpty() ? null : message)
                .withStartedAt(startedAt).withFinishedAt(now())
                .withContainerID(process == null ? null : "process://" + process.pid()).endTerminated().build();
    }

    /** The termination-log file, or the log's tail for FallbackToLogsOnError after a failure. */
    private String terminationMessage(int exitCode, Path logFile) {
        try {
            Path file = pod.terminationLog(name());
            if (Files.exists(file) && Files.size(file) > 0) {
                byte[] bytes = Files.readAllBytes(file);
                return new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            log.debug("Cannot read the termination message of {}: {}", name(), e.getMessage());
        }
        if (exitCode != 0 && "FallbackToLogsOnError".equals(spec.getTerminationMessagePolicy())) {
            return ContainerLog.tail(logFile, 80, 2048);
        }
        return null;
    }

    private void startProbes() {
        Probe.Listener listener = new Probe.Listener() {
            @Override
            public void passed(Probe.Kind kind) {
                switch (kind) {
                    case STARTUP -> {
                        started = true;
                        if (spec.getReadinessProbe() == null) {
                            ready = true;
                        }
                        startProbe(Probe.Kind.LIVENESS, spec.getLivenessProbe(), this);
                        startProbe(Probe.Kind.READINESS, spec.getReadinessProbe(), this);
                    }
                    case READINESS -> {
                        if (!ready && started) {
                            ready = true;
                        }
                    }
                    case LIVENESS -> {
                        return;
                    }
                }
                pod.publish();
            }

            @Override
            public void failed(Probe.Kind kind, String reason) {
                pod.event(io.capstan.runtime.events.EventReason.Type.Warning, "Unhealthy",
                        kind.name().charAt(0) + kind.name().substring(1).toLowerCase() + " probe failed: " + reason);
                if (kind == Probe.Kind.READINESS) {
                    if (ready) {
                        ready = false;
                        pod.publish();
                    }
                    return;
                }
                pod.event(io.capstan.runtime.events.EventReason.Type.Normal, "Killing", "Container " + name()
                        + " failed " + kind.name().toLowerCase() + " probe, will be restarted");
                Thread.ofVirtual().start(() -> kill(gracePeriod()));
            }
        };
        if (spec.getStartupProbe() != null) {
            startProbe(Probe.Kind.STARTUP, spec.getStartupProbe(), listener);
        } else if (!init) {
            startProbe(Probe.Kind.LIVENESS, spec.getLivenessProbe(), listener);
            startProbe(Probe.Kind.READINESS, spec.getReadinessProbe(), listener);
        }
    }

    private void startProbe(Probe.Kind kind, io.fabric8.kubernetes.api.model.Probe probeSpec, Probe.Listener listener) {
        if (probeSpec == null) {
            return;
        }
        Probe probe = new Probe(kind, probeSpec, spec.getPorts(), this::execQuietly, listener);
        synchronized (probes) {
            probes.add(probe);
        }
        probe.start();
    }

    private void stopProbes() {
        synchronized (probes) {
            probes.forEach(Probe::stop);
            probes.clear();
        }
    }

    private Duration gracePeriod() {
        Long seconds = pod.terminationGracePeriodSeconds();
        return Duration.ofSeconds(seconds == null ? 30 : seconds);
    }

    /** Runs a command in the container's sandbox and returns its exit code (for exec probes and hooks). */
    int execQuietly(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process probe = launch(command, environment(), false);
        probe.getInputStream().transferTo(OutputStream.nullOutputStream());
        if (!probe.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            killGroup(probe, "KILL");
            return -1;
        }
        return probe.exitValue();
    }

    /** Starts a command in the container's sandbox for {@code kubectl exec}. */
    Process exec(List<String> command, boolean tty) throws IOException {
        List<String> actual = command;
        if (tty) {
            actual = List.of("script", "-qfec", String.join(" ", command.stream().map(ContainerRuntime::shellQuote).toList()),
                    "/dev/null");
        }
        return launch(actual, environment(), true);
    }

    private static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private void runHook(LifecycleHandler hook, String name) {
        if (hook == null) {
            return;
        }
        try {
            if (hook.getExec() != null) {
                int code = execQuietly(hook.getExec().getCommand(), gracePeriod());
                if (code != 0) {
                    pod.event(io.capstan.runtime.events.EventReason.Type.Warning, "Failed" + name + "Hook",
                            name + " hook " + hook.getExec().getCommand() + " exited with " + code);
                }
            } else if (hook.getHttpGet() != null) {
                io.fabric8.kubernetes.api.model.Probe asProbe = new io.fabric8.kubernetes.api.model.ProbeBuilder()
                        .withHttpGet(hook.getHttpGet()).withTimeoutSeconds((int) gracePeriod().toSeconds()).build();
                String failure = new Probe(Probe.Kind.LIVENESS, asProbe, spec.getPorts(), this::execQuietly, null).check();
                if (failure != null) {
                    pod.event(io.capstan.runtime.events.EventReason.Type.Warning, "Failed" + name + "Hook",
                            name + " hook failed: " + failure);
                }
            }
        } catch (Exception e) {
            log.debug("{} hook of {} failed: {}", name, name(), e.getMessage());
        }
    }

    /** Stops the container for good: preStop hook, SIGTERM to its process group, SIGKILL after the grace period. */
    void stop(Duration grace) {
        stopping = true;
        kill(grace);
    }

    /** Kills the current run (it may restart unless {@link #stop} was called). */
    private void kill(Duration grace) {
        Process current = process;
        if (current == null || !current.isAlive()) {
            return;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        runHook(spec.getLifecycle() == null ? null : spec.getLifecycle().getPreStop(), "PreStop");
        mainProcess(current).destroy();
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!current.waitFor(left, TimeUnit.NANOSECONDS)) {
                killGroup(current, "KILL");
                current.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            killGroup(current, "KILL");
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The container's main process, which gets SIGTERM as from a container runtime: in a sandbox the first process
     * inside bubblewrap (signalling bwrap itself would make it kill the container at once), else the process itself.
     */
    private ProcessHandle mainProcess(Process target) {
        if (!pod.settings().bubblewrap()) {
            return target.toHandle();
        }
        ProcessHandle current = target.toHandle();
        for (int depth = 0; depth < 3; depth++) {
            var child = current.children().findFirst();
            if (child.isEmpty()) {
                return current;
            }
            current = child.get();
            if (!current.info().command().orElse("").endsWith("bwrap")) {
                return current;
            }
        }
        return current;
    }

    /** Signals the whole process group (the container runs in its own session), or the process tree without setsid. */
    private void killGroup(Process target, String signal) {
        if (pod.settings().setsid()) {
            try {
                new ProcessBuilder("kill", "-" + signal, "--", "-" + target.pid()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
                return;
            } catch (IOException e) {
                log.debug("kill -{} failed: {}", signal, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        target.descendants().forEach(signal.equals("KILL") ? ProcessHandle::destroyForcibly : ProcessHandle::destroy);
        if (signal.equals("KILL")) {
            target.destroyForcibly();
        } else {
            target.destroy();
        }
    }

    Process process() {
        return process;
    }

    ContainerLog currentLog() {
        return log_;
    }

    int restartCount() {
        return restartCount;
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static void closeQuietly(OutputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
