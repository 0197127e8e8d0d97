package io.capstan.framework.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status serialises with the peer's field names and nulls, and reads back unchanged. */
class StatusJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FrameworkStatus completedStatus() {
        FrameworkStatus status = new FrameworkStatus();
        status.state = FrameworkState.Completed;
        status.startTime = "2026-11-23T10:00:00Z";
        status.attemptStatus.configMapName = "fw-attempt";
        FrameworkAttemptCompletionStatus completion = CompletionCodes.status(new FrameworkAttemptCompletionStatus(),
                CompletionCodes.SUCCEEDED, "all done");
        completion.trigger = new FrameworkAttemptCompletionStatus.Trigger("why", "worker", 1);
        status.attemptStatus.completionStatus = completion;
        TaskRoleStatus role = new TaskRoleStatus();
        role.name = "worker";
        TaskStatus task = new TaskStatus();
        task.state = TaskState.Completed;
        TaskAttemptCompletionStatus taskCompletion = CompletionCodes.status(new TaskAttemptCompletionStatus(),
                CompletionCodes.CONTAINER_TRANSIENT_FAILED, "Pod failed");
        taskCompletion.pod = new TaskAttemptCompletionStatus.PodCompletionStatus();
        TaskAttemptCompletionStatus.ContainerCompletionStatus container = new TaskAttemptCompletionStatus.ContainerCompletionStatus();
        container.name = "main";
        container.code = 200;
        taskCompletion.pod.containers.add(container);
        task.attemptStatus.completionStatus = taskCompletion;
        role.taskStatuses.add(task);
        status.attemptStatus.taskRoleStatuses.add(role);
        return status;
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void fieldNamesAndNullsMatchThePeer() {
        JsonNode json = JSON.valueToTree(completedStatus());

        assertThat(names(json)).containsExactly("startTime", "runTime", "completionTime", "state", "transitionTime",
                "retryPolicyStatus", "attemptStatus");
        assertThat(json.get("runTime").isNull()).isTrue();
        assertThat(names(json.get("retryPolicyStatus"))).containsExactly("totalRetriedCount", "accountableRetriedCount",
                "retryDelaySec");
        JsonNode attempt = json.get("attemptStatus");
        assertThat(names(attempt)).containsExactly("id", "startTime", "runTime", "completionTime", "instanceUID",
                "configMapName", "configMapUID", "completionStatus", "taskRoleStatuses");
        assertThat(names(attempt.get("completionStatus"))).containsExactly("code", "phrase", "type", "diagnostics", "trigger");
        assertThat(names(attempt.get("completionStatus").get("type"))).containsExactly("name", "attributes");
        assertThat(names(attempt.at("/completionStatus/trigger"))).containsExactly("message", "taskRoleName", "taskIndex");
        JsonNode role = attempt.get("taskRoleStatuses").get(0);
        assertThat(names(role)).containsExactly("name", "instanceUID", "podGracefulDeletionTimeoutSec", "taskStatuses");
        JsonNode task = role.get("taskStatuses").get(0);
        assertThat(names(task)).containsExactly("index", "instanceUID", "startTime", "runTime", "completionTime", "state",
                "transitionTime", "deletionPending", "retryPolicyStatus", "attemptStatus");
        assertThat(names(task.get("attemptStatus"))).containsExactly("id", "startTime", "runTime", "completionTime",
                "instanceUID", "podName", "podUID", "podNodeName", "podIP", "podHostIP", "completionStatus");
        assertThat(names(task.at("/attemptStatus/completionStatus"))).containsExactly("code", "phrase", "type",
                "diagnostics", "pod");
        assertThat(names(task.at("/attemptStatus/completionStatus/pod/containers/0"))).containsExactly("name", "code");
    }

    @Test
    void roundTripsUnchanged() throws Exception {
        String json = JSON.writeValueAsString(completedStatus());

        assertThat(JSON.writeValueAsString(JSON.readValue(json, FrameworkStatus.class))).isEqualTo(json);
    }

    @Test
    void fieldsFromANewerVersionAreTolerated() throws Exception {
        JsonNode json = JSON.valueToTree(completedStatus());
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).put("futureField", 1);
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.at("/attemptStatus/completionStatus/type")).put("future", 2);

        FrameworkStatus read = JSON.treeToValue(json, FrameworkStatus.class);

        assertThat(read.attemptStatus.completionStatus.type.isSucceeded()).isTrue();
    }
}
