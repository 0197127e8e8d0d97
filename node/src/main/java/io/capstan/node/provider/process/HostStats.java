package io.capstan.node.provider.process;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** CPU and memory figures read from /proc, for the node's capacity and the Summary API. */
final class HostStats {

    /** Nanoseconds of CPU time used and resident bytes. */
    record Usage(long cpuNanos, long rssBytes) {
        static final Usage NONE = new Usage(0, 0);
    }

    private static final long CLOCK_TICKS = 100;
    private static final long PAGE_SIZE = 4096;

    private HostStats() {
    }

    static long memoryTotalBytes() {
        return meminfo("MemTotal:");
    }

    static long diskTotalBytes(Path path) {
        try {
            Path existing = path;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            FileStore store = Files.getFileStore(existing == null ? Path.of("/") : existing);
            return store.getTotalSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    /** A process and all its descendants. */
    static Usage usageOf(ProcessHandle process) {
        long cpu = 0;
        long rss = 0;
        for (ProcessHandle handle : Stream.concat(Stream.of(process), process.descendants()).toList()) {
            Usage one = single(handle.pid());
            cpu += one.cpuNanos();
            rss += one.rssBytes();
        }
        return new Usage(cpu, rss);
    }

    private static Usage single(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            long pages = Long.parseLong(fields[21]);
            return new Usage(ticks * 1_000_000_000L / CLOCK_TICKS, pages * PAGE_SIZE);
        } catch (IOException | RuntimeException e) {
            return Usage.NONE;
        }
    }

    /** The whole host: CPU time since boot and memory in use. */
    static Usage node() {
        long cpu = 0;
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] fields = lines.getFirst().trim().split("\\s+");
            long ticks = 0;
            for (int i = 1; i < Math.min(fields.length, 9); i++) {
                if (i != 4 && i != 5) {
                    ticks += Long.parseLong(fields[i]);
                }
            }
            cpu = ticks * 1_000_000_000L / CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            cpu = 0;
        }
        long used = memoryTotalBytes() - meminfo("MemAvailable:");
        return new Usage(cpu, Math.max(0, used));
    }

    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
