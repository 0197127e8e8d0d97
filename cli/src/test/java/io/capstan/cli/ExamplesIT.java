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
    void theGreetingLambdaControllerAnswersFromAPythonHookRunningOnTheNode() throws Exception {
        for (String example : new String[] {"greeting-controller.yaml", "greeting.yaml"}) {
            var apply = cluster.kubectl().run(null, "-n", namespace, "apply", "-f", LAMBDA_EXAMPLES.resolve(example).toString());
            assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        }
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

            greetings.withName("hello").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"name\":\"Capstan\"}}");
            Awaitility.await().alias("the ConfigMap updated in place").atMost(Duration.ofMinutes(1))
                    .until(() -> "Hello, Capstan!".equals(client.configMaps().inNamespace(namespace).withName("hello-message")
                            .get().getData().get("message")));
        } finally {
            client.genericKubernetesResources("metacontroller.k8s.io/v1alpha1", "CompositeController")
                    .withName("greeting-controller").delete();
        }
    }
}
