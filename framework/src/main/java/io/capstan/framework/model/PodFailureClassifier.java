package io.capstan.framework.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionType;
import io.capstan.framework.api.TaskAttemptCompletionStatus;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Turns the end of a pod into a task attempt's completion status: Succeeded for phase Succeeded; for phase Failed,
 * the first matching entry of the predefined exit codes (200, 201, 210) followed by the configured
 * {@code podFailureSpec}, else the exit code of the last container that failed, else -300.
 */
public final class PodFailureClassifier {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Pattern> COMPILED = new ConcurrentHashMap<>();

    private final List<PodFailureSpec> specs;

    public PodFailureClassifier(List<PodFailureSpec> configured) {
        List<PodFailureSpec> all = new ArrayList<>();
        for (CompletionCodes.Info info : List.of(CompletionCodes.CONTAINER_TRANSIENT_FAILED,
                CompletionCodes.CONTAINER_TRANSIENT_CONFLICT_FAILED, CompletionCodes.CONTAINER_PERMANENT_FAILED)) {
            all.add(PodFailureSpec.exitCode(info.code(), info.phrase(), info.type()));
        }
        all.addAll(configured);
        this.specs = List.copyOf(all);
    }

    /** The pod's end as seen in its status: reason, message and every terminated container (init ones first). */
    public static TaskAttemptCompletionStatus.PodCompletionStatus podCompletion(Pod pod) {
        TaskAttemptCompletionStatus.PodCompletionStatus completion = new TaskAttemptCompletionStatus.PodCompletionStatus();
        if (pod.getStatus() == null) {
            return completion;
        }
        completion.reason = emptyToNull(pod.getStatus().getReason());
        completion.message = emptyToNull(pod.getStatus().getMessage());
        for (ContainerStatus container : containers(pod)) {
            var terminated = container.getState() == null ? null : container.getState().getTerminated();
            if (terminated == null) {
                continue;
            }
            TaskAttemptCompletionStatus.ContainerCompletionStatus entry = new TaskAttemptCompletionStatus.ContainerCompletionStatus();
            entry.name = container.getName();
            entry.reason = emptyToNull(terminated.getReason());
            entry.message = emptyToNull(terminated.getMessage());
            entry.signal = terminated.getSignal() == null || terminated.getSignal() == 0 ? null : terminated.getSignal();
            entry.code = terminated.getExitCode();
            completion.containers.add(entry);
        }
        return completion;
    }

    private static List<ContainerStatus> containers(Pod pod) {
        List<ContainerStatus> all = new ArrayList<>();
        if (pod.getStatus().getInitContainerStatuses() != null) {
            all.addAll(pod.getStatus().getInitContainerStatuses());
        }
        if (pod.getStatus().getContainerStatuses() != null) {
            all.addAll(pod.getStatus().getContainerStatuses());
        }
        return all;
    }

    public TaskAttemptCompletionStatus succeeded(Pod pod) {
        TaskAttemptCompletionStatus status = CompletionCodes.status(new TaskAttemptCompletionStatus(), CompletionCodes.SUCCEEDED,
                "Pod succeeded");
        status.pod = podCompletion(pod);
        return status;
    }

