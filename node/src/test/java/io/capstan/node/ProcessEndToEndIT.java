package io.capstan.node;

import io.capstan.node.api.Provider;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.testkit.EmbeddedCluster;
import java.nio.file.Files;

/** The Virtual Kubelet end-to-end suite against the process provider (containers are real host processes). */
@EmbeddedCluster
class ProcessEndToEndIT extends EndToEndSuite {

    @Override
    Provider newProvider(NodeFixture fixture) throws Exception {
        return new ProcessProvider(ProcessProvider.Settings.detect(Files.createTempDirectory("capstan-process-pods-")));
    }
}
