package io.capstan.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free TCP ports on 127.0.0.1. */
public final class Ports {

    private static final Set<Integer> handedOut = new HashSet<>();

    private Ports() {
    }

    /** A port nobody listens on now and that this JVM has not handed out before. */
    public static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = socket.getLocalPort();
                if (handedOut.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new ControlPlaneException("cannot find a free port on 127.0.0.1: " + e.getMessage(), e);
            }
        }
        throw new ControlPlaneException("cannot find a free port on 127.0.0.1 after 100 attempts");
    }

    /** True when something already listens on 127.0.0.1:port. */
    public static boolean inUse(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
