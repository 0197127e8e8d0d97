package io.capstan.cluster;

/** The embedded control plane could not be provided: the message says what failed, why, and what to do. */
public class ControlPlaneException extends RuntimeException {

    public ControlPlaneException(String message) {
        super(message);
    }

    public ControlPlaneException(String message, Throwable cause) {
        super(message, cause);
    }
}
