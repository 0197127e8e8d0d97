package io.capstan.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LambdaConfigTest {

    @Test
    void metacontrollersFlagsAreKeysWithItsDefaults(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("lambda.yaml"), "targetLabelSelector: shard=a\nworkers: 8\n");

        assertThat(LambdaConfig.load(file)).isEqualTo(new LambdaConfig("shard=a", 8, null, null));
        assertThat(LambdaConfig.load(Files.writeString(dir.resolve("empty.yaml"), ""))).isEqualTo(LambdaConfig.DEFAULTS);
        assertThat(LambdaConfig.DEFAULTS.workers()).isEqualTo(5);
        assertThat(LambdaConfig.DEFAULTS.serverSideApply()).isFalse();
        LambdaConfig ssa = LambdaConfig.load(Files.writeString(dir.resolve("ssa.yaml"), "applyStrategy: server-side-apply\n"));
        assertThat(ssa.serverSideApply()).isTrue();
        assertThat(ssa.ssaFieldManager()).isEqualTo("metacontroller");
    }

    @Test
    void unknownKeysAndBadValuesAreRefusedWithTheFileNamed(@TempDir Path dir) throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "targetLabelSelecter: shard=a\n");
        Path zero = Files.writeString(dir.resolve("zero.yaml"), "workers: 0\n");

        assertThatThrownBy(() -> LambdaConfig.load(typo)).hasMessageContaining("typo.yaml is not valid")
                .hasMessageContaining("targetLabelSelecter");
        assertThatThrownBy(() -> LambdaConfig.load(zero)).hasMessageContaining("workers must be at least 1, not 0");
        Path strategy = Files.writeString(dir.resolve("strategy.yaml"), "applyStrategy: merge\n");
        assertThatThrownBy(() -> LambdaConfig.load(strategy))
                .hasMessageContaining("applyStrategy must be dynamic-apply or server-side-apply, not merge");
    }
}
