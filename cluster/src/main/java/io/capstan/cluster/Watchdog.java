package io.capstan.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Makes sure control-plane processes never outlive the JVM that started them, even when it is killed with
 * SIGKILL and gets no chance to run shutdown hooks. A small shell process reads the pids to guard from a pipe;
 * when the pipe closes without the "release" word (the JVM died), it sends SIGTERM and then SIGKILL to them.
 */
final class Watchdog implements AutoCloseable {

    private static final String SCRIPT = """
            pids=
            while IFS= read -r line; do
              case "$line" in
                release) exit 0 ;;
                *) pids="$pids $line" ;;
              esac
            done
            [ -n "$pids" ] || exit 0
            kill -TERM $pids 2>/dev/null
            i=0
            while [ $i -lt 10 ]; do
              alive=
              for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
              [ -z "$alive" ] && exit 0
              sleep 1
              i=$((i + 1))
            done
            kill -KILL $pids 2>/dev/null
            """;

    private final Process shell;
    private final OutputStream pipe;

    Watchdog() {
        try {
            shell = new ProcessBuilder("/bin/sh", "-c", SCRIPT)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            pipe = shell.getOutputStream();
        } catch (IOException e) {
            throw new ControlPlaneException("cannot start the process watchdog (/bin/sh): " + e.getMessage(), e);
        }
    }

    synchronized void watch(long pid) {
        send(pid + "\n");
    }

    /** The guarded processes were stopped properly: the watchdog exits without killing anything. */
    @Override
    public synchronized void close() {
        send("release\n");
        try {
            pipe.close();
        } catch (IOException ignored) {
            // the shell already exited
        }
    }

    private void send(String line) {
        try {
            pipe.write(line.getBytes(StandardCharsets.US_ASCII));
            pipe.flush();
        } catch (IOException e) {
            throw new ControlPlaneException("the process watchdog died; refusing to start processes it cannot guard", e);
        }
    }
}
