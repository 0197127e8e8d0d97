package io.capstan.runtime.http;

/** Handles one HTTP request. Runs on a virtual thread, so it may block. */
@FunctionalInterface
public interface HttpHandler {

    void handle(HttpExchange exchange) throws Exception;
}
