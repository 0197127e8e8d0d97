package io.capstan.node.api;

/** The provider has no such pod (or container); for deletion this means "already gone". Served as HTTP 404. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
