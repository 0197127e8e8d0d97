package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.capstan.cluster.LocalCluster;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.api.TaskStatus;
import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every example in examples/framework runs as its comment says, on what 'capstan up' runs: the operator add-on
 * (controller and admission webhook) and the node 'local', whose pods are host processes.
 */
@EmbeddedCluster
class ExamplesIT {

    private static final Path EXAMPLES = Path.of("..", "examples", "framework");
    private static final Path LAMBDA_EXAMPLES = Path.of("..", "examples", "lambda");
    private static final Path APPWRAPPER_EXAMPLES = Path.of("..", "examples", "appwrapper");
    private static final List<LocalCluster.Addon> addons = new ArrayList<>();
    private static TestCluster cluster;
    private String namespace;
    private KubernetesClient client;

    @BeforeAll
    static void startAddons(TestCluster testCluster) throws Exception {
        cluster = testCluster;
        addons.add(Addons.operator(testCluster.controlPlane()));
        addons.add(Addons.localNode(testCluster.controlPlane()));
    }

    @AfterAll
    static void stopAddons() {
        addons.reversed().forEach(LocalCluster.Addon::close);
    }

    @BeforeEach
    void setUp(TestNamespace testNamespace) {
        namespace = testNamespace.name();
        client = cluster.client();
    }

    private void apply(String example) throws Exception {
        var apply = cluster.kubectl().run(null, "-n", namespace, "apply", "-f", EXAMPLES.resolve(example).toString());
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
    }

    private Framework get(String name) {
        return client.resources(Framework.class).inNamespace(namespace).withName(name).get();
    }

