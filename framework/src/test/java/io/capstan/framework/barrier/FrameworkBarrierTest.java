package io.capstan.framework.barrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkStatus;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.model.StatusCompression;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The barrier's pass rule and outputs (FrameworkController's pkg/barrier/barrier.go), on hand-made statuses. */
class FrameworkBarrierTest {

    /** Roles as name=taskNumber; status tasks per role as IPs ("" for none, "-" for DeletionPending without IP). */
    private static Framework framework(Map<String, Integer> spec, Map<String, String[]> status) {
        Framework framework = new Framework();
        spec.forEach((name, tasks) -> {
            TaskRoleSpec role = new TaskRoleSpec();
            role.setName(name);
            role.setTaskNumber(tasks);
            framework.getSpec().getTaskRoles().add(role);
        });
        FrameworkStatus frameworkStatus = new FrameworkStatus();
        status.forEach((name, ips) -> {
            TaskRoleStatus role = new TaskRoleStatus();
            role.name = name;
            for (int i = 0; i < ips.length; i++) {
                TaskStatus task = new TaskStatus();
                task.index = i;
                task.deletionPending = ips[i].equals("-");
                task.attemptStatus.podIP = ips[i].equals("-") ? "" : ips[i];
                role.taskStatuses.add(task);
            }
            frameworkStatus.attemptStatus.taskRoleStatuses.add(role);
        });
        framework.setStatus(frameworkStatus);
        return framework;
    }

    @Test
    void passesWhenEveryTaskInTheSpecHasAnIp() throws Exception {
        Framework fw = framework(new java.util.LinkedHashMap<>(Map.of("server", 2)),
                Map.of("server", new String[] {"10.0.0.1", "10.0.0.2"}));

        assertThat(FrameworkBarrier.progress(fw)).isEqualTo(new FrameworkBarrier.Progress(2, 2));
        assertThat(FrameworkBarrier.progress(fw).passed()).isTrue();
    }

    @Test
    void aTaskWithoutAnIpHoldsTheBarrier() throws Exception {
        Framework fw = framework(Map.of("worker", 2), Map.of("worker", new String[] {"10.0.0.1", ""}));

        assertThat(FrameworkBarrier.progress(fw).passed()).isFalse();
    }

    @Test
    void tasksBeingScaledAwayAreIgnoredButTheirReplacementsAreAwaited() throws Exception {
        // Scaled from 3 to 2 while task 2 was DeletionPending: it no longer counts.
        Framework scaledDown = framework(Map.of("worker", 2), Map.of("worker", new String[] {"10.0.0.1", "10.0.0.2", "-"}));
        // Task 1 is DeletionPending inside the spec's range: it is not ready, and the spec still wants 2.
        Framework replaced = framework(Map.of("worker", 2), Map.of("worker", new String[] {"10.0.0.1", "-"}));

        assertThat(FrameworkBarrier.progress(scaledDown).passed()).isTrue();
        assertThat(FrameworkBarrier.progress(replaced)).isEqualTo(new FrameworkBarrier.Progress(1, 2));
    }

    @Test
    void aRoleMissingFromTheStatusIsNotReady() throws Exception {
        Framework fw = framework(new java.util.LinkedHashMap<>(Map.of("a", 1, "b", 1)), Map.of("a", new String[] {"10.0.0.1"}));

        assertThat(FrameworkBarrier.progress(fw)).isEqualTo(new FrameworkBarrier.Progress(1, 2));
    }

    @Test
    void compressedStatusesAreRead() throws Exception {
        String[] ips = new String[4000];
        java.util.Arrays.fill(ips, "10.0.0.9");
        Framework large = framework(Map.of("worker", 4000), Map.of("worker", ips));
        StatusCompression.compress(large.getStatus().attemptStatus);
        assertThat(large.getStatus().attemptStatus.taskRoleStatuses).isNull();

        assertThat(FrameworkBarrier.progress(large)).isEqualTo(new FrameworkBarrier.Progress(4000, 4000));
    }

    @Test
    void theInjectorExportsIpsAndAddressesPerRole() throws Exception {
        Framework fw = framework(new java.util.LinkedHashMap<>(Map.of("ps", 1)), Map.of("ps", new String[] {"10.0.0.1"}));
        TaskRoleSpec worker = new TaskRoleSpec();
        worker.setName("worker");
        worker.setTaskNumber(2);
        fw.getSpec().getTaskRoles().add(worker);
        TaskRoleStatus workers = new TaskRoleStatus();
        workers.name = "worker";
        for (String ip : new String[] {"10.0.0.2", "10.0.0.3"}) {
            TaskStatus task = new TaskStatus();
            task.attemptStatus.podIP = ip;
            workers.taskStatuses.add(task);
        }
        fw.getStatus().attemptStatus.taskRoleStatuses.add(workers);

        assertThat(FrameworkBarrier.injector(fw)).isEqualTo("""
                #!/bin/bash
                export FB_PS_IPS=10.0.0.1
                export FB_PS_ADDRESSES=10.0.0.1:${FB_PS_PORT}
                export FB_WORKER_IPS=10.0.0.2,10.0.0.3
                export FB_WORKER_ADDRESSES=10.0.0.2:${FB_WORKER_PORT},10.0.0.3:${FB_WORKER_PORT}
                """);
    }

    @Test
    void settingsComeFromTheEnvironmentWithThePeersLimits() {
        Path out = Path.of("/tmp/out");
        var settings = FrameworkBarrier.Settings.fromEnvironment(Map.of("FC_FRAMEWORK_NAMESPACE", "ns",
                "FC_FRAMEWORK_NAME", "fw"), out);
        assertThat(settings.interval().toSeconds()).isEqualTo(10);
        assertThat(settings.timeout().toSeconds()).isEqualTo(600);

        assertThatThrownBy(() -> FrameworkBarrier.Settings.fromEnvironment(Map.of("FC_FRAMEWORK_NAME", "fw"), out))
                .hasMessageContaining("FC_FRAMEWORK_NAMESPACE is not set");
        assertThatThrownBy(() -> FrameworkBarrier.Settings.fromEnvironment(Map.of("FC_FRAMEWORK_NAMESPACE", "ns",
                "FC_FRAMEWORK_NAME", "fw", "BARRIER_CHECK_INTERVAL_SEC", "4"), out))
                .hasMessage("BARRIER_CHECK_INTERVAL_SEC 4 should not be less than 5");
        assertThatThrownBy(() -> FrameworkBarrier.Settings.fromEnvironment(Map.of("FC_FRAMEWORK_NAMESPACE", "ns",
                "FC_FRAMEWORK_NAME", "fw", "BARRIER_CHECK_TIMEOUT_SEC", "1201"), out))
                .hasMessage("BARRIER_CHECK_TIMEOUT_SEC 1201 should be within [60, 1200]");
        assertThatThrownBy(() -> FrameworkBarrier.Settings.fromEnvironment(Map.of("FC_FRAMEWORK_NAMESPACE", "ns",
                "FC_FRAMEWORK_NAME", "fw", "BARRIER_CHECK_TIMEOUT_SEC", "ten"), out))
                .hasMessageContaining("must be a whole number of seconds");
    }
}
