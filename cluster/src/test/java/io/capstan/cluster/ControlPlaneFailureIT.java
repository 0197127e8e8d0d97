package io.capstan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad inputs give a clear error, and nothing is left running. */
class ControlPlaneFailureIT {

    @TempDir
    Path state;

    private static KubernetesBinaries binaries() {
        return KubernetesBinaries.locate(System.getenv(), KubernetesBinaries.defaultCache(), Progress.SILENT, true);
    }

    private static List<String> childCommands() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().command().orElse("?")).toList();
    }

    @Test
    void aBusyApiServerPortIsReportedBeforeAnythingStarts() throws IOException {
        try (ServerSocket occupied = new ServerSocket()) {
            occupied.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = occupied.getLocalPort();

            assertThatThrownBy(() -> ControlPlane.start(ControlPlane.Spec.of(state, binaries()).withApiServerPort(port)))
                    .isInstanceOf(ControlPlaneException.class)
                    .hasMessageContaining("port " + port)
                    .hasMessageContaining("already in use");
        }
        assertThat(childCommands()).noneMatch(c -> c.contains("etcd") || c.contains("kube-"));
    }

    @Test
    void aComponentThatExitsAtStartIsReportedWithItsLogAndTheRestIsStopped() {
        ControlPlane.Spec spec = new ControlPlane.Spec(state, binaries(), 0, true, true,
                List.of("--no-such-flag=1"), Progress.SILENT);

        assertThatThrownBy(() -> ControlPlane.start(spec))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("kube-apiserver exited with code")
                .hasMessageContaining("no-such-flag");
        assertThat(childCommands()).noneMatch(c -> c.contains("etcd") || c.contains("kube-"));
    }

    @Test
    void incompleteAssetsDirectoryNamesWhatIsMissing() throws IOException {
        Path assets = Files.createDirectories(state.resolve("assets"));
        Files.writeString(assets.resolve("etcd"), "#!/bin/sh\n");
        assets.resolve("etcd").toFile().setExecutable(true);

        assertThatThrownBy(() -> KubernetesBinaries.locate(Map.of(KubernetesBinaries.ASSETS_VARIABLE, assets.toString()),
                state.resolve("cache"), Progress.SILENT, false))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("lacks kube-apiserver, kube-controller-manager, kube-scheduler")
                .hasMessageContaining(KubernetesBinaries.ASSETS_VARIABLE);
    }

    @Test
    void aDamagedCacheIsReportedWithTheWayToRebuildIt() throws IOException {
        Path cached = Files.createDirectories(state.resolve("cache").resolve(KubernetesBinaries.CACHE_ENTRY));
        for (String binary : KubernetesBinaries.REQUIRED) {
            Files.writeString(cached.resolve(binary), "\u007fELF truncated");
            cached.resolve(binary).toFile().setExecutable(true);
        }

        assertThatThrownBy(() -> KubernetesBinaries.locate(Map.of(), state.resolve("cache"), Progress.SILENT, false))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("kube-apiserver");
    }

    @Test
    void missingBinariesWithoutBuildingSayHowToProvideThem() {
        assertThatThrownBy(() -> KubernetesBinaries.locate(Map.of(), state.resolve("empty-cache"), Progress.SILENT, false))
                .isInstanceOf(ControlPlaneException.class)
                .hasMessageContaining("no Kubernetes " + KubernetesBinaries.VERSION + " binaries")
                .hasMessageContaining(KubernetesBinaries.ASSETS_VARIABLE);
    }
}