    private Framework await(String name, String what, Predicate<FrameworkStatus> condition) {
        Framework[] seen = new Framework[1];
        Awaitility.await().alias(name + ": " + what).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    seen[0] = get(name);
                    return seen[0] != null && seen[0].getStatus() != null && condition.test(seen[0].getStatus());
                });
        return seen[0];
    }

    private FrameworkStatus completed(String name) {
        return await(name, "Completed", s -> s.state == FrameworkState.Completed).getStatus();
    }

    private static List<TaskStatus> tasks(FrameworkStatus status, String role) {
        TaskRoleStatus roleStatus = status.attemptStatus.role(role);
        assertThat(roleStatus).as("role " + role).isNotNull();
        return roleStatus.taskStatuses;
    }

    private void stop(String name) {
        // A merge patch, as a user would: no resourceVersion, so no conflict with the controller's status writes.
        client.resources(Framework.class).inNamespace(namespace).withName(name).patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"executionType\":\"Stop\"}}");
    }

    @Test
    void demoSucceedsAndTearsTheServerDown() throws Exception {
        apply("demo.yaml");

        FrameworkStatus status = completed("demo");

        assertThat(status.attemptStatus.completionStatus.code).isZero();
        assertThat(tasks(status, "worker")).allSatisfy(t -> assertThat(t.attemptStatus.completionStatus.code).isZero());
        assertThat(tasks(status, "server").getFirst().attemptStatus.completionStatus.code).isEqualTo(-220);
    }

    @Test
    void batchSucceeded() throws Exception {
        apply("batchsucceeded.yaml");

        assertThat(completed("batchsucceeded").attemptStatus.completionStatus.code).isZero();
    }

    @Test
    void batchFailedPermanentIsNeverRetried() throws Exception {
        apply("batchfailedpermanent.yaml");

        FrameworkStatus status = completed("batchfailedpermanent");
        assertThat(status.attemptStatus.completionStatus.code).isEqualTo(210);
        assertThat(status.retryPolicyStatus.totalRetriedCount).isZero();
        assertThat(tasks(status, "worker").getFirst().retryPolicyStatus.totalRetriedCount).isZero();
    }

    @Test
    void batchFailedUnknownIsRetriedUpToTheLimitAtBothLevels() throws Exception {
        apply("batchfailedunknown.yaml");

        FrameworkStatus status = completed("batchfailedunknown");
        assertThat(status.attemptStatus.completionStatus.code).isEqualTo(1);
        assertThat(status.retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
        assertThat(tasks(status, "worker").getFirst().retryPolicyStatus.accountableRetriedCount).isEqualTo(1);
    }

    @Test
    void batchFailedTransientIsRetriedUncountedUntilStopped() throws Exception {
        apply("batchfailedtransient.yaml");
        await("batchfailedtransient", "a task retry", s -> tasks(s, "worker").getFirst().retryPolicyStatus.totalRetriedCount >= 1);

        stop("batchfailedtransient");

        FrameworkStatus status = completed("batchfailedtransient");
        assertThat(status.attemptStatus.completionStatus.code).isEqualTo(-210);
        assertThat(tasks(status, "worker").getFirst().retryPolicyStatus.accountableRetriedCount).isZero();
    }

    @Test
    void batchFailedTransientConflictBacksOffBeforeTheFrameworkRetry() throws Exception {
        apply("batchfailedtransientconflict.yaml");

        FrameworkStatus waiting = await("batchfailedtransientconflict", "retry scheduled",
                s -> s.retryPolicyStatus.retryDelaySec != null).getStatus();
        assertThat(waiting.retryPolicyStatus.retryDelaySec).isBetween(60L, 900L);
        assertThat(waiting.attemptStatus.completionStatus.code).isEqualTo(201);

        stop("batchfailedtransientconflict");
        assertThat(completed("batchfailedtransientconflict").attemptStatus.completionStatus.code).isEqualTo(-210);
    }

    @Test
    void batchStatefulFailedEndsWithCodeOneAfterOneFrameworkRetry() throws Exception {
        apply("batchstatefulfailed.yaml");

        FrameworkStatus status = completed("batchstatefulfailed");
        assertThat(status.attemptStatus.completionStatus.code).isEqualTo(1);
        assertThat(status.retryPolicyStatus.totalRetriedCount).isEqualTo(1);
    }

    @Test
    void batchWithServiceSucceededWhenTheWorkersDo() throws Exception {
        apply("batchwithservicesucceeded.yaml");

        FrameworkStatus status = completed("batchwithservicesucceeded");
        assertThat(status.attemptStatus.completionStatus.code).isZero();
        assertThat(tasks(status, "server")).allSatisfy(t -> assertThat(t.attemptStatus.completionStatus.code).isEqualTo(-220));
    }

    @Test
    void serviceRunsUntilStopped() throws Exception {
        apply("service.yaml");
        await("service", "3 servers running", s -> tasks(s, "server").stream().allMatch(t -> t.state == TaskState.AttemptRunning));
        assertThat(client.services().inNamespace(namespace).withName("service").get().getSpec().getSelector())
                .containsEntry("FC_FRAMEWORK_NAME", "service");

        stop("service");

        assertThat(completed("service").attemptStatus.completionStatus.code).isEqualTo(-210);
    }

    @Test
    void statefulServiceKeepsItsIdentities() throws Exception {
        apply("servicestateful.yaml");
        await("servicestateful", "3 servers running", s -> tasks(s, "server").stream()
                .allMatch(t -> t.state == TaskState.AttemptRunning));

        for (int i = 0; i < 3; i++) {
            Pod pod = client.pods().inNamespace(namespace).withName("servicestateful-server-" + i).get();
            assertThat(pod.getSpec().getHostname()).isEqualTo("server-" + i);
            assertThat(pod.getSpec().getSubdomain()).isEqualTo("servicestateful");
        }
        stop("servicestateful");
        completed("servicestateful");
    }

    @Test
    void frameworkBarrierStartsTheGangTogether() throws Exception {
        // The barrier hands the addresses over in a volume at its mountPath, which only a bwrap sandbox provides.
        assumeTrue(ProcessProvider.Settings.detect(Path.of("/tmp")).bubblewrap(),
                "needs bubblewrap (Debian package 'bubblewrap', which ./capstan test installs)");
        apply("frameworkbarrier.yaml");

        FrameworkStatus status = completed("frameworkbarrier");

        assertThat(status.attemptStatus.completionStatus.code).as(status.attemptStatus.completionStatus.diagnostics).isZero();
        assertThat(tasks(status, "worker")).allSatisfy(t -> assertThat(t.attemptStatus.completionStatus.code).isZero());
    }

    @Test
    void theGreetingLambdaControllerReachesItsPythonHookThroughItsServiceOnTheNode() throws Exception {
        // The hook's source is a configMap volume at its mountPath, which only a bwrap sandbox provides.
        assumeTrue(ProcessProvider.Settings.detect(Path.of("/tmp")).bubblewrap(),
                "needs bubblewrap (Debian package 'bubblewrap', which ./capstan test installs)");
        // The controller file names its own namespace, greeting-system, as Metacontroller's examples do.
        var applyController = cluster.kubectl().run(null, "apply", "-f",
                LAMBDA_EXAMPLES.resolve("greeting-controller.yaml").toString());
        assertThat(applyController.exitCode()).as(applyController.out() + applyController.err()).isZero();
        var applyParent = cluster.kubectl().run(null, "-n", namespace, "apply", "-f",
                LAMBDA_EXAMPLES.resolve("greeting.yaml").toString());
        assertThat(applyParent.exitCode()).as(applyParent.out() + applyParent.err()).isZero();
        try {
            var greetings = client.genericKubernetesResources("example.capstan.io/v1", "Greeting").inNamespace(namespace);
            Awaitility.await().alias("the Greeting's status from the hook").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        var hello = greetings.withName("hello").get();
                        return hello != null && hello.getAdditionalProperties().get("status") instanceof java.util.Map<?, ?> status
                                && "Hello, world!".equals(status.get("message"));
                    });
            assertThat(client.configMaps().inNamespace(namespace).withName("hello-message").get().getData())
                    .containsEntry("message", "Hello, world!");
            // The Service's name does not resolve outside the cluster: the call went to its ready pod, and the
            // controller says where.
            Awaitility.await().alias("the HookEndpoint Event on the controller").atMost(Duration.ofSeconds(30))
                    .until(() -> client.v1().events().inNamespace("default").list().getItems().stream()
                            .anyMatch(e -> "HookEndpoint".equals(e.getReason())
                                    && "greeting-controller".equals(e.getInvolvedObject().getName())
                                    && e.getMessage().contains("http://greeting-controller.greeting-system/sync (called at "
                                            + "127.0.0.1:18090, a ready pod of Service greeting-system/greeting-controller)")));

            greetings.withName("hello").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"name\":\"Capstan\"}}");
            Awaitility.await().alias("the ConfigMap updated in place").atMost(Duration.ofMinutes(1))
                    .until(() -> "Hello, Capstan!".equals(client.configMaps().inNamespace(namespace).withName("hello-message")
                            .get().getData().get("message")));
        } finally {
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "CompositeController")
                    .withName("greeting-controller").delete();
            client.namespaces().withName("greeting-system").delete();
        }
    }

    private void applyLambdaExample(String controllerFile, String objectsFile) throws Exception {
        // The controller file names its own namespaces, as Metacontroller's examples do; the objects go to the test's.
        var applyController = cluster.kubectl().run(null, "apply", "-f", LAMBDA_EXAMPLES.resolve(controllerFile).toString());
        assertThat(applyController.exitCode()).as(applyController.out() + applyController.err()).isZero();
        var applyObjects = cluster.kubectl().run(null, "-n", namespace, "apply", "-f",
                LAMBDA_EXAMPLES.resolve(objectsFile).toString());
        assertThat(applyObjects.exitCode()).as(applyObjects.out() + applyObjects.err()).isZero();
    }

    private static String message(Pod pod) {
        return pod.getSpec().getContainers().getFirst().getEnv().stream().filter(e -> e.getName().equals("MESSAGE"))
                .findFirst().orElseThrow().getValue();
    }

    @Test
    void thePoolControllersNodeHookRollsItsPodsOneAtATimeAndShowsItsRelatedConfigMap() throws Exception {
        assumeTrue(ProcessProvider.Settings.detect(Path.of("/tmp")).bubblewrap(),
                "needs bubblewrap (Debian package 'bubblewrap', which ./capstan test installs)");
        applyLambdaExample("pool-controller.yaml", "pool.yaml");
        var pools = client.genericKubernetesResources("example.capstan.io/v1", "Pool").inNamespace(namespace);
        var pods = client.pods().inNamespace(namespace).withLabel("pool", "workers");
        try {
            Awaitility.await().alias("three ready workers and the related ConfigMap in the status")
                    .atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
                        var pool = pools.withName("workers").get();
                        return pool != null && pool.getAdditionalProperties().get("status") instanceof java.util.Map<?, ?> status
                                && Integer.valueOf(3).equals(status.get("readyReplicas"))
                                && status.get("settings") instanceof java.util.Map<?, ?> settings
                                && "platform-team".equals(settings.get("owner"));
                    });
            assertThat(pods.list().getItems()).extracting(ExamplesIT::message).containsOnly("first edition");

            // A related object's change syncs the parent again.
            client.configMaps().inNamespace(namespace).withName("workers-settings").edit(c -> {
                c.getData().put("owner", "ml-team");
                return c;
            });
            Awaitility.await().alias("the edited ConfigMap in the status").atMost(Duration.ofSeconds(30)).until(() ->
                    pools.withName("workers").get().getAdditionalProperties().get("status") instanceof java.util.Map<?, ?> status
                            && status.get("settings") instanceof java.util.Map<?, ?> settings
                            && "ml-team".equals(settings.get("owner")));

            pools.withName("workers").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"message\":\"second edition\"}}");
            // RollingRecreate: never more than one of the three away from Ready at once.
            int[] mostAway = {0};
            Awaitility.await().alias("every worker on the second edition").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        List<Pod> now = pods.list().getItems();
                        long ready = now.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                                .filter(io.fabric8.kubernetes.client.readiness.Readiness::isPodReady).count();
                        mostAway[0] = Math.max(mostAway[0], 3 - (int) ready);
                        return now.size() == 3 && ready == 3
                                && now.stream().allMatch(p -> message(p).equals("second edition"));
                    });
            assertThat(mostAway[0]).as("pods away from Ready at once during the rollout").isEqualTo(1);
            Awaitility.await().alias("Updated: OnLatestRevision").atMost(Duration.ofSeconds(30)).until(() ->
                    pools.withName("workers").get().getAdditionalProperties().get("status") instanceof java.util.Map<?, ?> status
                            && status.get("conditions") instanceof List<?> conditions && conditions.stream().anyMatch(c ->
                                    c instanceof java.util.Map<?, ?> condition && "Updated".equals(condition.get("type"))
                                            && "OnLatestRevision".equals(condition.get("reason"))));
            var logs = cluster.kubectl().run(null, "-n", namespace, "logs", "workers-0");
            assertThat(logs.out()).contains("second edition");
        } finally {
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "CompositeController")
                    .withName("pool-controller").delete();
            client.namespaces().withName("pool-system").delete();
        }
    }

    @Test
    void theExposeDecoratorGivesAnAnnotatedDeploymentAServiceAndTakesItAwayWithTheAnnotation() throws Exception {
        assumeTrue(ProcessProvider.Settings.detect(Path.of("/tmp")).bubblewrap(),
                "needs bubblewrap (Debian package 'bubblewrap', which ./capstan test installs)");
        applyLambdaExample("expose-decorator.yaml", "exposed-deployment.yaml");
        var deployment = client.apps().deployments().inNamespace(namespace).withName("web");
        var service = client.services().inNamespace(namespace).withName("web");
        try {
            Awaitility.await().alias("the Service attached to the Deployment").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200)).until(() -> service.get() != null
                            && "true".equals(deployment.get().getMetadata().getLabels().get("example.capstan.io/exposed")));
            assertThat(service.get().getSpec().getSelector()).containsExactly(java.util.Map.entry("app", "web"));
            assertThat(service.get().getSpec().getPorts().getFirst().getPort()).isEqualTo(18093);
            assertThat(service.get().getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(owner -> assertThat(owner.getName()).isEqualTo("web"));

            deployment.patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\"example.capstan.io/expose\":null}}}");
            Awaitility.await().alias("the Service gone with the annotation, and the label and finalizer with it")
                    .atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> service.get() == null
                            && !deployment.get().getMetadata().getLabels().containsKey("example.capstan.io/exposed")
                            && deployment.get().getMetadata().getFinalizers().isEmpty());
        } finally {
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "DecoratorController")
                    .withName("expose-decorator").delete();
            client.namespaces().withName("expose-system").delete();
        }
    }

    // ----- AppWrappers and the queue ----------------------------------------------------------------------------------

    private void applyAppWrapperExample(String file) throws Exception {
        var apply = cluster.kubectl().run(null, "-n", namespace, "apply", "-f", APPWRAPPER_EXAMPLES.resolve(file).toString());
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
    }

    private io.capstan.appwrapper.api.AppWrapperStatus appWrapperStatus(String name) {
        var appWrapper = client.resources(io.capstan.appwrapper.api.AppWrapper.class).inNamespace(namespace).withName(name).get();
        return appWrapper == null || appWrapper.getStatus() == null ? new io.capstan.appwrapper.api.AppWrapperStatus()
                : appWrapper.getStatus();
    }

    @Test
    void theQueuedJobsRunTwoAtATimeWithinTheirQueueAndTheGangIsAdmittedWhole() throws Exception {
        applyAppWrapperExample("queue.yaml");
        applyAppWrapperExample("queued-jobs.yaml");
        // A fourth job like the third, followed by capstan run, which says where it stands in the queue.
        String[] documents = Files.readString(APPWRAPPER_EXAMPLES.resolve("queued-jobs.yaml")).split("(?m)^---$");
        Path fourth = Files.createTempFile("train-4", ".yaml");
        Files.writeString(fourth, documents[documents.length - 1].replace("train-3", "train-4"));
        java.io.ByteArrayOutputStream followed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        RunCommand run;
        try {
            // The command prints to the System.out it was made with.
            System.setOut(new java.io.PrintStream(followed, true, java.nio.charset.StandardCharsets.UTF_8));
            run = new RunCommand();
        } finally {
            System.setOut(stdout);
        }
        var follower = java.util.concurrent.CompletableFuture.supplyAsync(() -> new picocli.CommandLine(run)
                .execute("-f", fourth.toString(), "-n", namespace,
                        "--kubeconfig", cluster.controlPlane().kubeconfig().toString(), "--timeout", "PT2M"));
        List<String> jobs = List.of("train-1", "train-2", "train-3");
        var workloads = client.genericKubernetesResources("kueue.x-k8s.io/v1beta2", "Workload").inNamespace(namespace);
        java.util.Set<String> waitedWithAReason = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (var workload : workloads.list().getItems()) {
                if (String.valueOf(workload.getAdditionalProperties().get("status")).contains("insufficient quota for cpu")) {
                    waitedWithAReason.add(workload.getMetadata().getName());
                }
            }
            long running = jobs.stream().filter(j -> "Running".equals(appWrapperStatus(j).phase)).count();
            assertThat(running).as("the queue's half CPU holds two quarter-CPU jobs").isLessThanOrEqualTo(2);
            assertThat(jobs).allSatisfy(j -> assertThat(appWrapperStatus(j).phase).isEqualTo("Succeeded"));
        });
        assertThat(waitedWithAReason).as("one waited, and said why").isNotEmpty();
        assertThat(follower.get(2, java.util.concurrent.TimeUnit.MINUTES)).as(followed.toString()).isZero();
        assertThat(followed.toString()).containsPattern("queued: \\d+(st|nd|rd|th) of \\d+ in ClusterQueue demo-cq: "
                + "couldn't assign flavors");
        var logs = cluster.kubectl().run(null, "-n", namespace, "logs", "job/train-3");
        assertThat(logs.out()).contains("train-3 done");

        applyAppWrapperExample("gang.yaml");
        Awaitility.await().atMost(Duration.ofMinutes(2)).untilAsserted(() ->
                assertThat(appWrapperStatus("sample-gang").phase).isEqualTo("Succeeded"));
        assertThat(client.pods().inNamespace(namespace).withLabel("kueue.x-k8s.io/podset").list().getItems())
                .extracting(p -> p.getMetadata().getLabels().get("kueue.x-k8s.io/podset"))
                .contains("sample-gang-0", "sample-gang-1");
        client.resources(io.capstan.appwrapper.api.AppWrapper.class).inNamespace(namespace).delete();
        cluster.kubectl().run(null, "delete", "-f", APPWRAPPER_EXAMPLES.resolve("queue.yaml").toString(), "-n", namespace);
    }

    @Test
    void theStandaloneJobSucceedsFollowedByCapstanRunAndTheServiceRunsUntilDeleted() throws Exception {
        applyAppWrapperExample("deployment-service.yaml");
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        int exit;
        try {
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            exit = new picocli.CommandLine(new RunCommand()).execute("-f", APPWRAPPER_EXAMPLES.resolve("job.yaml").toString(),
                    "-n", namespace, "--kubeconfig", cluster.controlPlane().kubeconfig().toString(), "--timeout", "PT2M");
        } finally {
            System.setOut(stdout);
        }
        String output = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(exit).as(output).isZero();
        assertThat(output).contains("AppWrapper " + namespace + "/sample-job created (1 components, no queue)")
                .contains("AppWrapper Running").contains("ResourcesDeployed True").contains("pod sample-job-")
                .endsWith("Succeeded\n");
        Awaitility.await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
            assertThat(appWrapperStatus("sample-job").phase).isEqualTo("Succeeded");
            var service = appWrapperStatus("sample-service");
            assertThat(service.phase).isEqualTo("Running");
            assertThat(service.isTrue(io.capstan.appwrapper.api.AppWrapperStatus.PODS_READY)).isTrue();
        });
        assertThat(client.services().inNamespace(namespace).withName("sample-service").get()).isNotNull();

        client.resources(io.capstan.appwrapper.api.AppWrapper.class).inNamespace(namespace).withName("sample-service").delete();
        Awaitility.await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            assertThat(client.apps().deployments().inNamespace(namespace).withName("sample-service").get()).isNull();
            assertThat(client.pods().inNamespace(namespace).withLabel("workload.codeflare.dev/appwrapper", "sample-service")
                    .list().getItems()).isEmpty();
        });
    }
}
