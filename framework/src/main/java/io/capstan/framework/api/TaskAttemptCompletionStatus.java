package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;

/** A task attempt's completion, with what the pod said about its end. */
@JsonPropertyOrder({"code", "phrase", "type", "diagnostics", "pod"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class TaskAttemptCompletionStatus extends CompletionStatus {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public PodCompletionStatus pod;

    /** The pod's reason and message and each terminated container's (init containers first). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class PodCompletionStatus {
        public String reason;
        public String message;
        public List<ContainerCompletionStatus> containers = new ArrayList<>();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class ContainerCompletionStatus {
        public String name;
        public String reason;
        public String message;
        public Integer signal;
        public Integer code;
    }
}
