package io.capstan.node.provider.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces containers' memory limits with cgroup v2 when the host allows it: a sub-group per container below the
 * node agent's own cgroup, with {@code memory.max} set to the limit. On cgroup v1 hosts, or without write access,
 * limits are recorded but not enforced (docs/virtual-nodes.md says so).
 */
final class MemoryLimits {

    private static final Logger log = LoggerFactory.getLogger(MemoryLimits.class);

    private final Path base;

    private MemoryLimits(Path base) {
        this.base = base;
    }

    /** Cgroup v2 support below {@code cgroupRoot} (normally {@code /sys/fs/cgroup}), or empty when unavailable. */
    static Optional<MemoryLimits> detect(Path cgroupRoot, Path selfCgroupFile) {
        try {
            if (!Files.exists(cgroupRoot.resolve("cgroup.controllers"))) {
                return Optional.empty();
            }
            String own = "";
            for (String line : Files.readAllLines(selfCgroupFile)) {
                if (line.startsWith("0::")) {
                    own = line.substring(3);
                }
            }
            Path group = cgroupRoot.resolve(own.startsWith("/") ? own.substring(1) : own).resolve("capstan-pods");
            Files.createDirectories(group);
            Path controllers = group.getParent().resolve("cgroup.subtree_control");
            if (Files.exists(controllers) && !Files.readString(controllers).contains("memory")) {
                Files.writeString(controllers, "+memory");
            }
            return Optional.of(new MemoryLimits(group));
        } catch (IOException | RuntimeException e) {
            log.info("Memory limits of process pods will not be enforced (no writable cgroup v2 hierarchy: {})",
                    e.getMessage());
            return Optional.empty();
        }
    }

    /** Creates the container's group with its limit and moves the process into it. */
    Path confine(String container, long pid, long limitBytes) throws IOException {
        Path group = base.resolve(container.replaceAll("[^A-Za-z0-9_.-]", "_"));
        Files.createDirectories(group);
        Files.writeString(group.resolve("memory.max"), Long.toString(limitBytes));
        Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
        return group;
    }

    /** Whether the kernel killed a process of the group for exceeding its memory limit. */
    static boolean oomKilled(Path group) {
        try {
            for (String line : Files.readAllLines(group.resolve("memory.events"))) {
                List<String> parts = List.of(line.split(" "));
                if (parts.size() == 2 && parts.get(0).equals("oom_kill") && !parts.get(1).equals("0")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static void release(Path group) {
        try {
            Files.deleteIfExists(group);
        } catch (IOException e) {
            log.debug("Cannot remove cgroup {}: {}", group, e.getMessage());
        }
    }
}
