package io.capstan.cli;

/** Turns failures into one line a user can act on. */
final class Errors {

    private Errors() {
    }

    static String describe(Throwable error) {
        Throwable current = error;
        while ((current.getMessage() == null || current instanceof java.util.concurrent.ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current.getMessage() == null ? current.toString() : current.getMessage();
    }
}
