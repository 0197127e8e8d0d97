package io.capstan.framework.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.capstan.framework.api.CompletionType;
import java.util.ArrayList;
import java.util.List;

/**
 * A completion code that pod failures are recognised by (the {@code podFailureSpec} entries of
 * {@code frameworkcontroller.yaml}): a pod matches when it matches any of the patterns.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodFailureSpec {

    public Integer code;
    public String phrase;
    public CompletionType type = new CompletionType(CompletionType.FAILED, List.of());
    public List<PodPattern> podPatterns = new ArrayList<>();

    /** Every specified field must match; each container pattern must match at least one container. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PodPattern {
        public String nameRegex;
        public String reasonRegex;
        public String messageRegex;
        public List<ContainerPattern> containers = new ArrayList<>();
    }

    /** Reason, message, signal and code refer to the container's terminated state. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ContainerPattern {
        public String nameRegex;
        public String reasonRegex;
        public String messageRegex;
        public Range signalRange;
        public Range codeRange;
    }

    /** Inclusive bounds, either optional. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Range {
        public Integer min;
        public Integer max;

        public Range() {
        }

        public Range(Integer min, Integer max) {
            this.min = min;
            this.max = max;
        }

        boolean contains(Integer value) {
            return value != null && (min == null || value >= min) && (max == null || value <= max);
        }
    }

    static PodFailureSpec exitCode(int code, String phrase, CompletionType type) {
        PodFailureSpec spec = new PodFailureSpec();
        spec.code = code;
        spec.phrase = phrase;
        spec.type = type;
        PodPattern pattern = new PodPattern();
        ContainerPattern container = new ContainerPattern();
        container.codeRange = new Range(code, code);
        pattern.containers.add(container);
        spec.podPatterns.add(pattern);
        return spec;
    }
}
