package io.capstan.cli;

import io.capstan.cluster.KubernetesBinaries;
import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"capstan " + (version == null ? "development build" : version),
            "embedded Kubernetes " + KubernetesBinaries.VERSION, "Java " + Runtime.version()};
    }
}
