package io.capstan.node.kubelet;

import io.capstan.node.api.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * exec, attach and port-forward once a WebSocket connection is open: the kubelet's channel layout on top of
 * {@link WebSocketChannels}, with the command and forwarding logic shared with SPDY ({@link RemoteCommand},
 * {@link PortForwardSession#forward}).
 */
final class WebSocketSessions {

    private WebSocketSessions() {
    }

    /** Channels 0–4 are stdin, stdout, stderr, error and resize; each exists only if it was asked for. */
    static void exec(Provider provider, RemoteCommand.Request request, String protocol, WebSocketChannels ws) {
        RemoteCommand command = new RemoteCommand(provider, request, ExecSession.protocolVersion(protocol),
                new RemoteCommand.Streams(request.stdin() ? ws.input(0) : null, request.stdout() ? ws.output(1) : null,
                        request.stderr() ? ws.output(2) : null, request.tty() ? ws.input(4) : null, ws.output(3),
                        ws::close));
        Thread running = Thread.ofVirtual().name(request.kind() + "-" + request.pod()).unstarted(() -> {
            try {
                // As the kubelet does: an empty message on the lowest writable channel says the session is up.
                ws.send(request.stdout() ? 1 : request.stderr() ? 2 : 3, new byte[0]);
            } catch (IOException e) {
                return;
            }
            command.run();
        });
        ws.onClosed(running::interrupt);
        running.start();
    }

    /**
     * Port {@code i} uses channel {@code 2i} for data and {@code 2i+1} for errors; both first carry the port number
     * (two bytes, little-endian), as the kubelet sends it. The connection closes once every port's connection ended.
     */
    static void portForward(Provider provider, String namespace, String pod, List<Integer> ports,
            WebSocketChannels ws) {
        Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        List<Thread> forwards = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            int data = 2 * i;
            InputStream in = ws.input(data);
            forwards.add(Thread.ofVirtual().name("port-forward-" + pod).unstarted(() -> {
                byte[] portBytes = {(byte) port, (byte) (port >> 8)};
                try {
                    ws.send(data, portBytes);
                    ws.send(data + 1, portBytes);
                } catch (IOException e) {
                    return;
                }
                PortForwardSession.forward(provider, namespace, pod, port, in, ws.output(data), ws.output(data + 1),
                        sockets);
            }));
        }
        ws.onClosed(() -> {
            forwards.forEach(Thread::interrupt);
            sockets.forEach(KubeletServer::closeQuietly);
        });
        forwards.forEach(Thread::start);
        Thread.ofVirtual().start(() -> {
            try {
                for (Thread forward : forwards) {
                    forward.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ws.close();
        });
    }
}
