package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StatusCompressionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FrameworkAttemptStatus attemptWith(int tasks) {
        FrameworkAttemptStatus attempt = new FrameworkAttemptStatus();
        TaskRoleStatus role = new TaskRoleStatus();
        role.name = "worker";
        role.instanceUID = UUID.randomUUID().toString();
        for (int i = 0; i < tasks; i++) {
            TaskStatus task = new TaskStatus();
            task.index = i;
            task.instanceUID = UUID.randomUUID().toString();
            task.attemptStatus.podName = "big-worker-" + i;
            task.attemptStatus.podUID = UUID.randomUUID().toString();
            role.taskStatuses.add(task);
        }
        attempt.taskRoleStatuses.add(role);
        return attempt;
    }

    @Test
    void smallStatusesStayReadable() throws Exception {
        FrameworkAttemptStatus attempt = attemptWith(10);

        StatusCompression.compress(attempt);

        assertThat(attempt.taskRoleStatuses).hasSize(1);
        assertThat(attempt.taskRoleStatusesCompressed).isNull();
    }

    @Test
    void largeStatusesAreGzippedAndRestoredExactly() throws Exception {
        FrameworkAttemptStatus attempt = attemptWith(3000);
        String before = JSON.writeValueAsString(attempt.taskRoleStatuses);
        assertThat(before.length()).isGreaterThan(StatusCompression.THRESHOLD_BYTES);

        StatusCompression.compress(attempt);

        assertThat(attempt.taskRoleStatuses).isNull();
        assertThat(attempt.taskRoleStatusesCompressed).isNotEmpty().hasSizeLessThan(before.length() / 2);
        // The stored JSON carries taskRoleStatuses: null, as the peer's does.
        assertThat(JSON.writeValueAsString(attempt)).contains("\"taskRoleStatuses\":null");

        StatusCompression.decompress(attempt);

        assertThat(JSON.writeValueAsString(attempt.taskRoleStatuses)).isEqualTo(before);
        assertThat(attempt.taskRoleStatusesCompressed).isNull();
    }
}
