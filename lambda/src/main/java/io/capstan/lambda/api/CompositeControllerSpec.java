package io.capstan.lambda.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/**
 * The spec of a {@code metacontroller.k8s.io/v1alpha1} CompositeController, as Metacontroller's
 * pkg/apis/metacontroller/v1alpha1/types.go defines it; fields Capstan does not act on yet are read and ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompositeControllerSpec(ParentResource parentResource, List<ChildResource> childResources, Hooks hooks,
        Double resyncPeriodSeconds, Boolean generateSelector) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static CompositeControllerSpec of(JsonNode spec) {
        try {
            return JSON.treeToValue(spec, CompositeControllerSpec.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the CompositeController's spec cannot be read: " + e.getOriginalMessage(), e);
        }
    }

    public List<ChildResource> children() {
        return childResources == null ? List.of() : childResources;
    }

    public boolean selectorGenerated() {
        return Boolean.TRUE.equals(generateSelector);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ParentResource(String apiVersion, String resource, LabelSelector labelSelector,
            Boolean ignoreStatusChanges, RevisionHistory revisionHistory) {
        /** The parent's fields whose changes roll out gradually: {@code spec} unless the controller says otherwise. */
        public List<String> rolledOutFields() {
            return revisionHistory == null || revisionHistory.fieldPaths() == null || revisionHistory.fieldPaths().isEmpty()
                    ? List.of("spec") : revisionHistory.fieldPaths();
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RevisionHistory(List<String> fieldPaths) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ChildResource(String apiVersion, String resource, UpdateStrategy updateStrategy) {
        /** OnDelete unless a strategy says otherwise. */
        public UpdateMethod method() {
            return updateStrategy == null || updateStrategy.method() == null ? UpdateMethod.OnDelete
                    : updateStrategy.method();
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record UpdateStrategy(UpdateMethod method, StatusChecks statusChecks) {
    }

    /** What a rolling update waits for on each child already updated before it moves the next one. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StatusChecks(List<StatusCondition> conditions) {
    }

    /** A condition a child's {@code status.conditions} must carry; status and reason are compared when given. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StatusCondition(String type, String status, String reason) {
    }

    public enum UpdateMethod {
        OnDelete, Recreate, InPlace, RollingRecreate, RollingInPlace
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Hooks(Hook sync, @JsonProperty("finalize") Hook finalizeHook, Hook customize) {
    }

    /** A hook: its map-key version ({@code v1} unless {@code v2}) and where it is served. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Hook(String version, Webhook webhook) {
        public boolean v2() {
            return "v2".equals(version);
        }
    }

    /**
     * @param timeout a Go duration, e.g. {@code 10s} or {@code 500ms}
     * @param responseUnmarshallMode {@code loose} or {@code strict} (default: loose for v1 hooks, strict for v2)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Webhook(String url, String timeout, String path, ServiceReference service,
            @JsonProperty("responseUnMarshallMode") String responseUnmarshallMode, JsonNode caBundle,
            JsonNode clientTLS, JsonNode authorization, JsonNode basicAuth, Etag etag) {

        /** True when the webhook sets any TLS or authorization field (then endpointConfigs do not apply to it). */
        public boolean hasSecurity() {
            return caBundle != null || clientTLS != null || authorization != null || basicAuth != null;
        }
    }

    /** Response caching by ETag: off unless enabled; entries expire after {@code cacheTimeoutSeconds} (0: never). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Etag(Boolean enabled, Integer cacheTimeoutSeconds, Integer cacheCleanupSeconds) {
        public boolean on() {
            return Boolean.TRUE.equals(enabled);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ServiceReference(String name, String namespace, Integer port, String protocol) {
    }
}
