package io.capstan.framework;

import static io.capstan.framework.FrameworkFixture.task;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.FrameworkState;
import io.capstan.framework.controller.FrameworkConfig;
import io.capstan.framework.model.StatusCompression;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.Event;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a Framework tells its operators: LogObjectSnapshot history lines (FrameworkController's config.go and user manual), Events for
 * every state change, metrics, and large-Framework compression (row 40).
 */
@EmbeddedCluster
class ObservabilityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private FrameworkFixture fixture;
    private final ListAppender<ILoggingEvent> snapshots = new ListAppender<>();
    private final Logger snapshotLogger = (Logger) LoggerFactory.getLogger("io.capstan.framework.snapshot");

    @BeforeEach
    void setUp(TestCluster cluster, TestNamespace namespace) throws Exception {
        fixture = new FrameworkFixture(cluster, namespace);
        snapshots.start();
        snapshotLogger.addAppender(snapshots);
    }

    @AfterEach
    void tearDown() {
        snapshotLogger.detachAppender(snapshots);
        fixture.close();
    }

    private static String batch(String name, String retry, String exitCode) {
        return """
                metadata: {name: %s}
                spec:
                  retryPolicy: %s
                  taskRoles:
                  - name: worker
                    taskNumber: 1
                    frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceededTaskCount: -1}
                    task:
                      retryPolicy: %s
                      pod:
                        metadata: {annotations: {mock.capstan.io/run-seconds: "0.1", mock.capstan.io/exit-code: "%s"}}
                        spec: {restartPolicy: Never}
                """.formatted(name, retry, retry, exitCode);
    }

    /** The JSON of every snapshot line with this trigger, checking the line's format on the way. */
    private List<JsonNode> snapshotsOf(String trigger) {
        String marker = ": " + trigger + ": ObjectSnapshot: ";
        List<ILoggingEvent> logged;
        synchronized (snapshots) { // the controller may still be logging: ListAppender appends under this lock
            logged = List.copyOf(snapshots.list);
        }
        return logged.stream().map(ILoggingEvent::getFormattedMessage).filter(line -> line.contains(marker))
                .map(line -> {
                    assertThat(line).doesNotContain("\n");
                    try {
                        return JSON.readTree(line.substring(line.indexOf(marker) + marker.length()));
                    } catch (java.io.IOException e) {
                        throw new AssertionError("not JSON after the marker: " + line, e);
                    }
                }).toList();
    }

    @Test
    void historyIsLoggedAsObjectSnapshots() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.frameworkCompletedRetainSec = 1L;
        fixture.start(config);
        // Unknown failures: one task retry, then one framework retry, then done; retention deletes it.
        fixture.create(batch("history", "{fancyRetryPolicy: true, maxRetryCount: 1}", "1"));
        fixture.awaitGone("history");

        List<JsonNode> taskRetries = snapshotsOf("OnTaskRetry");
        assertThat(taskRetries).hasSizeGreaterThanOrEqualTo(2).allSatisfy(task -> {
            assertThat(task.path("kind").asText()).isEqualTo("Task");
            assertThat(task.path("apiVersion").asText()).isEqualTo("frameworkcontroller.microsoft.com/v1");
            assertThat(task.at("/metadata/name").asText()).isEqualTo("history-worker-0");
            assertThat(task.at("/metadata/annotations/FC_TASKROLE_NAME").asText()).isEqualTo("worker");
            assertThat(task.at("/metadata/labels/FC_TASK_INDEX").asText()).isEqualTo("0");
            assertThat(task.at("/status/attemptStatus/completionStatus/code").asInt()).isEqualTo(1);
            assertThat(task.at("/spec/retryPolicy/maxRetryCount").asInt()).isEqualTo(1);
        });
        assertThat(snapshotsOf("OnFrameworkRetry")).singleElement().satisfies(framework -> {
            assertThat(framework.path("kind").asText()).isEqualTo("Framework");
            assertThat(framework.at("/status/attemptStatus/id").asInt()).isZero();
            assertThat(framework.at("/status/attemptStatus/completionStatus/code").asInt()).isEqualTo(1);
        });
        assertThat(snapshotsOf("OnPodDeletion")).hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(pod -> assertThat(pod.path("kind").asText()).isEqualTo("Pod"));
        Awaitility.await().atMost(FrameworkFixture.waitLimit())
                .until(() -> !snapshotsOf("OnFrameworkDeletion").isEmpty());
        assertThat(snapshotsOf("OnFrameworkDeletion").getLast().at("/status/state").asText()).isEqualTo("Completed");
    }

    @Test
    void snapshotsCanBeTurnedOff() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.logObjectSnapshot.task.onTaskRetry = false;
        config.logObjectSnapshot.pod.onPodDeletion = false;
        fixture.start(config);
        fixture.create(batch("quiet", "{fancyRetryPolicy: false, maxRetryCount: 2}", "1"));

        fixture.awaitState("quiet", FrameworkState.Completed);

        assertThat(snapshotsOf("OnTaskRetry")).isEmpty();
        assertThat(snapshotsOf("OnPodDeletion")).isEmpty();
        assertThat(snapshotsOf("OnFrameworkRetry")).hasSize(2);
    }

    @Test
    void everyStateChangeIsAnEventAndShowsInTheMetrics() throws Exception {
        fixture.start();
        fixture.create(batch("observed", "{fancyRetryPolicy: false, maxRetryCount: 0}", "0"));
        fixture.awaitState("observed", FrameworkState.Completed);

        // One Event per sync round names every change of that round; together they tell the whole story.
        Awaitility.await().atMost(FrameworkFixture.waitLimit()).untilAsserted(() -> {
            String story = fixture.events("observed").stream().map(Event::getMessage)
                    .collect(java.util.stream.Collectors.joining("\n"));
            for (String state : List.of("AttemptCreationRequested", "AttemptPreparing", "AttemptRunning",
                    "AttemptDeletionPending", "AttemptDeletionRequested", "AttemptCompleted",
                    "Completed")) {
                assertThat(story).as("Framework state %s", state).containsPattern("(Framework |, then )" + state + " \\(");
            }
            for (String state : List.of("AttemptCreationRequested", "AttemptPreparing", "AttemptRunning",
                    "AttemptDeletionPending", "AttemptDeletionRequested", "AttemptCompleted", "Completed")) {
                assertThat(story).as("Task state %s", state).contains("Task " + state + ": worker-0");
            }
            assertThat(story).as("how the task ended is explained").contains("Task Completed: worker-0 (");
            assertThat(story).contains("Framework accepted: attempt 0 of 1 tasks");
            assertThat(fixture.eventReasons("observed")).contains("FrameworkAttemptCreationPending", "FrameworkCompleted");
        });
        assertThat(fixture.events("observed")).allSatisfy(event -> {
            assertThat(event.getInvolvedObject().getKind()).isEqualTo("Framework");
            assertThat(event.getType()).isEqualTo("Normal");
        });

        String metrics = fixture.manager().metrics().scrape();
        assertThat(metrics).containsPattern("capstan_frameworks\\{[^}]*state=\"Completed\"[^}]*} 1\\.0")
                .containsPattern("capstan_framework_task_transitions_total\\{[^}]*state=\"TaskCompleted\"|"
                        + "capstan_framework_task_transitions_total\\{[^}]*state=\"Completed\"")
                .contains("capstan_framework_status_writes_total")
                .containsPattern("controller_runtime_reconcile_time_seconds_count\\{controller=\"framework\"");
    }

    @Test
    void retriesAreCountedByCompletionCode() throws Exception {
        fixture.start();
        fixture.create(batch("counted", "{fancyRetryPolicy: false, maxRetryCount: 2}", "7"));
        fixture.awaitState("counted", FrameworkState.Completed);

        assertThat(fixture.manager().metrics().scrape())
                .containsPattern("capstan_framework_retries_total\\{code=\"7\",level=\"framework\"[^}]*} 2\\.0");
    }

    @Test
    void largeFrameworksAreStoredCompressed() throws Exception {
        FrameworkConfig config = FrameworkFixture.testConfig();
        config.largeFrameworkCompression = true;
        fixture.start(config);
        fixture.create("""
                metadata: {name: large}
                spec:
                  executionType: Create
                  taskRoles:
                  - name: worker
                    taskNumber: 1500
                    task: {pod: {spec: {restartPolicy: Never}}}
                """);

        Framework stored = fixture.await("large", "status written", f -> true);

        FrameworkAttemptStatus attempt = stored.getStatus().attemptStatus;
        assertThat(attempt.taskRoleStatuses).isNull();
        assertThat(attempt.taskRoleStatusesCompressed).isNotEmpty();
        StatusCompression.decompress(attempt);
        assertThat(attempt.role("worker").taskStatuses).hasSize(1500);
        assertThat(attempt.role("worker").taskStatuses.getLast().attemptStatus.podName).isEqualTo("large-worker-1499");

        // The controller reads its compressed status back: a ScaleDown marks the tail (pods cannot exist before the
        // Start), and once started the marked tasks are dropped.
        fixture.jsonPatch("large", "[{\"op\": \"replace\", \"path\": \"/spec/taskRoles/0/taskNumber\", \"value\": 10}]");
        Framework marked = fixture.await("large", "tail marked", f -> {
            FrameworkAttemptStatus copy = f.getStatus().attemptStatus;
            try {
                StatusCompression.decompress(copy);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return copy.role("worker").taskStatuses.get(10).deletionPending;
        });
        assertThat(marked.getStatus().attemptStatus.role("worker").taskStatuses.get(9).deletionPending).isFalse();
        fixture.executionType("large", "Start");
        Framework scaled = fixture.await("large", "10 tasks running", f -> f.getStatus().attemptStatus.taskRoleStatuses != null
                && f.getStatus().attemptStatus.role("worker").taskStatuses.size() == 10
                && f.getStatus().state == FrameworkState.AttemptRunning);
        assertThat(task(scaled, "worker", 9).attemptStatus.podName).isEqualTo("large-worker-9");
        assertThat(scaled.getStatus().attemptStatus.taskRoleStatusesCompressed).isNull();
    }
}
