package io.capstan.runtime.http;

/** Thrown by a handler to answer with a given status and plain-text message. */
public class HttpStatusException extends RuntimeException {

    private final int status;

    public HttpStatusException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static HttpStatusException badRequest(String message) {
        return new HttpStatusException(400, message);
    }

    public static HttpStatusException notFound(String message) {
        return new HttpStatusException(404, message);
    }
}
