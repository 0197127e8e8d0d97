package io.capstan.node.provider.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How a container's process sees the file system. With bubblewrap ({@code bwrap}) each container gets private mount
 * and PID namespaces: the host's directories read-only, a private {@code /tmp}, {@code /proc} and {@code /dev}, and
 * its volumes mounted at their {@code mountPath}. A mount point that does not exist on the host is created without
 * touching the host: the directory above it is rebuilt on a tmpfs from read-only binds of its entries. Without
 * bubblewrap the process runs on the host as it is (see docs/virtual-nodes.md for what differs).
 */
final class Sandbox {

    private static final Set<String> SPECIAL = Set.of("proc", "dev", "tmp", "sys");

    /** A volume (or file) to show at {@code target} inside the sandbox. */
    record Mount(Path source, Path target, boolean readOnly) {
    }

    private Sandbox() {
    }

    /** True when bwrap is installed and can create namespaces here. */
    static boolean bubblewrapWorks() {
        try {
            Process probe = new ProcessBuilder("bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                    "--unshare-pid", "--", "/bin/true").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The bwrap command line that runs {@code command} with the mounts, in {@code workingDir}. */
    static List<String> bubblewrap(List<Mount> mounts, String workingDir, List<String> command) throws IOException {
        List<Mount> resolved = new ArrayList<>();
        for (Mount mount : mounts) {
            resolved.add(new Mount(mount.source(), resolveOnHost(mount.target()), mount.readOnly()));
        }
        List<Path> targets = new ArrayList<>(resolved.stream().map(Mount::target).toList());
        Path cwd = resolveOnHost(Path.of(workingDir));
        if (!Files.isDirectory(cwd)) {
            targets.add(cwd);
        }
        List<String> args = new ArrayList<>(List.of("bwrap", "--unshare-pid", "--die-with-parent"));
        rebuild(Path.of("/"), targets, args);
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        if (!Files.isDirectory(cwd)) {
            args.addAll(List.of("--dir", cwd.toString()));
        }
        resolved.sort(Comparator.comparingInt(m -> m.target().getNameCount()));
        for (Mount mount : resolved) {
            args.addAll(List.of(mount.readOnly() ? "--ro-bind" : "--bind", mount.source().toString(), mount.target().toString()));
        }
        args.addAll(List.of("--chdir", cwd.toString(), "--"));
        args.addAll(command);
        return args;
    }

    /**
     * Binds the entries of a host directory read-only; directories that contain a mount target which does not exist
     * on the host are rebuilt on a tmpfs in turn, so the target can be created there.
     */
    private static void rebuild(Path dir, List<Path> targets, List<String> args) throws IOException {
        boolean root = dir.getNameCount() == 0;
        if (!root) {
            args.addAll(List.of("--tmpfs", dir.toString()));
        }
        List<Path> entries;
        try (Stream<Path> listing = Files.list(dir)) {
            entries = listing.sorted().toList();
        }
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (root && SPECIAL.contains(name)) {
                if (name.equals("sys")) {
                    args.addAll(List.of("--ro-bind", "/sys", "/sys"));
                }
                continue;
            }
            if (Files.isSymbolicLink(entry)) {
                args.addAll(List.of("--symlink", Files.readSymbolicLink(entry).toString(), entry.toString()));
            } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && needsRebuild(entry, targets)) {
                rebuild(entry, targets, args);
            } else {
                args.addAll(List.of("--ro-bind", entry.toString(), entry.toString()));
            }
        }
    }

    /** A target lies below this directory and some part of its path is missing on the host. */
    private static boolean needsRebuild(Path dir, List<Path> targets) {
        for (Path target : targets) {
            if (target.startsWith(dir) && !target.equals(dir) && !Files.exists(target.getParent())) {
                return true;
            }
            if (target.startsWith(dir) && !target.equals(dir) && !Files.exists(target)) {
                return true;
            }
        }
        return false;
    }

    /** Follows symbolic links in the part of the path that exists on the host (/var/run → /run). */
    static Path resolveOnHost(Path path) throws IOException {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        return existing.toRealPath().resolve(existing.relativize(absolute));
    }
}
