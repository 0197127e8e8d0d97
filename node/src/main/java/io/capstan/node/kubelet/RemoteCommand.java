package io.capstan.node.kubelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.node.api.AttachStreams;
import io.capstan.node.api.ExitCodeException;
import io.capstan.node.api.NotFoundException;
import io.capstan.node.api.NotImplementedException;
import io.capstan.node.api.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code exec} or {@code attach} once its streams are open, whatever carries them (SPDY or WebSocket): the
 * provider runs with the client's streams; then stdout and stderr are finished and the outcome is written to the
 * error stream — from protocol version 4 on as a {@code metav1.Status}, with reason {@code NonZeroExitCode} carrying
 * the exit code, so kubectl and fabric8 report it; before that as plain text, as the kubelet does.
 */
final class RemoteCommand {

    private static final Logger log = LoggerFactory.getLogger(RemoteCommand.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the client asked for. {@code command} is empty for attach. */
    record Request(String namespace, String pod, String container, List<String> command, boolean stdin, boolean stdout,
            boolean stderr, boolean tty) {

        String kind() {
            return command.isEmpty() ? "attach" : "exec";
        }
    }

    /**
     * The client's side; absent streams are null.
     *
     * @param resize terminal sizes as a sequence of JSON objects {@code {"Width":w,"Height":h}}
     * @param close ends the connection once the outcome is written
     */
    record Streams(InputStream stdin, OutputStream stdout, OutputStream stderr, InputStream resize, OutputStream error,
            Runnable close) {
    }

    private final Provider provider;
    private final Request request;
    private final int protocolVersion;
    private final Streams streams;

    RemoteCommand(Provider provider, Request request, int protocolVersion, Streams streams) {
        this.provider = provider;
        this.request = request;
        this.protocolVersion = protocolVersion;
        this.streams = streams;
    }

    /** Runs to the end on the calling thread; interrupting it ends the command as "the client went away". */
    void run() {
        BlockingQueue<AttachStreams.TerminalSize> resizes = request.tty() ? new LinkedBlockingQueue<>() : null;
        if (resizes != null && streams.resize() != null) {
            Thread.ofVirtual().start(() -> readResizes(resizes));
        }
        AttachStreams attach = new AttachStreams(streams.stdin(), streams.stdout(),
                request.tty() ? null : streams.stderr(), request.tty(), resizes);
        String outcome;
        try {
            if (request.command().isEmpty()) {
                provider.attachToContainer(request.namespace(), request.pod(), request.container(), attach);
            } else {
                provider.runInContainer(request.namespace(), request.pod(), request.container(), request.command(), attach);
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
        try (MappingIterator<JsonNode> sizes = JSON.readerFor(JsonNode.class).readValues(streams.resize())) {
            while (sizes.hasNextValue()) {
                JsonNode size = sizes.nextValue();
                resizes.add(new AttachStreams.TerminalSize(size.path("Width").asInt(), size.path("Height").asInt()));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Resize stream ended: {}", e.getMessage());
        }
    }

    private String success() {
        return protocolVersion >= 4 ? "{\"metadata\":{},\"status\":\"Success\"}" : "";
    }

    private String nonZeroExit(int code) {
        String message = "command terminated with non-zero exit code: error executing command " + request.command()
                + ", exit code " + code;
        if (protocolVersion < 4) {
            return message;
        }
        return json(Map.of("metadata", Map.of(), "status", "Failure", "message", message, "reason", "NonZeroExitCode",
                "details", Map.of("causes", List.of(Map.of("reason", "ExitCode", "message", Integer.toString(code))))));
    }

    private String failure(String reason, String message, int code) {
        if (protocolVersion < 4) {
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
        closeQuietly(streams.stdout());
        closeQuietly(streams.stderr());
        try {
            OutputStream errors = streams.error();
            if (!outcome.isEmpty()) {
                errors.write(outcome.getBytes(StandardCharsets.UTF_8));
            }
            errors.close();
        } catch (IOException e) {
            log.debug("Could not report the {} outcome: {}", request.kind(), e.getMessage());
        }
        streams.close().run();
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
