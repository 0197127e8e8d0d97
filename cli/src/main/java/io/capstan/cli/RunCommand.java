package io.capstan.cli;

import io.capstan.appwrapper.api.AppWrapper;
import io.capstan.appwrapper.api.AppWrapperStatus;
import io.capstan.cluster.LocalCluster;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.KubeClients;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Create a Framework or an AppWrapper and follow it live until it completes.",
        description = {"Creates the Framework in FILE and follows it: its state and attempts, each task's state, exit "
                + "codes and retry decisions, and (unless --no-logs) its containers' output. An AppWrapper is followed "
                + "the same way: its phase and conditions, why it waits while queued, its pods and their output.",
            "",
            "The cluster is the embedded one when it is running, else the one of --kubeconfig, $KUBECONFIG or "
                + "~/.kube/config.",
            "",
            "Exit codes: 0 it succeeded; 1 it failed, or was deleted before completing; 2 it could not be "
                + "created (the error says why)."})
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE",
            description = "The Framework or AppWrapper manifest.")
    Path file;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "Namespace (default: the manifest's, else 'default').")
    String namespace;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Cluster to use (default: see above).")
    Path kubeconfig;

    @Option(names = "--replace", description = "Delete an object of the same name first, and wait until it is gone.")
    boolean replace;

    @Option(names = "--no-logs", description = "Do not stream the containers' output (streamed by default).")
    boolean noLogs;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT24H",
            description = "Give up following after this long, ISO-8601 (default: ${DEFAULT-VALUE}); exit code 1.")
    Duration timeout = Duration.ofHours(24);

    private final PrintStream out = System.out;
    private final long started = System.nanoTime();

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            System.err.println("error: " + file + " does not exist or is not a file");
            return 2;
        }
        var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
        String manifest = Files.readString(file);
        if (AppWrapper.KIND.equals(kindOf(serialization, manifest))) {
            return runAppWrapper(serialization, manifest);
        }
        Framework framework;
        try {
            framework = serialization.unmarshal(manifest, Framework.class);
        } catch (RuntimeException e) {
            System.err.println("error: " + file + " is not a Framework or AppWrapper manifest: " + e.getMessage());
            return 2;
        }
        if (framework == null || framework.getMetadata() == null || framework.getMetadata().getName() == null) {
            System.err.println("error: " + file + " has no metadata.name");
            return 2;
        }
        String ns = namespace != null ? namespace
                : framework.getMetadata().getNamespace() != null ? framework.getMetadata().getNamespace() : "default";
        framework.getMetadata().setNamespace(ns);
        try (KubernetesClient client = KubeClients.create(clusterConfig(kubeconfig), 0, 0)) {
            return createAndFollow(client, framework);
        }
    }

    /**
     * The cluster a command that works on objects talks to: {@code kubeconfig} when given, else the embedded cluster
     * when it runs, else {@code $KUBECONFIG} or {@code ~/.kube/config}.
     */
    static Config clusterConfig(Path kubeconfig) {
        if (kubeconfig != null) {
            return KubeClients.loadConfig(kubeconfig);
        }
        LocalCluster local = LocalCluster.atDefaultHome();
        if (local.running().isPresent()) {
            return KubeClients.loadConfig(local.kubeconfig());
        }
        return KubeClients.loadConfig(null);
    }

    private static String kindOf(io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization, String manifest) {
        try {
            return serialization.unmarshal(manifest, com.fasterxml.jackson.databind.JsonNode.class).path("kind").asText();
        } catch (RuntimeException e) {
            return "";
        }
    }

    // ----- AppWrappers ------------------------------------------------------------------------------------------------

    private int runAppWrapper(io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization, String manifest)
            throws InterruptedException {
        AppWrapper appWrapper;
        try {
            appWrapper = serialization.unmarshal(manifest, AppWrapper.class);
        } catch (RuntimeException e) {
            System.err.println("error: " + file + " is not an AppWrapper manifest: " + e.getMessage());
            return 2;
        }
        if (appWrapper.getMetadata() == null || appWrapper.getMetadata().getName() == null) {
            System.err.println("error: " + file + " has no metadata.name");
            return 2;
        }
        String ns = namespace != null ? namespace
                : appWrapper.getMetadata().getNamespace() != null ? appWrapper.getMetadata().getNamespace() : "default";
        appWrapper.getMetadata().setNamespace(ns);
        try (KubernetesClient client = KubeClients.create(clusterConfig(kubeconfig), 0, 0)) {
            String name = appWrapper.getMetadata().getName();
            var appWrappers = client.resources(AppWrapper.class).inNamespace(ns);
            if (replace && appWrappers.withName(name).get() != null) {
                say("deleting the existing AppWrapper " + ns + "/" + name);
                appWrappers.withName(name).delete();
                appWrappers.withName(name).waitUntilCondition(java.util.Objects::isNull, 10, TimeUnit.MINUTES);
            }
            try {
                appWrappers.resource(appWrapper).create();
            } catch (KubernetesClientException e) {
                System.err.println("error: cannot create AppWrapper " + ns + "/" + name + ": " + ApiErrors.describe(e));
                return 2;
            }
            var labels = appWrapper.getMetadata().getLabels();
            String queue = labels == null ? null : labels.get("kueue.x-k8s.io/queue-name");
            say("AppWrapper " + ns + "/" + name + " created (" + appWrapper.getSpec().components.size() + " components"
                    + (queue == null ? ", no queue" : ", queued in LocalQueue " + queue) + ")");
            return followAppWrapper(client, ns, name);
        }
    }

    /**
     * Prints every change of the AppWrapper — phase, conditions, retries — why its Workload waits while it is queued,
     * and its pods' phases and output, until it succeeds or fails.
     */
    private int followAppWrapper(KubernetesClient client, String ns, String name) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> conditions = new java.util.HashMap<>();
        Map<String, String> podPhases = new java.util.HashMap<>();
        Set<String> streaming = new java.util.HashSet<>();
        List<LogWatch> logWatches = new ArrayList<>();
        String phase = null;
        String waiting = null;
        Integer resets = null;
        try {
            while (System.nanoTime() < deadline) {
                AppWrapper current = client.resources(AppWrapper.class).inNamespace(ns).withName(name).get();
                if (current == null) {
                    say("the AppWrapper was deleted before it completed");
                    return 1;
                }
                AppWrapperStatus status = current.getStatus() == null ? new AppWrapperStatus() : current.getStatus();
                if (status.phase != null && !status.phase.isEmpty() && !status.phase.equals(phase)) {
                    phase = status.phase;
                    say("AppWrapper " + phase);
                }
                if (!java.util.Objects.equals(resets, status.resettingCount) && status.resettingCount != null) {
                    resets = status.resettingCount;
                    say("  resets so far: " + resets);
                }
                for (AppWrapperStatus.Condition condition : status.conditions) {
                    String line = condition.status + " (" + condition.reason + ": " + condition.message + ")";
                    if (!line.equals(conditions.put(condition.type, line))) {
                        say("  " + condition.type + " " + line);
                    }
                }
                String why = current.getSpec().suspended() ? waitingReason(client, ns, name) : null;
                if (why != null && !why.equals(waiting)) {
                    say("  queued: " + why);
                }
                waiting = why;
                for (Pod pod : client.pods().inNamespace(ns).withLabel(AppWrapper.LABEL, name).list().getItems()) {
                    String podPhase = pod.getStatus() == null ? "Pending" : pod.getStatus().getPhase();
                    if (!java.util.Objects.equals(podPhase, podPhases.put(pod.getMetadata().getName(), podPhase))) {
                        say("  pod " + pod.getMetadata().getName() + " " + podPhase);
                    }
                    if (!noLogs && "Running".equals(podPhase) && streaming.add(pod.getMetadata().getUid())) {
                        String podName = pod.getMetadata().getName();
                        Thread.ofVirtual().start(() -> stream(client, ns, podName, podName, logWatches));
                    }
                }
                if ("Succeeded".equals(phase)) {
                    say("Succeeded");
                    return 0;
                }
                if ("Failed".equals(phase) && !status.isTrue(AppWrapperStatus.RESOURCES_DEPLOYED)) {
                    var unhealthy = status.condition(AppWrapperStatus.UNHEALTHY);
                    say("Failed" + unhealthy.map(c -> ": " + c.reason + " (" + c.message + ")").orElse(""));
                    return 1;
                }
                Thread.sleep(500);
            }
            say("gave up following after " + timeout + "; the AppWrapper keeps running");
            return 1;
        } finally {
            synchronized (logWatches) {
                logWatches.forEach(LogWatch::close);
            }
        }
    }

    /**
     * Why the AppWrapper's Workload waits — its place in its ClusterQueue (worked out here, from the pending Workloads,
     * in the order the queue admits them) and its QuotaReserved message — or null.
     */
    private String waitingReason(KubernetesClient client, String ns, String name) {
        var serialization = client.getKubernetesSerialization();
        for (var workload : client.genericKubernetesResources("kueue.x-k8s.io/v1beta2", "Workload").inNamespace(ns).list()
                .getItems()) {
            var owners = workload.getMetadata().getOwnerReferences();
            if (owners == null || owners.isEmpty() || !name.equals(owners.getFirst().getName())) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode json = serialization.convertValue(workload,
                    com.fasterxml.jackson.databind.JsonNode.class);
            for (var condition : json.path("status").path("conditions")) {
                if ("QuotaReserved".equals(condition.path("type").asText())
                        && "False".equals(condition.path("status").asText())) {
                    if (System.nanoTime() - placeAt > PLACE_INTERVAL.toNanos()) {
                        // Every Workload of the cluster is listed for it: not at every poll.
                        place = place(client, json);
                        placeAt = System.nanoTime();
                    }
                    return (place == null ? "" : place + ": ") + condition.path("message").asText();
                }
            }
        }
        return null;
    }

    private static final Duration PLACE_INTERVAL = Duration.ofSeconds(5);
    private String place;
    private long placeAt = System.nanoTime() - PLACE_INTERVAL.toNanos() - 1;

    /**
     * "2nd of 5 in ClusterQueue CQ" (with the LocalQueue's figures when it shares the ClusterQueue), or null when it
     * cannot be known: listing every namespace's Workloads may be forbidden to the user, and then the LocalQueue's
     * namespace is all there is.
     */
    private static String place(KubernetesClient client, com.fasterxml.jackson.databind.JsonNode workload) {
        var serialization = client.getKubernetesSerialization();
        String ns = workload.path("metadata").path("namespace").asText();
        java.util.function.Function<java.util.List<io.fabric8.kubernetes.api.model.GenericKubernetesResource>,
                java.util.List<com.fasterxml.jackson.databind.JsonNode>> json = items -> items.stream()
                .map(i -> serialization.convertValue(i, com.fasterxml.jackson.databind.JsonNode.class)).toList();
        var workloads = client.genericKubernetesResources("kueue.x-k8s.io/v1beta2", "Workload");
        var localQueues = client.genericKubernetesResources("kueue.x-k8s.io/v1beta2", "LocalQueue");
        try {
            var position = io.capstan.queue.model.QueueOrder.position(workload,
                    json.apply(workloads.inAnyNamespace().list().getItems()),
                    json.apply(localQueues.inAnyNamespace().list().getItems()));
            return position == null ? null : ordinal(position.inClusterQueue()) + " of "
                    + position.pendingInClusterQueue() + " in ClusterQueue " + position.clusterQueue()
                    + (position.pendingInLocalQueue() == position.pendingInClusterQueue() ? ""
                            : " (" + ordinal(position.inLocalQueue()) + " of " + position.pendingInLocalQueue()
                                    + " in its LocalQueue)");
        } catch (KubernetesClientException cannotListEverywhere) {
            var position = io.capstan.queue.model.QueueOrder.position(workload,
                    json.apply(workloads.inNamespace(ns).list().getItems()),
                    json.apply(localQueues.inNamespace(ns).list().getItems()));
            return position == null ? null : ordinal(position.inLocalQueue()) + " of " + position.pendingInLocalQueue()
                    + " in its LocalQueue";
        }
    }

    static String ordinal(int n) {
        String suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    /** Creates the Framework (in its metadata's namespace) and follows it; returns the exit code. */
    int createAndFollow(KubernetesClient client, Framework framework) throws InterruptedException {
        String ns = framework.getMetadata().getNamespace();
        String name = framework.getMetadata().getName();
        var frameworks = client.resources(Framework.class).inNamespace(ns);
        if (replace && frameworks.withName(name).get() != null) {
            say("deleting the existing Framework " + ns + "/" + name);
            frameworks.withName(name).withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
                    .delete();
            frameworks.withName(name).waitUntilCondition(f -> f == null, 5, TimeUnit.MINUTES);
        }
        Framework created;
        try {
            created = frameworks.resource(framework).create();
        } catch (KubernetesClientException e) {
            System.err.println("error: cannot create Framework " + ns + "/" + name + ": " + ApiErrors.describe(e)
                    + (e.getCode() == 409 ? " (use --replace to delete the existing one first)" : ""));
            return 2;
        }
        say("Framework " + ns + "/" + name + " created (" + created.getSpec().effectiveRoles().size() + " roles, "
                + created.getSpec().totalTaskNumber() + " tasks)");
        return follow(client, created);
    }

    /** Prints every status change until the Framework completes; the exit code says how it ended. */
    private int follow(KubernetesClient client, Framework framework) throws InterruptedException {
        String ns = framework.getMetadata().getNamespace();
        String name = framework.getMetadata().getName();
        String uid = framework.getMetadata().getUid();
        BlockingQueue<Framework> updates = new LinkedBlockingQueue<>();
        Framework gone = new Framework();
        Watch watch = client.resources(Framework.class).inNamespace(ns).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Framework update) {
                if (uid.equals(update.getMetadata().getUid())) {
                    updates.add(action == Action.DELETED ? gone : update);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                updates.add(gone);
            }
        });
        List<LogWatch> logWatches = new ArrayList<>();
        Set<String> streaming = new HashSet<>();
        FrameworkStatus last = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Framework update = updates.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (update == null) {
                    say("gave up following after " + timeout + "; the Framework keeps running");
                    return 1;
                }
                if (update == gone) {
                    Framework latest = client.resources(Framework.class).inNamespace(ns).withName(name).get();
                    if (latest == null || !uid.equals(latest.getMetadata().getUid())) {
                        say("the Framework was deleted before it completed");
                        return 1;
                    }
                    update = latest;
                }
                FrameworkStatus status = update.getStatus();
                for (String line : FrameworkProgress.changes(last, status)) {
                    say(line);
                }
                if (status != null && !noLogs) {
                    streamNewPods(client, ns, status, streaming, logWatches);
                }
                last = status == null ? last : status;
                if (status != null && status.state == FrameworkState.Completed) {
                    return summary(status);
                }
            }
        } finally {
            watch.close();
            synchronized (logWatches) {
                logWatches.forEach(LogWatch::close);
            }
        }
    }

    private int summary(FrameworkStatus status) {
        var completion = status.attemptStatus.completionStatus;
        boolean succeeded = completion != null && completion.type != null && completion.type.isSucceeded();
        say((succeeded ? "Succeeded" : "Failed") + " after " + (status.retryPolicyStatus.totalRetriedCount + 1)
                + " attempt(s): " + (completion == null ? "no completion status" : FrameworkProgress.describe(completion)));
        return succeeded ? 0 : 1;
    }

    /** Starts streaming the output of every running task's pod not yet followed. */
    private void streamNewPods(KubernetesClient client, String ns, FrameworkStatus status, Set<String> streaming,
            List<LogWatch> logWatches) {
        if (status.attemptStatus.taskRoleStatuses == null) {
            return;
        }
        for (TaskRoleStatus role : status.attemptStatus.taskRoleStatuses) {
            for (TaskStatus task : role.taskStatuses) {
                String podUid = task.attemptStatus.podUID;
                if (task.state != TaskState.AttemptRunning || podUid == null || !streaming.add(podUid)) {
                    continue;
                }
                String label = role.name + "-" + task.index;
                Thread.ofVirtual().name("logs-" + label).start(() -> stream(client, ns, task.attemptStatus.podName, label,
                        logWatches));
            }
        }
    }

    private void stream(KubernetesClient client, String ns, String podName, String label, List<LogWatch> logWatches) {
        Pod pod = client.pods().inNamespace(ns).withName(podName).get();
        if (pod == null) {
            return;
        }
        List<Container> containers = pod.getSpec().getContainers();
        for (Container container : containers) {
            String prefix = containers.size() == 1 ? label : label + "/" + container.getName();
            Thread.ofVirtual().start(() -> {
                try {
                    LogWatch watch = client.pods().inNamespace(ns).withName(podName).inContainer(container.getName())
                            .watchLog();
                    synchronized (logWatches) {
                        logWatches.add(watch);
                    }
                    try (BufferedReader reader = new BufferedReader(new InputStreamReader(watch.getOutput(),
                            StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = reader.readLine()) != null) {
                            if (line.startsWith("{\"kind\":\"Status\"")) {
                                return; // the pod ended before its output could be read
                            }
                            synchronized (out) {
                                out.println("    [" + prefix + "] " + line);
                            }
                        }
                    }
                } catch (Exception e) {
                    // The pod went away before its output could be read; the states above still tell how it ended.
                }
            });
        }
    }

    private void say(String line) {
        double seconds = (System.nanoTime() - started) / 1e9;
        synchronized (out) {
            out.printf("[%6.1fs] %s%n", seconds, line);
            out.flush();
        }
    }
}
