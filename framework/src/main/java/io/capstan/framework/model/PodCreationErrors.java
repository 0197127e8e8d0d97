package io.capstan.framework.model;

import io.capstan.framework.api.CompletionCodes;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * What a failed pod create means for its task (FrameworkController's {@code ClassifyPodCreationError}): transient
 * errors leave the task waiting and retry with backoff; permanent (-200) and unknown (-310) ones complete its
 * attempt.
 */
public final class PodCreationErrors {

    private PodCreationErrors() {
    }

    public static CompletionCodes.Info classify(Throwable error) {
        String text = String.valueOf(error.getMessage());
        if (text.contains("object provided is unrecognized") || text.contains("exceeded quota")) {
            return CompletionCodes.POD_CREATION_TRANSIENT_ERROR;
        }
        int code = error instanceof KubernetesClientException k ? k.getCode() : 0;
        if (code == 400 || code == 403) {
            return CompletionCodes.POD_CREATION_UNKNOWN_ERROR;
        }
        if (code == 422 || code == 413) {
            boolean connectionProblem = text.contains("connection reset") || text.contains("EOF");
            return connectionProblem ? CompletionCodes.POD_CREATION_UNKNOWN_ERROR : CompletionCodes.POD_CREATION_PERMANENT_ERROR;
        }
        return CompletionCodes.POD_CREATION_TRANSIENT_ERROR;
    }
}
