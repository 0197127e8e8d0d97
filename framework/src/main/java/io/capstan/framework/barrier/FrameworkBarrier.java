package io.capstan.framework.barrier;

import io.capstan.framework.api.Framework;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.FrameworkSpec;
import io.capstan.framework.api.TaskRoleSpec;
import io.capstan.framework.api.TaskRoleStatus;
import io.capstan.framework.api.TaskStatus;
import io.capstan.framework.model.StatusCompression;
import io.capstan.runtime.client.ApiErrors;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FrameworkController's FrameworkBarrier: run as an init container, it waits until every task of the Framework has a
 * pod IP, then writes {@code framework.json} and {@code injector.sh} (exporting {@code FB_<ROLE>_IPS} and
 * {@code FB_<ROLE>_ADDRESSES}) so the main containers start together and find each other without DNS. Exit codes
 * follow the predefined contract: 0 passed, 201 timed out (transient conflict: the Framework backs off and retries),
 * 210 Framework not found or bad settings (permanent), 1 anything else (unknown).
 */
public final class FrameworkBarrier {

    public static final int PASSED = 0;
    public static final int TIMED_OUT = 201;
    public static final int PERMANENT = 210;
    public static final int UNKNOWN = 1;

    /** What to wait for, how, and where to write the results. */
    public record Settings(String namespace, String name, Duration interval, Duration timeout, Path outputDirectory) {

        /** From the barrier's environment variables, validated as the peer does. */
        public static Settings fromEnvironment(Map<String, String> env, Path outputDirectory) {
            String namespace = required(env, "FC_FRAMEWORK_NAMESPACE");
            String name = required(env, "FC_FRAMEWORK_NAME");
            long interval = seconds(env, "BARRIER_CHECK_INTERVAL_SEC", 10);
            long timeout = seconds(env, "BARRIER_CHECK_TIMEOUT_SEC", 600);
            if (interval < 5) {
                throw new IllegalArgumentException("BARRIER_CHECK_INTERVAL_SEC " + interval + " should not be less than 5");
            }
            if (timeout < 60 || timeout > 1200) {
                throw new IllegalArgumentException("BARRIER_CHECK_TIMEOUT_SEC " + timeout + " should be within [60, 1200]");
            }
            return new Settings(namespace, name, Duration.ofSeconds(interval), Duration.ofSeconds(timeout), outputDirectory);
        }

        private static String required(Map<String, String> env, String variable) {
            String value = env.get(variable);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(variable + " is not set (the Framework controller sets it in every "
                        + "container of a task's pod)");
            }
            return value;
        }

