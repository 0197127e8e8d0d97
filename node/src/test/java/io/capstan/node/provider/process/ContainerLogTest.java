package io.capstan.node.provider.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.node.api.ContainerLogOptions;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerLogTest {

    @TempDir
    Path dir;

    private static InputStream text(String value) {
        return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(ContainerLog log, ContainerLogOptions options) throws Exception {
        try (InputStream in = log.read(options, () -> true)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void recordsAreWrittenInCriFormatAndReadBackAsPlainLines() throws Exception {
        ContainerLog log = new ContainerLog(dir.resolve("0.log"), 1 << 20);
        log.capture(text("one\ntwo\nthree"), "stdout");
        log.finish();

        assertThat(Files.readAllLines(dir.resolve("0.log"))).allMatch(line -> line.matches("\\S+Z stdout F .*"));
        assertThat(read(log, ContainerLogOptions.ALL)).isEqualTo("one\ntwo\nthree\n");
        assertThat(read(log, new ContainerLogOptions(2, null, null, false, false, false))).isEqualTo("two\nthree\n");
        assertThat(read(log, new ContainerLogOptions(null, 5L, null, false, false, false))).isEqualTo("one\nt");
        assertThat(read(log, new ContainerLogOptions(1, null, null, true, false, false))).matches("\\S+Z three\n");
        assertThat(read(log, new ContainerLogOptions(null, null, Instant.now().plusSeconds(60), false, false, false))).isEmpty();
    }

    @Test
    void aHugeLineIsStoredInPartsAndReadBackWhole() throws Exception {
        String huge = "x".repeat(ContainerLog.MAX_RECORD * 3 + 7);
        ContainerLog log = new ContainerLog(dir.resolve("0.log"), 1 << 24);
        log.capture(text(huge + "\nafter\n"), "stderr");
        log.finish();

        assertThat(Files.readAllLines(dir.resolve("0.log"))).hasSize(5);
        assertThat(read(log, ContainerLogOptions.ALL)).isEqualTo(huge + "\nafter\n");
    }

    @Test
    void rotationKeepsOneOlderFileAndReadingSpansBoth() throws Exception {
        ContainerLog log = new ContainerLog(dir.resolve("0.log"), 200);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            lines.append("line-").append(i).append('\n');
        }
        log.capture(text(lines.toString()), "stdout");
        log.finish();

        assertThat(dir.resolve("0.log.1")).exists();
        String read = read(log, ContainerLogOptions.ALL);
        assertThat(read).endsWith("line-11\n").contains("line-10\n");
        assertThat(read.lines().count()).isLessThan(12);
    }

    @Test
    void followDeliversNewLinesUntilTheRunEnds() throws Exception {
        ContainerLog log = new ContainerLog(dir.resolve("0.log"), 1 << 20);
        log.capture(text("before\n"), "stdout");
        InputStream follower = log.read(new ContainerLogOptions(null, null, null, false, true, false), () -> true);
        log.capture(text("after\n"), "stdout");
        log.finish();

        assertThat(new String(follower.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("before\nafter\n");
    }

    @Test
    void terminationMessageFallbackTakesTheTail() throws Exception {
        ContainerLog log = new ContainerLog(dir.resolve("0.log"), 1 << 20);
        log.capture(text("a\nb\nc\n"), "stdout");
        log.finish();
        assertThat(ContainerLog.tail(dir.resolve("0.log"), 2, 2048)).isEqualTo("b\nc");
        assertThat(ContainerLog.tail(dir.resolve("0.log"), 80, 1)).isEqualTo("c");
    }
}
