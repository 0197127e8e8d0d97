package io.capstan.cli;

import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.cluster.LocalCluster;
import io.capstan.framework.api.Framework;
import io.capstan.queue.api.Kueue;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

@Command(header = "Start the embedded cluster and run a sample Framework, lambda controller and queue on it (the first thing to run).",
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Fresh machine to a running example: prepares and starts the embedded cluster (in the background), "
                + "shows its health, then runs the sample Framework of examples/framework/demo.yaml (a server and three "
                + "workers running shell commands as host processes) and follows it until it completes, then the sample "
                + "lambda controller of examples/lambda (a CompositeController whose Python hook runs on the node), then three "
                + "queued AppWrappers of examples/appwrapper admitted in turn by a small ClusterQueue. Exits 0 when all did "
                + "their work.")
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
        console.step("Queueing three AppWrappers of a quarter CPU each against a ClusterQueue of half a CPU "
                + "(examples/appwrapper/queue.yaml, queued-jobs.yaml)");
        boolean queued;
        try (KubernetesClient client = KubeClients.create(KubeClients.loadConfig(cluster.kubeconfig()), 0, 0)) {
            queued = queue(client, console);
        }
        System.out.println();
        System.out.println("Next: './capstan run -f examples/framework/batchwithservicesucceeded.yaml', "
                + "'./capstan kubectl get frameworks,greetings,appwrappers,workloads,clusterqueues', and "
                + "'./capstan down' to stop the cluster.");
        return outcome != 0 ? outcome : greeted && queued ? 0 : 1;
    }

    private static final List<String> QUEUED = List.of("train-1", "train-2", "train-3");

    /** Applies the sample queue and three AppWrappers, and shows them admitted in turn until all succeeded. */
    private static boolean queue(KubernetesClient client, Console console) throws Exception {
        KubernetesSerialization yaml = new KubernetesSerialization();
        var appWrappers = client.resources(AppWrapper.class).inNamespace("default");
        // A demo run again starts them afresh.
        QUEUED.forEach(name -> appWrappers.withName(name).delete());
        for (String name : QUEUED) {
            appWrappers.withName(name).waitUntilCondition(java.util.Objects::isNull, 1, TimeUnit.MINUTES);
        }
        load(yaml, "queue.yaml").forEach(object -> apply(client, object));
        load(yaml, "queued-jobs.yaml").forEach(object -> apply(client, object));
        var workloads = client.genericKubernetesResources(Kueue.WORKLOADS).inNamespace("default");
        String last = "";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            List<String> states = new ArrayList<>();
            boolean allDone = true;
            for (String name : QUEUED) {
                AppWrapper appWrapper = appWrappers.withName(name).get();
                String phase = appWrapper == null || appWrapper.getStatus() == null || appWrapper.getStatus().phase == null
                        || appWrapper.getStatus().phase.isEmpty() ? "Queued" : appWrapper.getStatus().phase;
                allDone &= phase.equals("Succeeded");
                String waiting = phase.equals("Suspended") ? waitingReason(workloads.list().getItems(), name) : null;
                states.add(name + " " + phase + (waiting == null ? "" : " (" + waiting + ")"));
            }
            String line = String.join(", ", states);
            if (!line.equals(last)) {
                console.step(line);
                last = line;
            }
            if (allDone) {
                System.out.println("The queued AppWrappers all succeeded, two at a time within the queue's quota.");
                return true;
            }
            Thread.sleep(250);
        }
        System.out.println("The queued AppWrappers did not all succeed within two minutes: see './capstan kubectl "
                + "describe workloads' (why each waits) and './capstan kubectl describe appwrappers' (their Events).");
        return false;
    }

    /** Why the AppWrapper's Workload waits, from its QuotaReserved condition, or null. */
    private static String waitingReason(List<GenericKubernetesResource> workloads, String appWrapper) {
        for (GenericKubernetesResource workload : workloads) {
            var owners = workload.getMetadata().getOwnerReferences();
            if (owners == null || owners.isEmpty() || !owners.getFirst().getName().equals(appWrapper)
                    || !(workload.getAdditionalProperties().get("status") instanceof Map<?, ?> status)
                    || !(status.get("conditions") instanceof List<?> conditions)) {
                continue;
            }
            for (Object condition : conditions) {
                if (condition instanceof Map<?, ?> map && Kueue.QUOTA_RESERVED.equals(map.get("type"))
                        && "False".equals(map.get("status"))) {
                    return "waiting: " + map.get("message");
                }
            }
        }
        return null;
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
            "CompositeController", "DecoratorController", "Namespace", "ResourceFlavor", "ClusterQueue");
}
