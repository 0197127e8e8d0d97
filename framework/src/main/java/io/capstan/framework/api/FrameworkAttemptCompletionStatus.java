package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A Framework attempt's completion and the task that triggered it, if one did. */
@JsonPropertyOrder({"code", "phrase", "type", "diagnostics", "trigger"})
@JsonIgnoreProperties(ignoreUnknown = true)
public class FrameworkAttemptCompletionStatus extends CompletionStatus {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Trigger trigger;

    @JsonIgnoreProperties(ignoreUnknown = true)

    public static class Trigger {
        public String message;
        public String taskRoleName;
        public Integer taskIndex;

        public Trigger() {
        }

        public Trigger(String message, String taskRoleName, Integer taskIndex) {
            this.message = message;
            this.taskRoleName = taskRoleName;
            this.taskIndex = taskIndex;
        }
    }
}
