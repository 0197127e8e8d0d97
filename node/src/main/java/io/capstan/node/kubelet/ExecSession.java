package io.capstan.node.kubelet;

import io.capstan.node.api.Provider;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl exec} and {@code kubectl attach} over SPDY (channel.k8s.io v1–v5): waits until the client has
 * opened the streams it asked for (error, and stdin/stdout/stderr/resize as requested), then runs the
 * {@link RemoteCommand}. A client that does not open them within the creation timeout is disconnected.
 */
final class ExecSession implements SpdyConnection.Session {

    private static final Logger log = LoggerFactory.getLogger(ExecSession.class);

    private final Provider provider;
    private final RemoteCommand.Request request;
    private final int protocolVersion;
    private final Channel channel;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile SpdyStream error;
    private volatile SpdyStream stdinStream;
    private volatile SpdyStream stdoutStream;
    private volatile SpdyStream stderrStream;
    private volatile SpdyStream resizeStream;
    private volatile Thread running;

    ExecSession(Provider provider, RemoteCommand.Request request, String protocol, Channel channel,
            Duration creationTimeout) {
        this.provider = provider;
        this.request = request;
        this.protocolVersion = protocolVersion(protocol);
        this.channel = channel;
        channel.eventLoop().schedule(() -> {
            if (!started.get()) {
                log.info("Closing {} session for {}/{}: the client did not open its streams within {}s",
                        request.kind(), request.namespace(), request.pod(), creationTimeout.toSeconds());
                channel.close();
            }
        }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The remote-command protocol version a negotiated name stands for (SPDY and WebSocket names alike). */
    static int protocolVersion(String protocol) {
        return switch (protocol) {
            case "v5.channel.k8s.io" -> 5;
            case "v4.channel.k8s.io", "v4.base64.channel.k8s.io" -> 4;
            case "v3.channel.k8s.io" -> 3;
            case "v2.channel.k8s.io" -> 2;
            default -> 1;
        };
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
            RemoteCommand command = new RemoteCommand(provider, request, protocolVersion, new RemoteCommand.Streams(
                    stdinStream == null ? null : stdinStream.input(),
                    stdoutStream == null ? null : stdoutStream.output(),
                    stderrStream == null ? null : stderrStream.output(),
                    resizeStream == null ? null : resizeStream.input(), error.output(), channel::close));
            running = Thread.ofVirtual().name(request.kind() + "-" + request.pod()).start(command::run);
        }
    }

    private boolean allStreamsOpen() {
        boolean resizeExpected = request.tty() && protocolVersion >= 3;
        return error != null
                && (!request.stdin() || stdinStream != null)
                && (!request.stdout() || stdoutStream != null)
                && (!request.stderr() || request.tty() || stderrStream != null)
                && (!resizeExpected || resizeStream != null);
    }

    @Override
    public void onClosed() {
        Thread thread = running;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
