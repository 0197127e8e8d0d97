package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.framework.api.TaskAttemptCompletionStatus;
import io.capstan.framework.controller.FrameworkConfig;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CompletionCodes and pod-failure classification as FrameworkController's pkg/apis/frameworkcontroller/v1/completion.go
 * does them, with the default pod-failure table of its config.go.
 */
class PodFailureClassifierTest {

    private final PodFailureClassifier classifier = new PodFailureClassifier(FrameworkConfig.defaults().podFailureSpec);

    private static ContainerStatus terminated(String name, int code, String reason, String message, String finishedAt) {
        return new ContainerStatusBuilder().withName(name).withNewState().withNewTerminated().withExitCode(code)
                .withReason(reason).withMessage(message).withFinishedAt(finishedAt).endTerminated().endState().build();
    }

    private static Pod failedPod(String reason, List<ContainerStatus> init, List<ContainerStatus> containers) {
        return new PodBuilder().withNewMetadata().withName("fw-worker-0").endMetadata().withNewStatus().withPhase("Failed")
                .withReason(reason).withInitContainerStatuses(init).withContainerStatuses(containers).endStatus().build();
    }

    private TaskAttemptCompletionStatus exit(int code, String reason) {
        return classifier.failed(failedPod(null, List.of(),
                List.of(terminated("main", code, reason, null, "2026-11-23T10:00:00Z"))));
    }

    @ParameterizedTest(name = "exit {0} ({1}) -> {2} {3} {4}")
    @CsvSource(nullValues = "-", value = {
        "200, Error,             200,   ContainerTransientFailed,          Transient",
        "201, Error,             201,   ContainerTransientConflictFailed,  Transient;Conflict",
        "210, Error,             210,   ContainerPermanentFailed,          Permanent",
        "137, OOMKilled,         -1200, ContainerDockerOOMKilled,          Permanent",
        "137, Error,             137,   ContainerSigKillReceived,          Transient",
        "125, ContainerCannotRun, -1201, ContainerDockerCreationError,     -",
        "127, ContainerCannotRun, -1203, ContainerDockerStartCmdNotFound,  Permanent",
        "130, Error,             130,   ContainerSigIntReceived,           Transient",
        "139, Error,             139,   ContainerSigSegvReceived,          Permanent",
        "143, Error,             143,   ContainerSigTermReceived,          Transient",
        "1,   Error,             1,     ContainerUnrecognizedFailed,       -",
    })
    void containerExitCodesFollowTheDefaultTable(int exit, String reason, int code, String phrase, String attributes) {
        TaskAttemptCompletionStatus status = exit(exit, reason);

        assertThat(status.code).isEqualTo(code);
        assertThat(status.phrase).isEqualTo(phrase);
        assertThat(status.type.name).isEqualTo("Failed");
        assertThat(status.type.attributes).containsExactlyElementsOf(
                attributes == null ? List.of() : List.of(attributes.split(";")));
    }

    @Test
    void anEvictedPodIsTransient() {
        TaskAttemptCompletionStatus status = classifier.failed(failedPod("Evicted", List.of(), List.of()));

        assertThat(status.code).isEqualTo(-1000);
        assertThat(status.phrase).isEqualTo("PodEvicted");
        assertThat(status.type.attributes).containsExactly("Transient");
        assertThat(status.diagnostics).isEqualTo("Pod failed: PodPattern matched: {\"reason\":\"Evicted\"}");
    }

    @Test
    void matchedDiagnosticsShowOnlyTheFieldsThePatternSpecified() {
        TaskAttemptCompletionStatus status = exit(137, "OOMKilled");

        assertThat(status.diagnostics).isEqualTo(
                "Pod failed: PodPattern matched: {\"containers\":[{\"name\":\"main\",\"reason\":\"OOMKilled\",\"code\":137}]}");
        assertThat(status.pod.containers).singleElement().satisfies(c -> {
            assertThat(c.name).isEqualTo("main");
            assertThat(c.code).isEqualTo(137);
            assertThat(c.reason).isEqualTo("OOMKilled");
        });
    }

