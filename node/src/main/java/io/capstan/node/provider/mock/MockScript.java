package io.capstan.node.provider.mock;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.HashMap;
import java.util.Map;

/**
 * How a mock pod behaves, read from its annotations (all optional, prefix {@code mock.capstan.io/}):
 * <pre>
 * run-seconds           containers exit after this long (default: run until deleted); 0 exits at once
 * exit-code             exit code of every container (default 0); exit-code.NAME for one container
 * ready-after-seconds   Ready turns true this long after start (default 0)
 * start-failure         containers never start, waiting with this reason (e.g. ImagePullBackOff)
 * fail-create           creating the pod fails with this message
 * delete-fails          deleting the pod fails with this message
 * termination-seconds   graceful deletion takes this long (default 0); "never" never finishes
 * pod-reason            status.reason when the pod fails (e.g. Evicted); pod-message for status.message
 * container-reason      reason of the terminated state (default Completed / Error); container-message likewise
 * restart-backoff-millis  delay before a container restarts under restartPolicy Always/OnFailure (default 100)
 * </pre>
 */
record MockScript(Double runSeconds, int exitCode, Map<String, Integer> exitCodes, double readyAfterSeconds,
        String startFailure, String failCreate, String deleteFails, Double terminationSeconds, String podReason,
        String podMessage, String containerReason, String containerMessage, long restartBackoffMillis) {

    static final String PREFIX = "mock.capstan.io/";

    static MockScript of(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of()
                : pod.getMetadata().getAnnotations();
        Map<String, Integer> perContainer = new HashMap<>();
        annotations.forEach((key, value) -> {
            if (key.startsWith(PREFIX + "exit-code.")) {
                perContainer.put(key.substring((PREFIX + "exit-code.").length()), parseInt(key, value));
            }
        });
        String termination = annotations.get(PREFIX + "termination-seconds");
        return new MockScript(
                seconds(annotations, "run-seconds"),
                annotations.containsKey(PREFIX + "exit-code") ? parseInt("exit-code", annotations.get(PREFIX + "exit-code")) : 0,
                perContainer,
                orZero(seconds(annotations, "ready-after-seconds")),
                annotations.get(PREFIX + "start-failure"),
                annotations.get(PREFIX + "fail-create"),
                annotations.get(PREFIX + "delete-fails"),
                "never".equals(termination) ? null : orZero(termination == null ? null : parseDouble("termination-seconds", termination)),
                annotations.get(PREFIX + "pod-reason"),
                annotations.get(PREFIX + "pod-message"),
                annotations.get(PREFIX + "container-reason"),
                annotations.get(PREFIX + "container-message"),
                annotations.containsKey(PREFIX + "restart-backoff-millis")
                        ? parseInt("restart-backoff-millis", annotations.get(PREFIX + "restart-backoff-millis")) : 100);
    }

    /** This script with every container exiting with {@code code}. */
    MockScript withExitCode(int code) {
        return new MockScript(runSeconds, code, Map.of(), readyAfterSeconds, startFailure, failCreate, deleteFails,
                terminationSeconds, podReason, podMessage, containerReason, containerMessage, restartBackoffMillis);
    }

    int exitCodeOf(String container) {
        return exitCodes.getOrDefault(container, exitCode);
    }

    /** Graceful deletion never completes. */
    boolean terminationHangs() {
        return terminationSeconds == null;
    }

    private static Double seconds(Map<String, String> annotations, String name) {
        String value = annotations.get(PREFIX + name);
        return value == null ? null : parseDouble(name, value);
    }

    private static double orZero(Double value) {
        return value == null ? 0 : value;
    }

    private static double parseDouble(String name, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("annotation " + PREFIX + name + " must be a number, got '" + value + "'");
        }
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("annotation " + name + " must be an integer, got '" + value + "'");
        }
    }
}
