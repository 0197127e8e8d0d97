package io.capstan.node.api;

/** The request cannot be served as asked (e.g. exec into a container that has exited). Served as HTTP 400. */
public class InvalidInputException extends RuntimeException {

    public InvalidInputException(String message) {
        super(message);
    }
}
