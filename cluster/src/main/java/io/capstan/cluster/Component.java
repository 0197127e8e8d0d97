package io.capstan.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control-plane process (etcd, kube-apiserver, ...): started with its output in a log file, watched for an
 * unexpected exit, and stopped with SIGTERM then SIGKILL.
 */
public final class Component {

    private static final Logger log = LoggerFactory.getLogger(Component.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final String name;
    private final Path logFile;
    private final int port;
    private final Process process;
    private volatile boolean stopping;

    /** An unexpected exit: which component, its exit code and the end of its log. */
    public record Failure(String component, int exitCode, String logTail, Path logFile) {
        public String describe() {
            return component + " exited with code " + exitCode + ". Last lines of " + logFile + ":\n" + logTail;
        }
    }

    private Component(String name, Path logFile, int port, Process process) {
        this.name = name;
        this.logFile = logFile;
        this.port = port;
        this.process = process;
    }

    static Component start(String name, List<String> command, Path logFile, int port, Watchdog watchdog,
            Consumer<Failure> onUnexpectedExit) {
        try {
            Files.createDirectories(logFile.getParent());
            Files.writeString(logFile, "# " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            watchdog.watch(process.pid());
            Component component = new Component(name, logFile, port, process);
            process.onExit().thenAccept(exited -> {
                if (!component.stopping) {
                    onUnexpectedExit.accept(component.failure());
                }
            });
            log.debug("Started {} (pid {}) logging to {}", name, process.pid(), logFile);
            return component;
        } catch (IOException e) {
            throw new ControlPlaneException("cannot start " + name + " (" + command.getFirst() + "): " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    Failure failure() {
        int code = process.isAlive() ? -1 : process.exitValue();
        return new Failure(name, code, tail(logFile, 20), logFile);
    }

    /** SIGTERM, then SIGKILL if the process has not exited after 10 seconds. */
    void stop() {
        stopping = true;
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{} (pid {}) ignored SIGTERM for {}s; killing it", name, process.pid(), STOP_GRACE.toSeconds());
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of a log file, indented, for error messages. */
    static String tail(Path file, int lines) {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            int chunk = (int) Math.min(length, 64 * 1024);
            byte[] bytes = new byte[chunk];
            in.seek(length - chunk);
            in.readFully(bytes);
            String[] all = new String(bytes, StandardCharsets.UTF_8).split("\n");
            List<String> last = new ArrayList<>(Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
            return "  " + String.join("\n  ", last);
        } catch (IOException e) {
            return "  (log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + "(pid " + pid() + ", port " + port + ")";
    }
}
