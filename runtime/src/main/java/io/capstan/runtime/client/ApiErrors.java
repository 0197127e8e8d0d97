package io.capstan.runtime.client;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * One line (or, for several invalid fields, one line per field) for a failure, with an API server's refusal rendered
 * the way kubectl renders it: {@code The Framework "x" is invalid: spec.taskRoles[0].name: Invalid value: ...}, or
 * {@code Error from server (Forbidden): ...}. fabric8's own message repeats the server's words and then dumps the whole
 * {@code Status} object; every command and log line of Capstan goes through here instead.
 */
public final class ApiErrors {

    private ApiErrors() {
    }

    public static String describe(Throwable error) {
        Throwable current = error;
        while (current.getCause() != null && (current.getMessage() == null || current instanceof ExecutionException
                || current instanceof CompletionException)) {
            current = current.getCause();
        }
        for (Throwable t = current; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException api && api.getStatus() != null && api.getStatus().getMessage() != null) {
                return describe(api.getStatus());
            }
        }
        if (current instanceof KubernetesClientException api && api.getCause() != null
                && api.getCause().getMessage() != null) {
            // No answer from the server (connection refused, timeout): the cause says why.
            String what = firstLine(api.getMessage());
            return (what.endsWith(".") ? what.substring(0, what.length() - 1) : what) + ": " + api.getCause().getMessage();
        }
        return current.getMessage() == null ? current.toString() : firstLine(current.getMessage());
    }

    /** A refusal as kubectl prints it. */
    public static String describe(Status status) {
        StatusDetails details = status.getDetails();
        List<StatusCause> causes = details == null || details.getCauses() == null ? List.of() : details.getCauses().stream()
                .filter(c -> c.getField() != null && c.getMessage() != null).toList();
        if ("Invalid".equals(status.getReason()) && details != null && details.getKind() != null && !causes.isEmpty()) {
            String subject = "The " + details.getKind() + " \"" + details.getName() + "\" is invalid: ";
            if (causes.size() == 1) {
                return subject + causes.getFirst().getField() + ": " + causes.getFirst().getMessage();
            }
            StringBuilder all = new StringBuilder(subject);
            causes.forEach(c -> all.append("\n* ").append(c.getField()).append(": ").append(c.getMessage()));
            return all.toString();
        }
        String reason = status.getReason() == null || status.getReason().isEmpty() ? "" : " (" + status.getReason() + ")";
        return "Error from server" + reason + ": " + status.getMessage();
    }

    private static String firstLine(String message) {
        int end = message.indexOf(". Received status: ");
        String head = end < 0 ? message : message.substring(0, end);
        int newline = head.indexOf('\n');
        return newline < 0 ? head : head.substring(0, newline);
    }
}