        private static long seconds(Map<String, String> env, String variable, long defaultValue) {
            String value = env.get(variable);
            if (value == null || value.isBlank()) {
                return defaultValue;
            }
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(variable + " must be a whole number of seconds, got '" + value + "'");
            }
        }
    }

    /** Waits between checks; a test can advance a clock instead. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final Clock clock;
    private final Sleeper sleeper;
    private final PrintStream out;

    public FrameworkBarrier(KubernetesClient client, Settings settings, Clock clock, Sleeper sleeper, PrintStream out) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
        this.out = out;
    }

    /** Polls until the barrier passes or times out; returns the exit code. */
    public int run() throws InterruptedException {
        Instant deadline = clock.instant().plus(settings.timeout());
        say("waiting for every task of Framework " + settings.namespace() + "/" + settings.name() + " to have a pod IP "
                + "(checking every " + settings.interval().toSeconds() + "s for up to " + settings.timeout().toSeconds() + "s)");
        String lastError = null;
        while (true) {
            try {
                Framework framework = client.resources(Framework.class).inNamespace(settings.namespace())
                        .withName(settings.name()).get();
                if (framework == null) {
                    say("Framework " + settings.namespace() + "/" + settings.name() + " does not exist");
                    return PERMANENT;
                }
                lastError = null;
                Progress progress = progress(framework);
                if (progress.passed()) {
                    write(framework);
                    say("passed: " + progress.ready() + " of " + progress.total() + " tasks have a pod IP; wrote "
                            + settings.outputDirectory().resolve("framework.json") + " and injector.sh");
                    return PASSED;
                }
                say(progress.ready() + " of " + progress.total() + " tasks have a pod IP");
            } catch (KubernetesClientException e) {
                lastError = ApiErrors.describe(e);
                say("cannot get the Framework (retrying): " + ApiErrors.describe(e));
            } catch (IOException e) {
                say("cannot write the results: " + ApiErrors.describe(e));
                return UNKNOWN;
            }
            if (!clock.instant().plus(settings.interval()).isBefore(deadline.plusMillis(1))) {
                say("timed out after " + settings.timeout().toSeconds() + "s"
                        + (lastError == null ? "" : "; the last check failed: " + lastError));
                return lastError == null ? TIMED_OUT : UNKNOWN;
            }
            sleeper.sleep(settings.interval());
        }
    }

    /** How many tasks are ready, of how many the spec asks for. */
    record Progress(int ready, int total) {
        boolean passed() {
            return ready >= total;
        }
    }

    /**
     * Ready tasks: for every role in the spec, tasks below both its status count and its taskNumber that are not
     * DeletionPending and have a pod IP.
     */
    static Progress progress(Framework framework) throws IOException {
        FrameworkSpec spec = framework.getSpec();
        int total = spec.totalTaskNumber();
        if (framework.getStatus() == null) {
            return new Progress(0, Math.max(total, 1));
        }
        FrameworkAttemptStatus attempt = framework.getStatus().attemptStatus;
        StatusCompression.decompress(attempt);
        int ready = 0;
        for (TaskRoleSpec role : spec.effectiveRoles()) {
            TaskRoleStatus status = attempt.role(role.getName());
            if (status == null) {
                continue;
            }
            for (TaskStatus task : consideredTasks(role, status)) {
                if (task.attemptStatus.podIP != null && !task.attemptStatus.podIP.isEmpty()) {
                    ready++;
                }
            }
        }
        return new Progress(ready, total);
    }

    private static List<TaskStatus> consideredTasks(TaskRoleSpec role, TaskRoleStatus status) {
        List<TaskStatus> tasks = new ArrayList<>();
        int count = Math.min(status.taskStatuses.size(), role.getTaskNumber());
        for (int i = 0; i < count; i++) {
            if (!status.taskStatuses.get(i).deletionPending) {
                tasks.add(status.taskStatuses.get(i));
            }
        }
        return tasks;
    }

    /** {@code injector.sh}: per role, {@code FB_<ROLE>_IPS} and {@code FB_<ROLE>_ADDRESSES} (with its port variable). */
    static String injector(Framework framework) {
        StringBuilder script = new StringBuilder("#!/bin/bash\n");
        for (TaskRoleSpec role : framework.getSpec().effectiveRoles()) {
            TaskRoleStatus status = framework.getStatus().attemptStatus.role(role.getName());
            List<String> ips = new ArrayList<>();
            if (status != null) {
                for (TaskStatus task : consideredTasks(role, status)) {
                    ips.add(task.attemptStatus.podIP);
                }
            }
            String prefix = "FB_" + role.getName().toUpperCase(Locale.ROOT);
            List<String> addresses = ips.stream().map(ip -> ip + ":${" + prefix + "_PORT}").toList();
            script.append("export ").append(prefix).append("_IPS=").append(String.join(",", ips)).append('\n');
            script.append("export ").append(prefix).append("_ADDRESSES=").append(String.join(",", addresses)).append('\n');
        }
        return script.toString();
    }

    private void write(Framework framework) throws IOException {
        Files.createDirectories(settings.outputDirectory());
        Files.writeString(settings.outputDirectory().resolve("framework.json"),
                client.getKubernetesSerialization().asJson(framework), StandardCharsets.UTF_8);
        Path injector = settings.outputDirectory().resolve("injector.sh");
        Files.writeString(injector, injector(framework), StandardCharsets.UTF_8);
        injector.toFile().setExecutable(true);
    }

    private void say(String message) {
        out.println("frameworkbarrier: " + message);
        out.flush();
    }
}
