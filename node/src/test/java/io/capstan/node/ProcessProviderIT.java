package io.capstan.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.capstan.node.provider.process.ProcessProvider;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The process provider with real host processes: kubelet semantics for commands, restarts, probes, volumes, I/O. */
@EmbeddedCluster
class ProcessProviderIT {

    private NodeFixture fixture;
    private ProcessProvider provider;
    private String node;
    private Path work;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new NodeFixture(cluster, namespace);
        work = Files.createTempDirectory("capstan-process-it-");
        provider = new ProcessProvider(ProcessProvider.Settings.detect(work.resolve("pods"))
                .withBackoff(Duration.ofMillis(500), Duration.ofSeconds(2)));
        node = fixture.nodeName("process");
        fixture.start(provider, node);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private Pod pod(String name, String restartPolicy, ContainerBuilder... containers) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(fixture.namespace.name()).endMetadata()
                .withNewSpec().withNodeName(node).withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(5L)
                .withContainers(java.util.Arrays.stream(containers).map(ContainerBuilder::build).toList()).endSpec().build();
    }

    private static ContainerBuilder shell(String name, String script) {
        return new ContainerBuilder().withName(name).withImage("debian").withCommand("sh", "-c", script);
    }

    /** The first container's status; an assertion error (retried by Awaitility) while there is none yet. */
    private ContainerStatus containerStatus(String pod) {
        var statuses = fixture.get(pod).getStatus().getContainerStatuses();
        assertThat(statuses).as("container statuses of " + pod).isNotEmpty();
        return statuses.getFirst();
    }

    private void awaitPhase(String pod, String phase) {
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.get(pod).getStatus().getPhase())
                .isEqualTo(phase));
    }

    private String logs(String pod, String... extra) throws Exception {
        String[] args = new String[extra.length + 2];
        args[0] = "logs";
        args[1] = pod;
        System.arraycopy(extra, 0, args, 2, extra.length);
        return fixture.kubectl(args).out();
    }

    @Test
    void aContainerWithoutACommandWaitsWithAClearReason() {
        fixture.create(pod("no-command", "Never", new ContainerBuilder().withName("main").withImage("nginx")));

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            var waiting = containerStatus("no-command").getState().getWaiting();
            assertThat(waiting.getReason()).isEqualTo("CreateContainerError");
            assertThat(waiting.getMessage()).contains("has no command").contains("image nginx");
        });
        assertThat(fixture.get("no-command").getStatus().getPhase()).isEqualTo("Pending");
    }

    @Test
    void aCommandThatDoesNotExistEndsLikeAContainerRuntimeSaysIt() {
        fixture.create(pod("missing", "Never", new ContainerBuilder().withName("main").withImage("x")
                .withCommand("no-such-program-capstan")));

        awaitPhase("missing", "Failed");
        var terminated = containerStatus("missing").getState().getTerminated();
        assertThat(terminated.getExitCode()).isEqualTo(127);
        assertThat(terminated.getReason()).isEqualTo("ContainerCannotRun");
        assertThat(terminated.getMessage()).contains("executable file not found in $PATH");
    }

    @Test
    void exitCodesBecomeTerminatedStatesAndThePodPhase() {
        fixture.create(pod("ok", "Never", shell("main", "echo done")));
        fixture.create(pod("failing", "Never", shell("main", "exit 3")));

        awaitPhase("ok", "Succeeded");
        awaitPhase("failing", "Failed");
        assertThat(containerStatus("ok").getState().getTerminated().getReason()).isEqualTo("Completed");
        var failed = containerStatus("failing").getState().getTerminated();
        assertThat(failed.getExitCode()).isEqualTo(3);
        assertThat(failed.getReason()).isEqualTo("Error");
        assertThat(failed.getStartedAt()).isNotNull();
        assertThat(failed.getFinishedAt()).isNotNull();
    }

    @Test
    void onFailureRestartsWithBackoffAndCountsRestartsUntilItSucceeds() {
        Path marker = work.resolve("attempts");
        fixture.create(new PodBuilder(pod("flaky", "OnFailure", shell("main", "echo x >> " + marker + "; [ $(wc -l < " + marker
                + ") -ge 3 ]"))).editSpec().addNewVolume().withName("work").withNewHostPath().withPath(work.toString())
                .endHostPath().endVolume().editFirstContainer().addNewVolumeMount().withName("work")
                .withMountPath(work.toString()).endVolumeMount().endContainer().endSpec().build());

        awaitPhase("flaky", "Succeeded");
        ContainerStatus status = containerStatus("flaky");
        assertThat(status.getRestartCount()).isEqualTo(2);
        assertThat(status.getLastState().getTerminated().getExitCode()).isEqualTo(1);
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(fixture.client.v1().events()
                .inNamespace(fixture.namespace.name()).withField("involvedObject.name", "flaky").list().getItems())
                .extracting(Event::getReason).contains("BackOff", "Started"));
    }

    @Test
    void initContainersRunInOrderBeforeTheContainers() throws Exception {
        Pod pod = new PodBuilder(pod("ordered", "Never", shell("main", "cat /shared/steps")))
                .editSpec().addNewVolume().withName("shared").withNewEmptyDir().endEmptyDir().endVolume()
                .withInitContainers(shell("first", "echo first > /shared/steps").addNewVolumeMount().withName("shared")
                        .withMountPath("/shared").endVolumeMount().build(),
                        shell("second", "echo second >> /shared/steps").addNewVolumeMount().withName("shared")
                        .withMountPath("/shared").endVolumeMount().build())
                .editFirstContainer().addNewVolumeMount().withName("shared").withMountPath("/shared").endVolumeMount()
                .endContainer().endSpec().build();
        assumeThat(provider.settings().bubblewrap()).as("volumes appear at their mountPath only in a sandbox").isTrue();
        fixture.create(pod);

        awaitPhase("ordered", "Succeeded");
        assertThat(logs("ordered")).isEqualTo("first\nsecond\n");
        assertThat(fixture.get("ordered").getStatus().getInitContainerStatuses()).extracting(s ->
                s.getState().getTerminated().getReason()).containsExactly("Completed", "Completed");
    }

    @Test
    void deletionSendsSigtermAndSigkillsAfterTheGracePeriod() throws Exception {
        Path record = work.resolve("signals");
        Files.createDirectories(record);
        fixture.create(new PodBuilder(pod("polite", "Always", shell("main", "trap 'echo TERM > " + record
                + "/polite; exit 0' TERM; while true; do sleep 0.1; done")))
                .editSpec().addNewVolume().withName("rec").withNewHostPath().withPath(record.toString()).endHostPath()
                .endVolume().editFirstContainer().addNewVolumeMount().withName("rec").withMountPath(record.toString())
                .endVolumeMount().endContainer().endSpec().build());
        fixture.create(pod("stubborn", "Always", shell("main", "trap '' TERM; while true; do sleep 0.1; done")));
        awaitPhase("polite", "Running");
        awaitPhase("stubborn", "Running");

        long started = System.nanoTime();
        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("polite").withGracePeriod(30).delete();
        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("stubborn").withGracePeriod(2).delete();

        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("polite") == null && fixture.get("stubborn") == null);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("SIGKILL after 2s, not 30s").isLessThan(Duration.ofSeconds(25));
        assertThat(Files.readString(record.resolve("polite"))).isEqualTo("TERM\n");
    }

    @Test
    void terminationMessagesComeFromTheFileOrFromTheLogOnError() {
        assumeThat(provider.settings().bubblewrap()).as("/dev/termination-log exists only in a sandbox").isTrue();
        fixture.create(pod("messenger", "Never", shell("main", "echo 'disk full' > /dev/termination-log; exit 1")));
        fixture.create(pod("fallback", "Never", shell("main", "echo first; echo 'last words'; exit 2")
                .withTerminationMessagePolicy("FallbackToLogsOnError")));

        awaitPhase("messenger", "Failed");
        awaitPhase("fallback", "Failed");
        assertThat(containerStatus("messenger").getState().getTerminated().getMessage()).isEqualTo("disk full\n");
        assertThat(containerStatus("fallback").getState().getTerminated().getMessage()).isEqualTo("first\nlast words");
    }

    @Test
    void readinessAndLivenessProbesDriveReadyAndRestarts() throws Exception {
        int port = io.capstan.cluster.Ports.free();
        fixture.create(pod("probed", "Always",
                new ContainerBuilder().withName("web").withImage("python").withCommand("python3", "-m", "http.server",
                        Integer.toString(port), "--bind", "127.0.0.1")
                        .withNewReadinessProbe().withNewHttpGet().withPath("/").withNewPort(port).endHttpGet()
                        .withPeriodSeconds(1).endReadinessProbe()));
        fixture.create(pod("dying", "Always", shell("main", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600")
                .withNewLivenessProbe().withNewExec().withCommand("test", "-f", "/tmp/healthy").endExec()
                .withPeriodSeconds(1).withFailureThreshold(2).endLivenessProbe()));

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            assertThat(containerStatus("probed").getReady()).isTrue();
            assertThat(fixture.get("probed").getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Ready");
                assertThat(c.getStatus()).isEqualTo("True");
            });
        });
        assumeThat(provider.settings().bubblewrap()).as("a private /tmp per container needs a sandbox").isTrue();
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThat(containerStatus("dying").getRestartCount())
                .isGreaterThanOrEqualTo(1));
        assertThat(fixture.client.v1().events().inNamespace(fixture.namespace.name())
                .withField("involvedObject.name", "dying").list().getItems()).extracting(Event::getReason)
                .contains("Unhealthy", "Killing");
    }

    @Test
    void volumesAppearAtTheirMountPaths() throws Exception {
        assumeThat(provider.settings().bubblewrap()).as("mountPath needs a sandbox").isTrue();
        fixture.client.configMaps().inNamespace(fixture.namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("settings").endMetadata().withData(Map.of("mode", "fast")).build()).create();
        fixture.client.secrets().inNamespace(fixture.namespace.name()).resource(new SecretBuilder().withNewMetadata()
                .withName("creds").endMetadata().withStringData(Map.of("password", "s3cret")).build()).create();
        Path host = Files.writeString(Files.createDirectories(work.resolve("host")).resolve("greeting"), "hello host");
        Pod pod = new PodBuilder(pod("mounted", "Never", shell("main", "cat /etc/app/mode; echo; cat /secrets/password; echo; "
                + "cat /info/labels; echo; cat /host/greeting; echo; test -s /token/token && echo token-ok; "
                + "cat /proj/mode; echo; touch /readonly/x 2>/dev/null || echo readonly-ok")))
                .editMetadata().addToLabels("app", "demo").endMetadata()
                .editSpec()
                .addNewVolume().withName("cm").withNewConfigMap().withName("settings").endConfigMap().endVolume()
                .addNewVolume().withName("secret").withNewSecret().withSecretName("creds").endSecret().endVolume()
                .addNewVolume().withName("info").withNewDownwardAPI().addNewItem().withPath("labels").withNewFieldRef()
                .withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().endVolume()
                .addNewVolume().withName("host").withNewHostPath().withPath(host.getParent().toString()).endHostPath().endVolume()
                .addNewVolume().withName("token").withNewProjected().addNewSource().withNewServiceAccountToken()
                .withPath("token").withExpirationSeconds(3600L).endServiceAccountToken().endSource().endProjected().endVolume()
                .addNewVolume().withName("proj").withNewProjected().addNewSource().withNewConfigMap().withName("settings")
                .endConfigMap().endSource().endProjected().endVolume()
                .addNewVolume().withName("ro").withNewEmptyDir().endEmptyDir().endVolume()
                .editFirstContainer()
                .addNewVolumeMount().withName("cm").withMountPath("/etc/app").endVolumeMount()
                .addNewVolumeMount().withName("secret").withMountPath("/secrets").endVolumeMount()
                .addNewVolumeMount().withName("info").withMountPath("/info").endVolumeMount()
                .addNewVolumeMount().withName("host").withMountPath("/host").endVolumeMount()
                .addNewVolumeMount().withName("token").withMountPath("/token").endVolumeMount()
                .addNewVolumeMount().withName("proj").withMountPath("/proj").endVolumeMount()
                .addNewVolumeMount().withName("ro").withMountPath("/readonly").withReadOnly(true).endVolumeMount()
                .endContainer().endSpec().build();
        fixture.create(pod);

        awaitPhase("mounted", "Succeeded");
        assertThat(logs("mounted")).isEqualTo("fast\ns3cret\napp=\"demo\"\nhello host\ntoken-ok\nfast\nreadonly-ok\n");
        assertThat(Path.of("/etc/app")).as("nothing created on the host").doesNotExist();
    }

    @Test
    void podsReachTheApiServerWithTheirServiceAccountAndGetDownwardApiValues() throws Exception {
        assumeThat(provider.settings().bubblewrap()).as("the token is mounted at its standard path in a sandbox").isTrue();
        String script = "import os, ssl, urllib.request\n"
                + "sa = '/var/run/secrets/kubernetes.io/serviceaccount'\n"
                + "ctx = ssl.create_default_context(cafile=sa + '/ca.crt')\n"
                + "req = urllib.request.Request('https://%s:%s/version' % (os.environ['KUBERNETES_SERVICE_HOST'], "
                + "os.environ['KUBERNETES_SERVICE_PORT']), headers={'Authorization': 'Bearer ' + open(sa + '/token').read()})\n"
                + "print(urllib.request.urlopen(req, context=ctx).status, os.environ['MY_IP'], os.environ['MY_NODE'])\n";
        fixture.create(pod("client", "Never", new ContainerBuilder().withName("main").withImage("python")
                .withCommand("python3", "-c", script)
                .addNewEnv().withName("MY_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef()
                .endValueFrom().endEnv()
                .addNewEnv().withName("MY_NODE").withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName").endFieldRef()
                .endValueFrom().endEnv()));

        awaitPhase("client", "Succeeded");
        assertThat(logs("client")).isEqualTo("200 127.0.0.1 " + node + "\n");
    }

    @Test
    void aHugeLogLineComesBackWhole() throws Exception {
        fixture.create(pod("chatty", "Never", new ContainerBuilder().withName("main").withImage("python")
                .withCommand("python3", "-c", "print('x' * 100000); print('end')")));

        awaitPhase("chatty", "Succeeded");
        String logs = logs("chatty");
        assertThat(logs).hasSize(100000 + 1 + 4);
        assertThat(logs).endsWith("x\nend\n");
    }

    @Test
    void execRunsInTheContainerWithStdinAndFailsClearlyOnceItExited() throws Exception {
        fixture.create(pod("shell", "Never", shell("main", "sleep 3600"), shell("quick", "sleep 2")));
        awaitPhase("shell", "Running");

        NodeFixture.Result echoed = fixture.kubectlWithInput("hello via stdin\n", "exec", "-i", "shell", "--", "cat");
        assertThat(echoed.exitCode()).as(echoed.err()).isZero();
        assertThat(echoed.out()).isEqualTo("hello via stdin\n");
        NodeFixture.Result failing = fixture.kubectl("exec", "shell", "--", "sh", "-c", "echo oops >&2; exit 42");
        assertThat(failing.exitCode()).isEqualTo(42);
        assertThat(failing.err()).contains("oops");

        await().atMost(NodeFixture.waitLimit()).until(() -> fixture.get("shell").getStatus().getContainerStatuses().stream()
                .anyMatch(c -> c.getName().equals("quick") && c.getState().getTerminated() != null));
        NodeFixture.Result late = fixture.kubectl("exec", "shell", "-c", "quick", "--", "true");
        assertThat(late.exitCode()).isNotZero();
        assertThat(late.err()).contains("is not running (it exited with code 0); cannot exec into it");
    }

    @Test
    void execWithATerminalGetsTheClientsTerminalSize() throws Exception {
        fixture.create(pod("terminal", "Never", shell("main", "sleep 3600")));
        awaitPhase("terminal", "Running");

        // kubectl sends its terminal's size on the resize stream; the command's own terminal takes it.
        NodeFixture.Result sized = fixture.kubectlInTerminal(33, 111, "exec", "-it", "terminal", "--", "sh", "-c",
                "sleep 1; stty size; [ -t 0 ] && echo on-a-terminal");
        assertThat(sized.exitCode()).as(sized.out() + sized.err()).isZero();
        assertThat(sized.out()).contains("33 111").contains("on-a-terminal");
    }

    /** A ready pod serving HTTP on a free port of the host; returns the port. */
    private int servedOnAFreePort(String name) {
        int port = io.capstan.cluster.Ports.free();
        fixture.create(pod(name, "Always", new ContainerBuilder().withName("web").withImage("python")
                .withCommand("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1")
                .withNewReadinessProbe().withNewTcpSocket().withNewPort(port).endTcpSocket().withPeriodSeconds(1)
                .endReadinessProbe()));
        // untilAsserted: containerStatus fails (and is retried) while the node has not written any status yet.
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> assertThat(containerStatus(name).getReady())
                .as("readiness of " + name).isTrue());
        return port;
    }

    @Test
    void kubectlPortForwardReachesThePod() throws Exception {
        int port = servedOnAFreePort("served");
        int local = io.capstan.cluster.Ports.free();

        Path kubectl = fixture.cluster.controlPlane().binaries().kubectl().orElseThrow();
        Process forward = new ProcessBuilder(kubectl.toString(), "--kubeconfig",
                fixture.cluster.controlPlane().kubeconfig().toString(), "-n", fixture.namespace.name(), "port-forward",
                "pod/served", local + ":" + port).redirectErrorStream(true).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(NodeFixture.waitLimit()).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        } finally {
            forward.destroy();
            forward.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * fabric8 (the Java client our users' controllers use) speaks WebSocket, not SPDY, and the API server passes its
     * upgrade through to the node unchanged: exec with stdin, stderr and the exit code, exec with a terminal and
     * its size, then port-forward.
     */
    @Test
    void fabric8ExecAndPortForwardReachThePodOverWebSockets() throws Exception {
        int port = servedOnAFreePort("websockets");
        var pod = fixture.client.pods().inNamespace(fixture.namespace.name()).withName("websockets");

        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try (var exec = pod.redirectingInput().writingOutput(out).writingError(err)
                .exec("sh", "-c", "head -n 1; echo oops >&2; exit 42")) {
            exec.getInput().write("hello over a websocket\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            exec.getInput().flush();
            assertThat(exec.exitCode().get(NodeFixture.waitLimit().toSeconds(), TimeUnit.SECONDS)).isEqualTo(42);
        }
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("hello over a websocket\n");
            assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("oops\n");
        });

        java.io.ByteArrayOutputStream terminal = new java.io.ByteArrayOutputStream();
        try (var exec = pod.redirectingInput().writingOutput(terminal).withTTY().exec("sh", "-c", "sleep 2; stty size")) {
            exec.resize(111, 33);
            assertThat(exec.exitCode().get(NodeFixture.waitLimit().toSeconds(), TimeUnit.SECONDS)).isZero();
        }
        await().atMost(NodeFixture.waitLimit()).untilAsserted(() ->
                assertThat(terminal.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("33 111"));

        try (var forward = pod.portForward(port)) {
            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Directory listing");
            assertThat(forward.errorOccurred()).as(String.valueOf(forward.getServerThrowables())).isFalse();
        }
    }

    @Test
    void attachFollowsTheMainProcessOutput() throws Exception {
        fixture.create(pod("ticker", "Never", shell("main", "sleep 2; for i in 1 2 3; do echo tick-$i; sleep 1; done")));
        awaitPhase("ticker", "Running");

        NodeFixture.Result attached = fixture.kubectl("attach", "ticker");

        assertThat(attached.out()).contains("tick-3");
    }

    @Test
    void activeDeadlineSecondsFailsThePod() {
        Pod pod = pod("deadline", "Always", shell("main", "sleep 3600"));
        pod.getSpec().setActiveDeadlineSeconds(2L);
        fixture.create(pod);

        awaitPhase("deadline", "Failed");
        assertThat(fixture.get("deadline").getStatus().getReason()).isEqualTo("DeadlineExceeded");
    }

    @Test
    void changingTheImageRestartsTheContainer() {
        fixture.create(pod("upgraded", "Always", shell("main", "sleep 3600")));
        awaitPhase("upgraded", "Running");

        fixture.client.pods().inNamespace(fixture.namespace.name()).withName("upgraded").edit(p -> new PodBuilder(p)
                .editSpec().editFirstContainer().withImage("debian:13").endContainer().endSpec().build());

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            assertThat(containerStatus("upgraded").getRestartCount()).isEqualTo(1);
            assertThat(containerStatus("upgraded").getImage()).isEqualTo("debian:13");
        });
    }

    @Test
    void containersGetTheirOwnPidNamespaceAndWorkingDirectory() throws Exception {
        assumeThat(provider.settings().bubblewrap()).isTrue();
        fixture.create(pod("isolated", "Never", shell("main", "echo pid=$$$$; pwd").withWorkingDir("/work/app")));

        awaitPhase("isolated", "Succeeded");
        assertThat(logs("isolated")).isEqualTo("pid=2\n/work/app\n");
    }

    @Test
    void statsReportCpuAndMemoryOfRunningContainers() throws Exception {
        fixture.create(pod("busy", "Always", new ContainerBuilder().withName("main").withImage("python")
                .withCommand("python3", "-c", "import time\nx = bytearray(50_000_000)\nwhile True: sum(range(10000))")));
        awaitPhase("busy", "Running");

        await().atMost(NodeFixture.waitLimit()).untilAsserted(() -> {
            var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    fixture.client.raw("/api/v1/nodes/" + node + "/proxy/stats/summary"));
            var container = summary.path("pods").get(0).path("containers").get(0);
            assertThat(container.path("cpu").path("usageCoreNanoSeconds").asLong()).isPositive();
            assertThat(container.path("memory").path("workingSetBytes").asLong()).isGreaterThan(40_000_000L);
        });
    }
}
