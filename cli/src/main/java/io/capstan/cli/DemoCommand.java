package io.capstan.cli;

import io.capstan.cluster.LocalCluster;
import io.capstan.framework.api.Framework;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.operator.Crds;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

@Command(header = "Start the embedded cluster and run a sample Framework and lambda controller on it (the first thing to run).",
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Fresh machine to a running example: prepares and starts the embedded cluster (in the background), "
                + "shows its health, then runs the sample Framework of examples/framework/demo.yaml (a server and three "
                + "workers running shell commands as host processes) and follows it until it completes, then the sample "
                + "lambda controller of examples/lambda (a CompositeController whose Python hook runs on the node). Exits "
                + "0 when both did their work.")
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.atDefaultHome();
        Console console = new Console();
        if (cluster.running().isEmpty()) {
            if (!UpCommand.startDetached(cluster, 0, console)) {
                return 1;
            }
        } else {
            console.step("Reusing the embedded cluster that is already running");
        }
        int health = StatusCommand.print(cluster, cluster.running().orElseThrow());
        if (health != 0) {
            return health;
        }
        System.out.println();
        console.step("Running the sample Framework 'demo' (examples/framework/demo.yaml)");
        Framework demo;
        try (InputStream manifest = DemoCommand.class.getResourceAsStream("demo.yaml")) {
            demo = new KubernetesSerialization().unmarshal(manifest, Framework.class);
        }
        demo.getMetadata().setNamespace("default");
        int outcome;
        try (KubernetesClient client = KubeClients.create(KubeClients.loadConfig(cluster.kubeconfig()), 0, 0)) {
            RunCommand run = new RunCommand();
            run.replace = true;
            outcome = run.createAndFollow(client, demo);
        }
        System.out.println();
        System.out.println(outcome == 0 ? "The demo Framework succeeded." : "The demo Framework did not succeed (see above).");
        System.out.println();
        console.step("Running the sample lambda controller (examples/lambda/greeting-controller.yaml): a CompositeController "
                + "whose sync hook is a Python process on the node");
        boolean greeted;
        try (KubernetesClient client = KubeClients.create(KubeClients.loadConfig(cluster.kubeconfig()), 0, 0)) {
            greeted = greet(client, console);
        }
        System.out.println();
        System.out.println("Next: './capstan run -f examples/framework/batchwithservicesucceeded.yaml', "
                + "'./capstan kubectl get frameworks,greetings', and './capstan down' to stop the cluster.");
        return outcome != 0 ? outcome : greeted ? 0 : 1;
    }

    private static final String HOOK_NAMESPACE = "greeting-system";

    /** Applies the greeting controller and a Greeting, and shows what its hook made of it. */
    private static boolean greet(KubernetesClient client, Console console) throws Exception {
        KubernetesSerialization yaml = new KubernetesSerialization();
        List<HasMetadata> controller = load(yaml, "greeting-controller.yaml");
        for (HasMetadata object : controller) {
            if (object instanceof CustomResourceDefinition crd) {
                Crds.ensure(client, crd, Duration.ofMillis(200), Duration.ofSeconds(60));
            } else {
                apply(client, object);
            }
        }
        console.step("Waiting for the hook's Deployment greeting-system/greeting-controller to be ready");
        client.apps().deployments().inNamespace(HOOK_NAMESPACE).withName("greeting-controller").waitUntilCondition(
                d -> d != null && d.getStatus() != null && d.getStatus().getReadyReplicas() != null
                        && d.getStatus().getReadyReplicas() > 0, 2, TimeUnit.MINUTES);
        Pod hook = client.pods().inNamespace(HOOK_NAMESPACE).withLabel("app", "greeting-controller").list().getItems()
                .stream().filter(Readiness::isPodReady).findFirst().orElseThrow();
        console.step("Hook ready on node " + hook.getSpec().getNodeName() + ", behind Service "
                + "greeting-system/greeting-controller; applying the Greeting 'hello' (examples/lambda/greeting.yaml)");
        load(yaml, "greeting.yaml").forEach(object -> apply(client, object));
        var greetings = client.genericKubernetesResources("example.capstan.io/v1", "Greeting").inNamespace("default");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            GenericKubernetesResource hello = greetings.withName("hello").get();
            if (hello != null && hello.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                    && status.get("message") != null) {
                ConfigMap child = client.configMaps().inNamespace("default").withName("hello-message").get();
                console.step("Greeting 'hello' status.message: " + status.get("message") + "; its ConfigMap "
                        + "'hello-message' says: " + (child == null ? "(not yet)" : child.getData().get("message")));
                System.out.println("The demo lambda controller answered.");
                return true;
            }
            Thread.sleep(250);
        }
        System.out.println("The demo lambda controller did not answer within a minute: see './capstan kubectl describe "
                + "greetings hello' (its Events) and './capstan kubectl logs -n greeting-system deploy/greeting-controller'.");
        return false;
    }

    private static List<HasMetadata> load(KubernetesSerialization yaml, String resource) throws Exception {
        try (InputStream manifest = DemoCommand.class.getResourceAsStream(resource)) {
            Object parsed = yaml.unmarshal(manifest);
            // One document parses to its object, several to a list of them.
            return parsed instanceof List<?> objects ? objects.stream().map(HasMetadata.class::cast).toList()
                    : List.of((HasMetadata) parsed);
        }
    }

    /** Creates or brings up to date (server-side apply); what the manifests name without a namespace goes to default. */
    private static void apply(KubernetesClient client, HasMetadata object) {
        if (!CLUSTER_SCOPED.contains(object.getKind()) && object.getMetadata().getNamespace() == null) {
            object.getMetadata().setNamespace("default");
        }
        client.resource(object).fieldManager("capstan-demo").forceConflicts().serverSideApply();
    }

    /** The cluster-scoped kinds of the sample manifests. */
    private static final java.util.Set<String> CLUSTER_SCOPED = java.util.Set.of("CustomResourceDefinition",
            "CompositeController", "DecoratorController", "Namespace");
}