    /** The completion of a Failed pod. */
    public TaskAttemptCompletionStatus failed(Pod pod) {
        TaskAttemptCompletionStatus.PodCompletionStatus completion = podCompletion(pod);
        String name = pod.getMetadata().getName();
        for (PodFailureSpec spec : specs) {
            for (PodFailureSpec.PodPattern pattern : spec.podPatterns) {
                ObjectNode matched = match(pattern, name, completion);
                if (matched != null) {
                    TaskAttemptCompletionStatus status = new TaskAttemptCompletionStatus();
                    status.code = spec.code;
                    status.phrase = spec.phrase;
                    status.type = new CompletionType(CompletionType.FAILED,
                            spec.type == null || spec.type.attributes == null ? List.of() : spec.type.attributes);
                    status.diagnostics = "Pod failed: PodPattern matched: " + matched;
                    status.pod = completion;
                    return status;
                }
            }
        }
        TaskAttemptCompletionStatus.ContainerCompletionStatus lastFailed = null;
        String lastFinished = null;
        for (ContainerStatus container : containers(pod)) {
            var terminated = container.getState() == null ? null : container.getState().getTerminated();
            if (terminated == null || terminated.getExitCode() == null || terminated.getExitCode() == 0) {
                continue;
            }
            String finished = terminated.getFinishedAt();
            if (lastFailed == null || (finished != null && (lastFinished == null || finished.compareTo(lastFinished) >= 0))) {
                lastFinished = finished;
                lastFailed = completion.containers.stream().filter(c -> c.name.equals(container.getName())).findFirst()
                        .orElse(null);
            }
        }
        String unmatched = "Pod failed: PodPattern unmatched: " + JSON.valueToTree(completion);
        TaskAttemptCompletionStatus status;
        if (lastFailed != null) {
            status = new TaskAttemptCompletionStatus();
            status.code = lastFailed.code;
            status.phrase = CompletionCodes.CONTAINER_UNRECOGNIZED_FAILED;
            status.type = new CompletionType(CompletionType.FAILED, List.of());
            status.diagnostics = unmatched;
        } else {
            status = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                    CompletionCodes.POD_FAILED_WITHOUT_FAILED_CONTAINER, unmatched);
        }
        status.pod = completion;
        return status;
    }

    /** The matched fields as JSON (only those the pattern specified), or null when the pattern does not match. */
    static ObjectNode match(PodFailureSpec.PodPattern pattern, String podName,
            TaskAttemptCompletionStatus.PodCompletionStatus pod) {
        ObjectNode matched = JSON.createObjectNode();
        if (pattern.nameRegex != null) {
            if (!find(pattern.nameRegex, podName)) {
                return null;
            }
            matched.put("name", podName);
        }
        if (pattern.reasonRegex != null) {
            if (!find(pattern.reasonRegex, pod.reason)) {
                return null;
            }
            matched.put("reason", pod.reason);
        }
        if (pattern.messageRegex != null) {
            if (!find(pattern.messageRegex, pod.message)) {
                return null;
            }
            matched.put("message", pod.message);
        }
        if (pattern.containers != null && !pattern.containers.isEmpty()) {
            ArrayNode containers = matched.putArray("containers");
            for (PodFailureSpec.ContainerPattern containerPattern : pattern.containers) {
                ObjectNode hit = null;
                for (TaskAttemptCompletionStatus.ContainerCompletionStatus container : pod.containers) {
                    hit = matchContainer(containerPattern, container);
                    if (hit != null) {
                        break;
                    }
                }
                if (hit == null) {
                    return null;
                }
                containers.add(hit);
            }
        }
        return matched;
    }

    private static ObjectNode matchContainer(PodFailureSpec.ContainerPattern pattern,
            TaskAttemptCompletionStatus.ContainerCompletionStatus container) {
        ObjectNode hit = JSON.createObjectNode();
        hit.put("name", container.name);
        if (pattern.nameRegex != null && !find(pattern.nameRegex, container.name)) {
            return null;
        }
        if (pattern.reasonRegex != null) {
            if (!find(pattern.reasonRegex, container.reason)) {
                return null;
            }
            hit.put("reason", container.reason);
        }
        if (pattern.messageRegex != null) {
            if (!find(pattern.messageRegex, container.message)) {
                return null;
            }
            hit.put("message", container.message);
        }
        if (pattern.signalRange != null) {
            if (!pattern.signalRange.contains(container.signal)) {
                return null;
            }
            hit.put("signal", container.signal);
        }
        if (pattern.codeRange != null) {
            if (!pattern.codeRange.contains(container.code)) {
                return null;
            }
            hit.put("code", container.code);
        }
        return hit;
    }

    /** Unanchored search, like Go's regexp.MatchString; an absent value matches nothing. */
    private static boolean find(String regex, String value) {
        if (value == null) {
            return false;
        }
        return COMPILED.computeIfAbsent(regex, Pattern::compile).matcher(value).find();
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
