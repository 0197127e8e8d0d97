package io.capstan.node.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The kubelet Summary API ({@code stats/v1alpha1}) as served at {@code /stats/summary}: what metrics-server and
 * {@code kubectl top} read. Also the source of {@code /metrics/resource}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StatsSummary(NodeStats node, List<PodStats> pods) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeStats(String nodeName, String startTime, CpuStats cpu, MemoryStats memory) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PodStats(PodReference podRef, String startTime, List<ContainerStats> containers, CpuStats cpu,
            MemoryStats memory) {
    }

    public record PodReference(String name, String namespace, String uid) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ContainerStats(String name, String startTime, CpuStats cpu, MemoryStats memory) {
    }

    /** {@code usageCoreNanoSeconds} is cumulative CPU time; {@code usageNanoCores} the current rate. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CpuStats(String time, Long usageNanoCores, Long usageCoreNanoSeconds) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MemoryStats(String time, Long workingSetBytes, Long usageBytes, Long rssBytes) {
    }
}
