package io.capstan.bench;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.KubernetesBinaries;
import io.capstan.cluster.Progress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A control plane started for one benchmark run, its admin client and the sampler of its processes' CPU; its state
 * directory is deleted when it closes.
 */
final class FreshCluster implements AutoCloseable {

    final ControlPlane plane;
    final KubernetesClient client;
    final ControlPlaneLoad load;
    private final Path state;

    private FreshCluster(Path state, ControlPlane plane, KubernetesClient client, ControlPlaneLoad load) {
        this.state = state;
        this.plane = plane;
        this.client = client;
        this.load = load;
    }

    /** @param splitCores give the control plane and the benchmark's JVM cores of their own ({@link CoreSplit}) */
    static FreshCluster start(String name, boolean splitCores, Progress progress) throws Exception {
        Path state = Files.createTempDirectory("capstan-bench-" + name + "-");
        ControlPlane plane = null;
        try {
            plane = ControlPlane.start(ControlPlane.Spec.of(state, KubernetesBinaries.locate(progress))
                    .withProgress(progress));
            if (splitCores) {
                CoreSplit.apply(plane, progress);
            }
            return new FreshCluster(state, plane, ApiServerBenchmark.client(plane), ControlPlaneLoad.start(plane));
        } catch (Exception | Error e) {
            if (plane != null) {
                plane.close();
            }
            ApiServerBenchmark.deleteTree(state);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            load.close();
            client.close();
        } finally {
            try {
                plane.close();
            } finally {
                ApiServerBenchmark.deleteTree(state);
            }
        }
    }
}
