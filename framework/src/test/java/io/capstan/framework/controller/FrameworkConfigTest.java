package io.capstan.framework.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys, defaults and validation of frameworkcontroller.yaml (FrameworkController's config.go). */
class FrameworkConfigTest {

    @Test
    void anEmptyFileMeansTheDefaults() {
        FrameworkConfig config = FrameworkConfig.parse("", "empty");

        assertThat(config.workerNumber).isEqualTo(200);
        assertThat(config.largeFrameworkCompression).isFalse();
        assertThat(config.crdEstablishedCheckIntervalSec).isEqualTo(1);
        assertThat(config.crdEstablishedCheckTimeoutSec).isEqualTo(60);
        assertThat(config.objectLocalCacheCreationTimeoutSec).isEqualTo(300);
        assertThat(config.frameworkCompletedRetainSec).isEqualTo(30L * 24 * 3600);
        assertThat(config.frameworkMinRetryDelaySecForTransientConflictFailed).isEqualTo(60);
        assertThat(config.frameworkMaxRetryDelaySecForTransientConflictFailed).isEqualTo(900);
        assertThat(config.logObjectSnapshot.framework.onFrameworkRetry).isTrue();
        assertThat(config.logObjectSnapshot.framework.onFrameworkDeletion).isTrue();
        assertThat(config.logObjectSnapshot.task.onTaskRetry).isTrue();
        assertThat(config.logObjectSnapshot.task.onTaskDeletion).isTrue();
        assertThat(config.logObjectSnapshot.pod.onPodDeletion).isTrue();
        assertThat(config.kubeClientQps).isNull();
        assertThat(config.podFailureSpec).isEmpty();
    }

    @Test
    void theBuiltInConfigurationShipsThePeersPodFailureTable() {
        FrameworkConfig config = FrameworkConfig.defaults();

        assertThat(config.podFailureSpec).extracting(spec -> spec.code).containsExactly(-1000, -1001, -1002, -1003, -1004,
                -1005, -1006, -1200, -1201, -1202, -1203, -1204, 130, 131, 132, 134, 135, 136, 137, 139, 141, 143);
        assertThat(config.workerNumber).isEqualTo(200);
    }

    @Test
    void givenKeysOverrideDefaultsAndUnknownKeysAreIgnored(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("frameworkcontroller.yaml");
        Files.writeString(file, """
                workerNumber: 8
                frameworkCompletedRetainSec: 5
                frameworkMinRetryDelaySecForTransientConflictFailed: 2
                frameworkMaxRetryDelaySecForTransientConflictFailed: 4
                logObjectSnapshot:
                  task: {onTaskRetry: false}
                someFutureKey: 1
                """);

        FrameworkConfig config = FrameworkConfig.load(file);

        assertThat(config.workerNumber).isEqualTo(8);
        assertThat(config.frameworkCompletedRetainSec).isEqualTo(5);
        assertThat(config.frameworkMaxRetryDelaySecForTransientConflictFailed).isEqualTo(4);
        assertThat(config.logObjectSnapshot.task.onTaskRetry).isFalse();
        assertThat(config.logObjectSnapshot.task.onTaskDeletion).isTrue();
        assertThat(config.logObjectSnapshot.framework.onFrameworkRetry).isTrue();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> FrameworkConfig.parse("""
                workerNumber: 0
                kubeClientQps: -1
                objectLocalCacheCreationTimeoutSec: 5
                frameworkMinRetryDelaySecForTransientConflictFailed: 10
                frameworkMaxRetryDelaySecForTransientConflictFailed: 5
                podFailureSpec:
                - code: 201
                  podPatterns: [{reasonRegex: x}]
                - code: 300
                  type: {name: Succeeded}
                  podPatterns: []
                - code: 300
                  podPatterns: [{reasonRegex: '('}]
                - phrase: NoCode
                  podPatterns: [{reasonRegex: x}]
                """, "test.yaml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Config Validation Failed: test.yaml: ")
                .hasMessageContaining("workerNumber 0 should be positive")
                .hasMessageContaining("kubeClientQps -1.0 should be within (0, 10000]")
                .hasMessageContaining("objectLocalCacheCreationTimeoutSec 5 should not be less than 60")
                .hasMessageContaining("frameworkMaxRetryDelaySecForTransientConflictFailed 5 should not be less than")
                .hasMessageContaining("podFailureSpec[0].code 201 is reserved")
                .hasMessageContaining("podFailureSpec[1].type.name should be Failed")
                .hasMessageContaining("podFailureSpec[1].podPatterns should not be empty")
                .hasMessageContaining("podFailureSpec[2].code 300 is duplicated")
                .hasMessageContaining("podFailureSpec[2].podPatterns[0] has an invalid regular expression (")
                .hasMessageContaining("podFailureSpec[3].code should not be null");
    }

    @Test
    void malformedYamlSaysWhichFile() {
        assertThatThrownBy(() -> FrameworkConfig.parse("workerNumber: [1", "broken.yaml"))
                .hasMessageStartingWith("Config Validation Failed: broken.yaml is not valid YAML");
    }

    @Test
    void aMissingFileSaysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> FrameworkConfig.load(dir.resolve("absent.yaml")))
                .hasMessageContaining("cannot read the Framework configuration").hasMessageContaining("absent.yaml");
    }
}
