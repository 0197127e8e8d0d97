package io.capstan.cli;

import io.capstan.framework.barrier.FrameworkBarrier;
import io.capstan.runtime.client.KubeClients;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "barrier", mixinStandardHelpOptions = true,
        header = "Wait until every task of this pod's Framework has an IP (FrameworkBarrier).",
        description = {"FrameworkController's FrameworkBarrier, for an init container: waits until every task of the "
                + "Framework named by FC_FRAMEWORK_NAMESPACE/FC_FRAMEWORK_NAME has a pod IP, then writes framework.json and "
                + "injector.sh (exporting FB_<ROLE>_IPS and FB_<ROLE>_ADDRESSES) to the output directory.",
            "",
            "Environment: BARRIER_CHECK_INTERVAL_SEC (default 10, at least 5), BARRIER_CHECK_TIMEOUT_SEC (default 600, "
                + "60 to 1200), KUBE_APISERVER_ADDRESS and KUBECONFIG (default: in-cluster).",
            "",
            "Exit codes: 0 passed, 201 timed out (the Framework retries after a back-off), 210 Framework not found or bad "
                + "settings, 1 other errors."})
final class BarrierCommand implements Callable<Integer> {

    @Option(names = "--output", paramLabel = "DIR", defaultValue = ".",
            description = "Where to write framework.json and injector.sh (default: the working directory).")
    Path output;

    @Override
    public Integer call() throws Exception {
        FrameworkBarrier.Settings settings;
        Config config;
        try {
            settings = FrameworkBarrier.Settings.fromEnvironment(System.getenv(), output);
            String kubeconfig = System.getenv("KUBECONFIG");
            config = KubeClients.loadConfig(kubeconfig == null || kubeconfig.isBlank() ? null : Path.of(kubeconfig));
            String address = System.getenv("KUBE_APISERVER_ADDRESS");
            if (address != null && !address.isBlank()) {
                config.setMasterUrl(address);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.out.println("frameworkbarrier: " + e.getMessage());
            return FrameworkBarrier.PERMANENT;
        }
        try (KubernetesClient client = KubeClients.create(config, 0, 0)) {
            return new FrameworkBarrier(client, settings, Clock.systemUTC(), duration -> Thread.sleep(duration.toMillis()),
                    System.out).run();
        } catch (RuntimeException e) {
            System.out.println("frameworkbarrier: " + e.getMessage());
            return FrameworkBarrier.UNKNOWN;
        }
    }
}
