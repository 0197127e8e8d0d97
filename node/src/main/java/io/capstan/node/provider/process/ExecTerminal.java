package io.capstan.node.provider.process;

import io.capstan.node.api.AttachStreams.TerminalSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal of a {@code kubectl exec -t}: script(1) gives the command a pseudo-terminal, and each size the client
 * sends on the resize stream is set on it with {@code stty -F}, so the kernel signals SIGWINCH to the command as a
 * kubelet's runtime does. The terminal is reached through {@code /proc/<pid>/fd/0} of the process reading it, which
 * works from the host even when the command runs in a sandbox with a devpts of its own.
 */
final class ExecTerminal {

    private static final Logger log = LoggerFactory.getLogger(ExecTerminal.class);
    /** How long to look for the terminal: the client sends its first size as soon as the streams open. */
    private static final long FIND_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private ExecTerminal() {
    }

    /** Applies sizes from {@code resizes} to the terminal of {@code exec} until it exits. */
    static void applyResizes(Process exec, BlockingQueue<TerminalSize> resizes) {
        try {
            while (exec.isAlive()) {
                TerminalSize size = resizes.poll(200, TimeUnit.MILLISECONDS);
                if (size != null && size.width() > 0 && size.height() > 0) {
                    resize(exec, size);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void resize(Process exec, TerminalSize size) throws InterruptedException {
        Optional<Path> terminal = find(exec);
        if (terminal.isEmpty()) {
            log.debug("No terminal found for exec process {}; size {}x{} not applied", exec.pid(), size.width(),
                    size.height());
            return;
        }
        try {
            Process stty = new ProcessBuilder(List.of("stty", "-F", terminal.get().toString(), "rows",
                    String.valueOf(size.height()), "cols", String.valueOf(size.width())))
                    .redirectErrorStream(true).start();
            String output = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (stty.waitFor() != 0) {
                log.debug("stty on {} failed: {}", terminal.get(), output);
            }
        } catch (IOException e) {
            log.debug("Cannot resize the terminal of exec process {}: {}", exec.pid(), e.getMessage());
        }
    }

    /** The stdin of the first process under {@code exec} that reads a pseudo-terminal, waiting until it exists. */
    private static Optional<Path> find(Process exec) throws InterruptedException {
        long deadline = System.nanoTime() + FIND_TIMEOUT_NANOS;
        while (exec.isAlive() && System.nanoTime() < deadline) {
            Optional<Path> found = exec.toHandle().descendants().map(child -> Path.of("/proc",
                    String.valueOf(child.pid()), "fd", "0")).filter(ExecTerminal::isPseudoTerminal).findFirst();
            if (found.isPresent()) {
                return found;
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    private static boolean isPseudoTerminal(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().startsWith("/dev/pts/");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
