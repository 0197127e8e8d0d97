package io.capstan.cli;

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
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Create a Framework and follow it live until it completes.",
        description = {"Creates the Framework in FILE and follows it: its state and attempts, each task's state, exit "
                + "codes and retry decisions, and (unless --no-logs) its containers' output.",
            "",
            "The cluster is the embedded one when it is running, else the one of --kubeconfig, $KUBECONFIG or "
                + "~/.kube/config.",
            "",
            "Exit codes: 0 the Framework succeeded; 1 it failed, or was deleted before completing; 2 it could not be "
                + "created (the error says why)."})
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "The Framework manifest.")
    Path file;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "Namespace (default: the manifest's, else 'default').")
    String namespace;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Cluster to use (default: see above).")
    Path kubeconfig;

    @Option(names = "--replace", description = "Delete a Framework of the same name first, and wait until it is gone.")
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
        Framework framework;
        try {
            framework = new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
                    .unmarshal(Files.readString(file), Framework.class);
        } catch (RuntimeException e) {
            System.err.println("error: " + file + " is not a Framework manifest: " + e.getMessage());
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
