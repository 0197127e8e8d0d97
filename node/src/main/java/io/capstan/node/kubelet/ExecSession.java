package io.capstan.node.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.node.api.AttachStreams;
import io.capstan.node.api.ExitCodeException;
import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.NotImplementedException;
import io.capstan.node.api.Provider;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl exec} and {@code kubectl attach} over SPDY: the remote-command protocol (channel.k8s.io v1–v5).
 * Once the client has opened the streams it asked for (error, and stdin/stdout/stderr/resize as requested), the
 * provider runs; then stdout and stderr are finished and the outcome is written to the error stream — for v4 and
 * v5 as a {@code metav1.Status}, with reason {@code NonZeroExitCode} carrying the exit code, so kubectl exits with
 * it.
 */
final class ExecSession implements SpdyConnection.Session {

    private static final Logger log = LoggerFactory.getLogger(ExecSession.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the client asked for. {@code command} is empty for attach. */
    record Request(String namespace, String pod, String container, List<String> command, boolean stdin, boolean stdout,
            boolean stderr, boolean tty) {
    }

    private final Provider provider;
    private final Request request;
    private final String protocol;
    private final Channel channel;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile SpdyStream error;
    private volatile SpdyStream stdinStream;
    private volatile SpdyStream stdoutStream;
    private volatile SpdyStream stderrStream;
    private volatile SpdyStream resizeStream;
    private volatile Thread running;

    ExecSession(Provider provider, Request request, String protocol, Channel channel, Duration creationTimeout) {
        this.provider = provider;
        this.request = request;
        this.protocol = protocol;
        this.channel = channel;
        channel.eventLoop().schedule(() -> {
            if (!started.get()) {
                log.info("Closing {} session for {}/{}: the client did not open its streams within {}s",
                        kind(), request.namespace(), request.pod(), creationTimeout.toSeconds());
                channel.close();
            }
        }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private String kind() {
        return request.command().isEmpty() ? "attach" : "exec";
    }

    @Override
    public void onStream(SpdyStream stream) {
        switch (String.valueOf(stream.type())) {
            case "error" -> error = stream;
            case "stdin" -> stdinStream = stream;
            case "stdout" -> stdoutStream = stream;
            case "stderr" -> stderrStream = stream;
            case "resize" -> resizeStream = stream;
            default -> log.debug("Ignoring unknown stream type {}", stream.type());
        }
        if (allStreamsOpen() && started.compareAndSet(false, true)) {
            running = Thread.ofVirtual().name(kind() + "-" + request.pod()).start(this::run);
        }
    }

    private boolean allStreamsOpen() {
        boolean resizeExpected = request.tty() && protocolVersion() >= 3;
        return error != null
                && (!request.stdin() || stdinStream != null)
                && (!request.stdout() || stdoutStream != null)
                && (!request.stderr() || request.tty() || stderrStream != null)
                && (!resizeExpected || resizeStream != null);
    }

    private int protocolVersion() {
        return switch (protocol) {
            case "v5.channel.k8s.io" -> 5;
            case "v4.channel.k8s.io" -> 4;
            case "v3.channel.k8s.io" -> 3;
            case "v2.channel.k8s.io" -> 2;
            default -> 1;
        };
    }

    @Override
    public void onClosed() {
        Thread thread = running;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        BlockingQueue<AttachStreams.TerminalSize> resizes = request.tty() ? new LinkedBlockingQueue<>() : null;
        if (resizes != null && resizeStream != null) {
            Thread.ofVirtual().start(() -> readResizes(resizes));
        }
        AttachStreams streams = new AttachStreams(stdinStream == null ? null : stdinStream.input(),
                stdoutStream == null ? null : stdoutStream.output(),
                stderrStream == null || request.tty() ? null : stderrStream.output(), request.tty(), resizes);
        String outcome;
        try {
            if (request.command().isEmpty()) {
                provider.attachToContainer(request.namespace(), request.pod(), request.container(), streams);
            } else {
                provider.runInContainer(request.namespace(), request.pod(), request.container(), request.command(), streams);
            }
            outcome = success();
        } catch (ExitCodeException e) {
            outcome = nonZeroExit(e.exitCode());
        } catch (NotFoundException | NotImplementedException e) {
            outcome = failure("NotFound", e.getMessage(), 404);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = failure("InternalError", "the client went away", 500);
        } catch (Exception e) {
            outcome = failure("InternalError", e.getMessage() == null ? e.toString() : e.getMessage(), 500);
        }
        finish(outcome);
    }

    private void readResizes(BlockingQueue<AttachStreams.TerminalSize> resizes) {
        try (MappingIterator<JsonNode> sizes = JSON.readerFor(JsonNode.class).readValues(resizeStream.input())) {
            while (sizes.hasNextValue()) {
                JsonNode size = sizes.nextValue();
                resizes.add(new AttachStreams.TerminalSize(size.path("Width").asInt(), size.path("Height").asInt()));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Resize stream ended: {}", e.getMessage());
        }
    }

    private String success() {
        return protocolVersion() >= 4 ? "{\"metadata\":{},\"status\":\"Success\"}" : "";
    }

    private String nonZeroExit(int code) {
        String message = "command terminated with non-zero exit code: error executing command " + request.command()
                + ", exit code " + code;
        if (protocolVersion() < 4) {
            return message;
        }
        return json(Map.of("metadata", Map.of(), "status", "Failure", "message", message, "reason", "NonZeroExitCode",
                "details", Map.of("causes", List.of(Map.of("reason", "ExitCode", "message", Integer.toString(code))))));
    }

    private String failure(String reason, String message, int code) {
        if (protocolVersion() < 4) {
            return message;
        }
        return json(Map.of("metadata", Map.of(), "status", "Failure", "message", message, "reason", reason, "code", code));
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends stdout and stderr, reports the outcome on the error stream, then closes the connection. */
    private void finish(String outcome) {
        closeQuietly(stdoutStream == null ? null : stdoutStream.output());
        closeQuietly(stderrStream == null ? null : stderrStream.output());
        try {
            OutputStream errors = error.output();
            if (!outcome.isEmpty()) {
                errors.write(outcome.getBytes(StandardCharsets.UTF_8));
            }
            errors.close();
        } catch (IOException e) {
            log.debug("Could not report the {} outcome: {}", kind(), e.getMessage());
        }
        channel.close();
    }

    private static void closeQuietly(OutputStream stream) {
        if (stream == null) {
            return;
        }
        try {
            stream.close();
        } catch (IOException ignored) {
            // the client is gone
        }
    }
}
