package io.capstan.appwrapper.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What an AppWrapper wraps, whether it is suspended, and who manages it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AppWrapperSpec {

    public List<Component> components = new ArrayList<>();
    public Boolean suspend;
    public String managedBy;

    public boolean suspended() {
        return Boolean.TRUE.equals(suspend);
    }

    /** One wrapped object: its manifest, the pod templates it makes, and what a queue injects into them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Component {
        public Map<String, String> annotations;
        /** Declared podSets; null or empty for kinds whose podSets are inferred, or that make no pods. */
        public List<PodSet> podSets;
        public List<PodSetInfo> podSetInfos;
        public ObjectNode template;
    }

    /** A homogeneous set of pods: where its template is in the component, and how many pods it makes. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PodSet {
        public String path;
        public Integer replicas;
        public Map<String, String> annotations;

        public PodSet() {
        }

        public PodSet(String path, Integer replicas) {
            this.path = path;
            this.replicas = replicas;
        }

        public int replicasOrOne() {
            return replicas == null ? 1 : replicas;
        }
    }

    /** What an admitting queue wants in a podSet's pod template. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PodSetInfo {
        public Map<String, String> annotations;
        public Map<String, String> labels;
        public Map<String, String> nodeSelector;
        public List<Toleration> tolerations;
        public List<Map<String, String>> schedulingGates;
    }
}
