package io.capstan.cli;

import io.capstan.cluster.KubernetesBinaries;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(header = "Install what the embedded cluster needs (Kubernetes binaries).", name = "prepare", mixinStandardHelpOptions = true,
        description = "Install what the embedded cluster needs: the Kubernetes control-plane binaries, built once "
                + "from Debian's source package into ~/.cache/capstan (or taken from $KUBEBUILDER_ASSETS).")
final class PrepareCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        KubernetesBinaries binaries = KubernetesBinaries.locate(new Console());
        System.out.println("Kubernetes " + binaries.version() + " control plane: " + binaries.directory());
        return 0;
    }
}
