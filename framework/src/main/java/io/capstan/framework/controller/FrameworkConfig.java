package io.capstan.framework.controller;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.CompletionCodes;
import io.capstan.framework.api.CompletionType;
import io.capstan.framework.model.PodFailureSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * FrameworkController's configuration file ({@code frameworkcontroller.yaml}), with its keys, defaults and
 * validation. Without a file, the defaults apply together with the peer's shipped pod-failure table (the file it
 * copies next to its binary). One deliberate difference: {@code kubeClientQps}/{@code kubeClientBurst} limit the
 * client only when set, since Capstan, like controller-runtime, runs uncapped by default.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class FrameworkConfig {

    public String kubeApiServerAddress;
    public String kubeConfigFilePath;
    public Double kubeClientQps;
    public Integer kubeClientBurst;
    public Integer workerNumber = 200;
    public Boolean largeFrameworkCompression = false;
    public Integer crdEstablishedCheckIntervalSec = 1;
    public Integer crdEstablishedCheckTimeoutSec = 60;
    public Integer objectLocalCacheCreationTimeoutSec = 300;
    public Long frameworkCompletedRetainSec = 2_592_000L;
    public Long frameworkMinRetryDelaySecForTransientConflictFailed = 60L;
    public Long frameworkMaxRetryDelaySecForTransientConflictFailed = 900L;
    public LogObjectSnapshot logObjectSnapshot = new LogObjectSnapshot();
    public List<PodFailureSpec> podFailureSpec = new ArrayList<>();

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class LogObjectSnapshot {
        public FrameworkSnapshots framework = new FrameworkSnapshots();
        public TaskSnapshots task = new TaskSnapshots();
        public PodSnapshots pod = new PodSnapshots();
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class FrameworkSnapshots {
        public Boolean onFrameworkRetry = true;
        public Boolean onFrameworkDeletion = true;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class TaskSnapshots {
        public Boolean onTaskRetry = true;
        public Boolean onTaskDeletion = true;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class PodSnapshots {
        public Boolean onPodDeletion = true;
    }

    /** The defaults plus the shipped pod-failure table. */
    public static FrameworkConfig defaults() {
        try (InputStream in = FrameworkConfig.class.getResourceAsStream("frameworkcontroller.yaml")) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "the built-in frameworkcontroller.yaml");
        } catch (IOException e) {
            throw new IllegalStateException("the built-in frameworkcontroller.yaml is missing", e);
        }
    }

    /** Reads and validates a file; every problem is reported at once. */
    public static FrameworkConfig load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the Framework configuration " + file + ": " + e.getMessage(), e);
        }
    }

    static FrameworkConfig parse(String yaml, String source) {
        FrameworkConfig config;
        try {
            config = yaml.isBlank() ? new FrameworkConfig()
                    : new KubernetesSerialization(new ObjectMapper(), false).unmarshal(yaml, FrameworkConfig.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Config Validation Failed: " + source + " is not valid YAML for the "
                    + "Framework configuration: " + e.getMessage(), e);
        }
        if (config == null) {
            config = new FrameworkConfig();
        }
        config.fillDefaults();
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Config Validation Failed: " + source + ": " + String.join("; ", problems));
        }
        return config;
    }

    private void fillDefaults() {
        FrameworkConfig defaults = new FrameworkConfig();
        workerNumber = workerNumber == null ? defaults.workerNumber : workerNumber;
        largeFrameworkCompression = largeFrameworkCompression == null ? false : largeFrameworkCompression;
        crdEstablishedCheckIntervalSec = crdEstablishedCheckIntervalSec == null ? 1 : crdEstablishedCheckIntervalSec;
        crdEstablishedCheckTimeoutSec = crdEstablishedCheckTimeoutSec == null ? 60 : crdEstablishedCheckTimeoutSec;
        objectLocalCacheCreationTimeoutSec = objectLocalCacheCreationTimeoutSec == null ? 300 : objectLocalCacheCreationTimeoutSec;
        frameworkCompletedRetainSec = frameworkCompletedRetainSec == null ? 2_592_000L : frameworkCompletedRetainSec;
        frameworkMinRetryDelaySecForTransientConflictFailed = frameworkMinRetryDelaySecForTransientConflictFailed == null
                ? 60L : frameworkMinRetryDelaySecForTransientConflictFailed;
        frameworkMaxRetryDelaySecForTransientConflictFailed = frameworkMaxRetryDelaySecForTransientConflictFailed == null
                ? 900L : frameworkMaxRetryDelaySecForTransientConflictFailed;
        if (logObjectSnapshot == null) {
            logObjectSnapshot = new LogObjectSnapshot();
        }
        if (logObjectSnapshot.framework == null) {
            logObjectSnapshot.framework = new FrameworkSnapshots();
        }
        if (logObjectSnapshot.task == null) {
            logObjectSnapshot.task = new TaskSnapshots();
        }
        if (logObjectSnapshot.pod == null) {
            logObjectSnapshot.pod = new PodSnapshots();
        }
        if (podFailureSpec == null) {
            podFailureSpec = new ArrayList<>();
        }
    }

    /** Everything wrong with the configuration, as the peer validates it. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (kubeClientQps != null && (kubeClientQps <= 0 || kubeClientQps > 10000)) {
            problems.add("kubeClientQps " + kubeClientQps + " should be within (0, 10000]");
        }
        if (kubeClientBurst != null && (kubeClientBurst < 0 || kubeClientBurst > 10000)) {
            problems.add("kubeClientBurst " + kubeClientBurst + " should be within [0, 10000]");
        }
        if (workerNumber <= 0) {
            problems.add("workerNumber " + workerNumber + " should be positive");
        }
        if (crdEstablishedCheckIntervalSec < 1) {
            problems.add("crdEstablishedCheckIntervalSec " + crdEstablishedCheckIntervalSec + " should not be less than 1");
        }
        if (crdEstablishedCheckTimeoutSec < 10) {
            problems.add("crdEstablishedCheckTimeoutSec " + crdEstablishedCheckTimeoutSec + " should not be less than 10");
        }
        if (objectLocalCacheCreationTimeoutSec < 60) {
            problems.add("objectLocalCacheCreationTimeoutSec " + objectLocalCacheCreationTimeoutSec
                    + " should not be less than 60");
        }
        if (frameworkMinRetryDelaySecForTransientConflictFailed < 0) {
            problems.add("frameworkMinRetryDelaySecForTransientConflictFailed "
                    + frameworkMinRetryDelaySecForTransientConflictFailed + " should not be negative");
        }
        if (frameworkMaxRetryDelaySecForTransientConflictFailed < frameworkMinRetryDelaySecForTransientConflictFailed) {
            problems.add("frameworkMaxRetryDelaySecForTransientConflictFailed "
                    + frameworkMaxRetryDelaySecForTransientConflictFailed
                    + " should not be less than frameworkMinRetryDelaySecForTransientConflictFailed "
                    + frameworkMinRetryDelaySecForTransientConflictFailed);
        }
        Set<Integer> codes = new HashSet<>();
        for (int i = 0; i < podFailureSpec.size(); i++) {
            PodFailureSpec spec = podFailureSpec.get(i);
            String where = "podFailureSpec[" + i + "]";
            if (spec == null) {
                problems.add(where + " should not be null");
                continue;
            }
            if (spec.code == null) {
                problems.add(where + ".code should not be null");
            } else {
                if (CompletionCodes.reserved(spec.code)) {
                    problems.add(where + ".code " + spec.code + " is reserved ([200, 219] and [-999, 0])");
                }
                if (!codes.add(spec.code)) {
                    problems.add(where + ".code " + spec.code + " is duplicated");
                }
            }
            if (spec.type != null && spec.type.name != null && !CompletionType.FAILED.equals(spec.type.name)) {
                problems.add(where + ".type.name should be Failed, got " + spec.type.name);
            }
            if (spec.podPatterns == null || spec.podPatterns.isEmpty()) {
                problems.add(where + ".podPatterns should not be empty");
            } else {
                for (int p = 0; p < spec.podPatterns.size(); p++) {
                    if (spec.podPatterns.get(p) == null) {
                        problems.add(where + ".podPatterns[" + p + "] should not be null");
                    } else {
                        checkRegexes(spec.podPatterns.get(p), where + ".podPatterns[" + p + "]", problems);
                    }
                }
            }
        }
        return problems;
    }

    private static void checkRegexes(PodFailureSpec.PodPattern pattern, String where, List<String> problems) {
        List<String> regexes = new ArrayList<>(java.util.Arrays.asList(pattern.nameRegex, pattern.reasonRegex, pattern.messageRegex));
        if (pattern.containers != null) {
            for (PodFailureSpec.ContainerPattern container : pattern.containers) {
                if (container != null) {
                    regexes.addAll(java.util.Arrays.asList(container.nameRegex, container.reasonRegex, container.messageRegex));
                }
            }
        }
        for (String regex : regexes) {
            if (regex == null) {
                continue;
            }
            try {
                java.util.regex.Pattern.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                problems.add(where + " has an invalid regular expression " + regex + ": " + e.getDescription());
            }
        }
    }

    /** The effective configuration, for the start-up log. */
    public String describe() {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (IOException e) {
            return toString();
        }
    }
}
