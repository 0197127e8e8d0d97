package io.capstan.node.kubelet;

import io.capstan.node.api.Provider;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl port-forward} over SPDY ({@code portforward.k8s.io}): for every forwarded connection the client
 * opens a data and an error stream carrying the same {@code requestid} and the target {@code port}; bytes are
 * piped between the data stream and a connection to that port of the pod. Failures are written to the error
 * stream as text. The connection serves any number of forwarded connections until the client closes it.
 */
final class PortForwardSession implements SpdyConnection.Session {

    private static final Logger log = LoggerFactory.getLogger(PortForwardSession.class);

    private final Provider provider;
    private final String namespace;
    private final String pod;
    private final Map<String, SpdyStream[]> pairs = new ConcurrentHashMap<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    PortForwardSession(Provider provider, String namespace, String pod, Channel channel) {
        this.provider = provider;
        this.namespace = namespace;
        this.pod = pod;
    }

    @Override
    public void onStream(SpdyStream stream) {
        String request = stream.header("requestid");
        if (request == null) {
            // Clients older than Kubernetes 1.6 send no request id; data follows its error stream.
            request = Integer.toString("error".equals(stream.type()) ? stream.id() : stream.id() - 2);
        }
        SpdyStream[] pair = pairs.computeIfAbsent(request, key -> new SpdyStream[2]);
        synchronized (pair) {
            if ("data".equals(stream.type())) {
                pair[0] = stream;
            } else if ("error".equals(stream.type())) {
                pair[1] = stream;
            }
            if (pair[0] != null && pair[1] != null) {
                pairs.remove(request);
                SpdyStream data = pair[0];
                SpdyStream error = pair[1];
                Thread.ofVirtual().name("port-forward-" + pod).start(() -> forward(data, error));
            }
        }
    }

    private void forward(SpdyStream data, SpdyStream error) {
        String portHeader = data.header("port");
        int port;
        try {
            port = Integer.parseInt(portHeader);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException | NullPointerException e) {
            fail(data.output(), error.output(), "invalid port '" + portHeader + "'");
            return;
        }
        forward(provider, namespace, pod, port, data.input(), data.output(), error.output(), sockets);
    }

    /**
     * Pipes one forwarded connection between a client's data stream and the pod's port until either side ends;
     * a failure to connect is written to the error stream as text. Used by SPDY and WebSocket port-forwarding.
     *
     * @param sockets where the open connection is registered while it lasts, so a closing session can end it
     */
    static void forward(Provider provider, String namespace, String pod, int port, InputStream in, OutputStream out,
            OutputStream error, Set<Socket> sockets) {
        Socket socket;
        try {
            socket = provider.portForward(namespace, pod, port);
        } catch (Exception e) {
            fail(out, error, "error forwarding port " + port + " to pod " + namespace + "/" + pod + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return;
        }
        sockets.add(socket);
        try (socket) {
            Thread upstream = Thread.ofVirtual().start(() -> {
                try {
                    copy(in, socket.getOutputStream());
                    socket.shutdownOutput();
                } catch (IOException e) {
                    log.debug("Port-forward upload to {} ended: {}", port, e.getMessage());
                }
            });
            try {
                copy(socket.getInputStream(), out);
            } catch (IOException e) {
                log.debug("Port-forward download from {} ended: {}", port, e.getMessage());
            }
            closeQuietly(out);
            upstream.join();
        } catch (IOException | InterruptedException e) {
            log.debug("Port-forward to {} ended: {}", port, e.getMessage());
        } finally {
            sockets.remove(socket);
            closeQuietly(error);
        }
    }

    private static void copy(InputStream from, OutputStream to) throws IOException {
        byte[] buffer = new byte[32 * 1024];
        int read;
        while ((read = from.read(buffer)) >= 0) {
            to.write(buffer, 0, read);
            to.flush();
        }
    }

    private static void fail(OutputStream data, OutputStream error, String message) {
        try {
            error.write(message.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // the client is gone
        }
        closeQuietly(error);
        closeQuietly(data);
    }

    private static void closeQuietly(OutputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void onClosed() {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
