package io.capstan.node.provider.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxTest {

    @TempDir
    Path dir;

    private static int indexOfPair(List<String> args, String flag, String value) {
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals(flag) && args.get(i + 1).equals(value)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aMountUnderAMissingHostDirectoryRebuildsItsParentOnTmpfsInsteadOfTouchingTheHost() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("volume"));
        List<String> args = Sandbox.bubblewrap(List.of(new Sandbox.Mount(volume, Path.of("/etc/capstan-test/config"), true)),
                "/", List.of("true"));

        assertThat(indexOfPair(args, "--tmpfs", "/etc")).as("/etc rebuilt").isPositive();
        assertThat(indexOfPair(args, "--ro-bind", "/etc/passwd")).as("its entries bound read-only").isPositive();
        assertThat(indexOfPair(args, "--ro-bind", volume.toString())).isGreaterThan(indexOfPair(args, "--tmpfs", "/etc"));
        assertThat(args).containsSequence("--chdir", "/", "--", "true");
        assertThat(Path.of("/etc/capstan-test")).doesNotExist();
    }

    @Test
    void aMountOnAnExistingDirectoryNeedsNoRebuild() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("volume"));
        List<String> args = Sandbox.bubblewrap(List.of(new Sandbox.Mount(volume, Path.of("/etc"), false)), "/", List.of("true"));

        assertThat(indexOfPair(args, "--tmpfs", "/etc")).isNegative();
        assertThat(indexOfPair(args, "--bind", volume.toString())).isPositive();
    }

    @Test
    void targetsAreResolvedThroughHostSymlinks() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertThat(Sandbox.resolveOnHost(link.resolve("sub/path"))).isEqualTo(real.toRealPath().resolve("sub/path"));
    }

    @Test
    void runnableChecksNameTheProblemLikeAContainerRuntime() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("data.txt"), "not a program");
        assertThat(ContainerRuntime.notRunnable("sh", "/usr/bin:/bin")).isNull();
        assertThat(ContainerRuntime.notRunnable("no-such-command-xyz", "/usr/bin:/bin"))
                .isEqualTo("exec: \"no-such-command-xyz\": executable file not found in $PATH");
        assertThat(ContainerRuntime.notRunnable("/no/such/file", "")).contains("no such file or directory");
        assertThat(ContainerRuntime.notRunnable(notExecutable.toString(), "")).contains("permission denied");
    }
}