    @Test
    void anUnmatchedFailureTakesTheCodeOfTheLastContainerToFail() {
        Pod pod = failedPod(null, List.of(terminated("init", 0, "Completed", null, "2026-11-23T09:00:00Z")), List.of(
                terminated("late", 3, "Error", "late failure", "2026-11-23T10:00:09Z"),
                terminated("early", 4, "Error", null, "2026-11-23T10:00:01Z"),
                terminated("fine", 0, "Completed", null, "2026-11-23T10:00:10Z")));

        TaskAttemptCompletionStatus status = classifier.failed(pod);

        assertThat(status.code).isEqualTo(3);
        assertThat(status.phrase).isEqualTo("ContainerUnrecognizedFailed");
        assertThat(status.type.attributes).isEmpty();
        assertThat(status.diagnostics).startsWith("Pod failed: PodPattern unmatched: {")
                .contains("\"name\":\"late\"", "\"message\":\"late failure\"");
        assertThat(status.pod.containers).extracting(c -> c.name).containsExactly("init", "late", "early", "fine");
    }

    @Test
    void aFailedPodWithoutAFailedContainerIsMinus300() {
        TaskAttemptCompletionStatus status = classifier.failed(failedPod(null, List.of(), List.of()));

        assertThat(status.code).isEqualTo(-300);
        assertThat(status.phrase).isEqualTo("PodFailedWithoutFailedContainer");
        assertThat(status.diagnostics).startsWith("Pod failed: PodPattern unmatched:");
    }

    @Test
    void thePredefinedExitCodesComeBeforeTheConfiguredTable() {
        // An init container exiting 200 and an app container OOMKilled: 200 is checked first.
        Pod pod = failedPod(null, List.of(terminated("init", 200, "Error", null, "2026-11-23T09:00:00Z")),
                List.of(terminated("main", 137, "OOMKilled", null, "2026-11-23T10:00:00Z")));

        assertThat(classifier.failed(pod).code).isEqualTo(200);
    }

    @Test
    void aPatternMatchesOnlyWhenEveryContainerPatternFindsAContainer() {
        PodFailureSpec spec = new PodFailureSpec();
        spec.code = 300;
        spec.phrase = "TwoContainers";
        PodFailureSpec.PodPattern pattern = new PodFailureSpec.PodPattern();
        PodFailureSpec.ContainerPattern first = new PodFailureSpec.ContainerPattern();
        first.nameRegex = "^a$";
        first.codeRange = new PodFailureSpec.Range(1, null);
        PodFailureSpec.ContainerPattern second = new PodFailureSpec.ContainerPattern();
        second.messageRegex = "(?i)cuda";
        pattern.containers.addAll(List.of(first, second));
        spec.podPatterns.add(pattern);
        PodFailureClassifier custom = new PodFailureClassifier(List.of(spec));

        Pod both = failedPod(null, List.of(), List.of(terminated("a", 2, "Error", null, "2026-11-23T10:00:00Z"),
                terminated("b", 0, "Completed", "CUDA error", "2026-11-23T10:00:00Z")));
        Pod onlyFirst = failedPod(null, List.of(), List.of(terminated("a", 2, "Error", null, "2026-11-23T10:00:00Z")));

        assertThat(custom.failed(both).code).isEqualTo(300);
        assertThat(custom.failed(both).type.name).isEqualTo("Failed");
        assertThat(custom.failed(onlyFirst).code).isEqualTo(2);
    }

    @Test
    void aRunningContainerNeverMatchesATerminatedStatePattern() {
        ContainerStatus running = new ContainerStatusBuilder().withName("main").withNewState().withNewRunning()
                .endRunning().endState().build();
        Pod pod = failedPod("Evicted", List.of(), List.of(running));

        TaskAttemptCompletionStatus status = classifier.failed(pod);

        assertThat(status.code).isEqualTo(-1000);
        assertThat(status.pod.containers).isEmpty();
    }

    @Test
    void success() {
        Pod pod = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Succeeded")
                .withContainerStatuses(terminated("ubuntu", 0, "Completed", null, "2026-11-23T10:00:00Z")).endStatus().build();

        TaskAttemptCompletionStatus status = classifier.succeeded(pod);

        assertThat(status.code).isZero();
        assertThat(status.phrase).isEqualTo("Succeeded");
        assertThat(status.diagnostics).isEqualTo("Pod succeeded");
        assertThat(status.pod.containers.getFirst().name).isEqualTo("ubuntu");
        assertThat(status.pod.containers.getFirst().code).isZero();
    }
}
