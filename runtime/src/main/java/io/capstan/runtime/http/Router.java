package io.capstan.runtime.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps method and path to a handler. Paths are literal segments and {@code {variable}} segments; a trailing
 * {@code {rest...}} segment matches the remaining path (possibly empty). Routes are tried in the order they
 * were added.
 */
public final class Router {

    private final List<Route> routes = new ArrayList<>();

    record Route(Set<HttpMethod> methods, String[] segments, HttpHandler handler) {
    }

    record Match(HttpHandler handler, Map<String, String> variables) {
    }

    public Router get(String pattern, HttpHandler handler) {
        return route(Set.of(HttpMethod.GET, HttpMethod.HEAD), pattern, handler);
    }

    public Router post(String pattern, HttpHandler handler) {
        return route(Set.of(HttpMethod.POST), pattern, handler);
    }

    public synchronized Router route(Set<HttpMethod> methods, String pattern, HttpHandler handler) {
        routes.add(new Route(Set.copyOf(methods), split(pattern), handler));
        return this;
    }

    /** Returns the match, or throws {@link HttpStatusException} 404 / 405. */
    synchronized Match match(HttpMethod method, String path) {
        String[] segments = split(path);
        boolean pathMatched = false;
        for (Route route : routes) {
            Map<String, String> variables = matchSegments(route.segments(), segments);
            if (variables == null) {
                continue;
            }
            if (route.methods().contains(method)) {
                return new Match(route.handler(), variables);
            }
            pathMatched = true;
        }
        if (pathMatched) {
            throw new HttpStatusException(405, "405 method not allowed");
        }
        throw new HttpStatusException(404, "404 request not found");
    }

    private static Map<String, String> matchSegments(String[] pattern, String[] path) {
        Map<String, String> variables = new LinkedHashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String expected = pattern[i];
            if (expected.startsWith("{") && expected.endsWith("...}")) {
                String rest = String.join("/", java.util.Arrays.copyOfRange(path, Math.min(i, path.length), path.length));
                variables.put(expected.substring(1, expected.length() - 4), rest);
                return variables;
            }
            if (i >= path.length) {
                return null;
            }
            if (expected.startsWith("{") && expected.endsWith("}")) {
                variables.put(expected.substring(1, expected.length() - 1), path[i]);
            } else if (!expected.equals(path[i])) {
                return null;
            }
        }
        return pattern.length == path.length ? variables : null;
    }

    /** Splits on '/', ignoring a leading and a trailing slash (kubelet routes are StrictSlash). */
    private static String[] split(String path) {
        String trimmed = path;
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return trimmed.isEmpty() ? new String[0] : trimmed.split("/", -1);
    }
}
