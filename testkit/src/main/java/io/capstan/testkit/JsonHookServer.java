package io.capstan.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;

/**
 * An HTTP/JSON hook on the loopback interface for tests of lambda controllers: each path answers a POSTed JSON request
 * with what its function returns (200), or with 500 when it returns null.
 */
public final class JsonHookServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;

    private JsonHookServer(HttpServer server) {
        this.server = server;
    }

    /** Serves {@code answers} by path (a path serves everything below it, as {@link HttpServer} contexts do). */
    public static JsonHookServer start(Map<String, Function<JsonNode, JsonNode>> answers) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        answers.forEach((path, answer) -> server.createContext(path, exchange -> {
            JsonNode response = answer.apply(JSON.readTree(exchange.getRequestBody()));
            byte[] body = response == null ? "the hook failed".getBytes(StandardCharsets.UTF_8)
                    : JSON.writeValueAsBytes(response);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(response == null ? 500 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }));
        server.start();
        return new JsonHookServer(server);
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code path}. */
    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
