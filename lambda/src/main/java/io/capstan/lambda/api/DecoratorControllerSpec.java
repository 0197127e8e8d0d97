package io.capstan.lambda.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.lambda.api.CompositeControllerSpec.ChildResource;
import io.capstan.lambda.api.CompositeControllerSpec.Hooks;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/**
 * The spec of a {@code metacontroller.k8s.io/v1alpha1} DecoratorController (Metacontroller's
 * pkg/apis/metacontroller/v1alpha1/types.go): the kinds it decorates, each with label and annotation selectors, the
 * kinds of the attachments it may create, and its hooks.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DecoratorControllerSpec(List<Target> resources, List<ChildResource> attachments, Hooks hooks,
        Double resyncPeriodSeconds) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static DecoratorControllerSpec of(JsonNode spec) {
        try {
            return JSON.treeToValue(spec, DecoratorControllerSpec.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the DecoratorController's spec cannot be read: " + e.getOriginalMessage(), e);
        }
    }

    public List<ChildResource> attachmentKinds() {
        return attachments == null ? List.of() : attachments;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Target(String apiVersion, String resource, LabelSelector labelSelector,
            AnnotationSelector annotationSelector, Boolean ignoreStatusChanges) {
    }

    /** Like a label selector, over annotations: {@code matchAnnotations} and {@code matchExpressions}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record AnnotationSelector(Map<String, String> matchAnnotations, List<LabelSelectorRequirement> matchExpressions) {
        public LabelSelector asLabelSelector() {
            LabelSelector selector = new LabelSelector();
            selector.setMatchLabels(matchAnnotations);
            selector.setMatchExpressions(matchExpressions);
            return selector;
        }
    }
}
