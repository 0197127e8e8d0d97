package io.capstan.framework;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.api.TaskState;
import io.capstan.framework.barrier.FrameworkBarrier;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FrameworkBarrier against real Frameworks (FrameworkController's pkg/barrier/barrier.go); waiting is simulated with a clock. */
@EmbeddedCluster
class BarrierIT {

    private FrameworkFixture fixture;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private Instant now = Instant.parse("2026-11-23T10:00:00Z");
    private int sleeps;

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace).start();
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private int barrier(String framework, Path dir) throws InterruptedException {
        var settings = new FrameworkBarrier.Settings(fixture.namespace, framework, Duration.ofSeconds(10),
                Duration.ofSeconds(60), dir);
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return now;
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        return new FrameworkBarrier(fixture.client, settings, clock, d -> {
            sleeps++;
            now = now.plus(d);
        }, new PrintStream(output, true, StandardCharsets.UTF_8)).run();
    }

    private static String framework(String name, String serverNode) {
        return """
                metadata: {name: %s}
                spec:
                  taskRoles:
                  - name: server
                    taskNumber: 2
                    task: {pod: {spec: {nodeName: "%s", restartPolicy: Never}}}
                  - name: worker
                    taskNumber: 1
                    task: {pod: {spec: {restartPolicy: Never}}}
                """.formatted(name, serverNode);
    }

    @Test
    void passesOnceEveryTaskHasAnIpAndWritesTheResults(@TempDir Path dir) throws Exception {
        fixture.create(framework("gang", fixture.node));
        fixture.await("gang", "all running", f -> f.getStatus().attemptStatus.taskRoleStatuses.stream()
                .allMatch(r -> r.taskStatuses.stream().allMatch(t -> t.state == TaskState.AttemptRunning)));

        int exit = barrier("gang", dir);

        assertThat(exit).as(output.toString()).isZero();
        var framework = fixture.get("gang");
        String server0 = FrameworkFixture.task(framework, "server", 0).attemptStatus.podIP;
        String server1 = FrameworkFixture.task(framework, "server", 1).attemptStatus.podIP;
        String worker0 = FrameworkFixture.task(framework, "worker", 0).attemptStatus.podIP;
        assertThat(Files.readString(dir.resolve("injector.sh"))).contains(
                "export FB_SERVER_IPS=" + server0 + "," + server1 + "\n",
                "export FB_SERVER_ADDRESSES=" + server0 + ":${FB_SERVER_PORT}," + server1 + ":${FB_SERVER_PORT}\n",
                "export FB_WORKER_IPS=" + worker0 + "\n");
        assertThat(Files.isExecutable(dir.resolve("injector.sh"))).isTrue();
        assertThat(Files.readString(dir.resolve("framework.json"))).contains("\"kind\":\"Framework\"", "\"name\":\"gang\"");
        assertThat(output.toString()).contains("frameworkbarrier: passed: 3 of 3 tasks have a pod IP");
    }

    @Test
    void timesOutWith201WhileATaskHasNoIp(@TempDir Path dir) throws Exception {
        // The servers stay unscheduled: no IP.
        fixture.create(framework("stuck", ""));
        fixture.await("stuck", "worker running", f -> FrameworkFixture.task(f, "worker", 0).state == TaskState.AttemptRunning);

        int exit = barrier("stuck", dir);

        assertThat(exit).isEqualTo(FrameworkBarrier.TIMED_OUT);
        assertThat(sleeps).as("checks at 0, 10, ..., 60 s").isEqualTo(6);
        assertThat(output.toString()).contains("1 of 3 tasks have a pod IP", "timed out after 60s");
        assertThat(dir.resolve("injector.sh")).doesNotExist();
        assertThat(fixture.get("stuck").getStatus().state).isNotEqualTo(FrameworkState.Completed);
    }

    @Test
    void aMissingFrameworkIsPermanent(@TempDir Path dir) throws Exception {
        assertThat(barrier("absent", dir)).isEqualTo(FrameworkBarrier.PERMANENT);
        assertThat(output.toString()).contains("does not exist");
        assertThat(sleeps).isZero();
    }
}
