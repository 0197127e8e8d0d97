package io.capstan.node.api;

/** A command run by exec ended with a non-zero exit code; the client (kubectl) exits with that code. */
public class ExitCodeException extends Exception {

    private final int exitCode;

    public ExitCodeException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
