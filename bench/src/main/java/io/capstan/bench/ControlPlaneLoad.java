package io.capstan.bench;

import io.capstan.cluster.Component;
import io.capstan.cluster.ControlPlane;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * What the machine's two cores did while a benchmark measured: every second, the CPU time of each control-plane
 * process and of the benchmark's own JVM (from {@code /proc/<pid>/stat}), what else kept the machine busy (from
 * {@code /proc/stat}: a build started beside the benchmark shows there), and etcd's count of compactions (the API
 * server compacts etcd every 5 minutes; on a store of 10,000 pods a compaction is seconds of etcd's CPU). A burst that
 * runs slower than its ceiling can then be read against who had the cores.
 */
final class ControlPlaneLoad implements AutoCloseable {

    /** Linux reports process CPU in clock ticks; 100 per second on every architecture the JDK ships for. */
    private static final double TICKS_PER_SECOND = 100;
    private static final String JVM = "benchmark JVM";
    /** Everything else on the machine (a build, an editor): what is busy in /proc/stat beyond the processes above. */
    private static final String OTHERS = "other processes";
    private static final String COMPACTIONS = "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count";

    /** CPU ticks per process name, and etcd's compactions so far, at one instant. */
    private record Sample(long at, Map<String, Long> ticks, long compactions) {
    }

    private final Map<String, Long> pids = new LinkedHashMap<>();
    private final URI etcdMetrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Thread sampler;

    private ControlPlaneLoad(ControlPlane plane) {
        URI etcd = null;
        for (Component component : plane.components()) {
            pids.put(component.name(), component.pid());
            if (component.name().equals("etcd")) {
                etcd = URI.create("http://127.0.0.1:" + component.port() + "/metrics");
            }
        }
        pids.put(JVM, ProcessHandle.current().pid());
        etcdMetrics = etcd;
        sampler = Thread.ofPlatform().daemon().name("control-plane-load").start(this::sampleEverySecond);
    }

    static ControlPlaneLoad start(ControlPlane plane) {
        return new ControlPlaneLoad(plane);
    }

    private void sampleEverySecond() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                samples.add(sample());
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Sample sample() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        pids.forEach((name, pid) -> ticks.put(name, cpuTicks(pid)));
        long machine = machineBusyTicks();
        long listed = ticks.values().stream().mapToLong(Long::longValue).sum();
        ticks.put(OTHERS, machine < 0 || ticks.containsValue(-1L) ? -1 : machine - listed);
        return new Sample(System.nanoTime(), ticks, compactions());
    }

    /** The machine's busy time: the first line of /proc/stat, user to softirq but idle and iowait (guest is in user). */
    private static long machineBusyTicks() {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            String[] fields = lines.findFirst().orElseThrow().trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i <= Math.min(7, fields.length - 1); i++) { // user … softirq; steal is not this machine's
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime, fields 14 and 15 of /proc/<pid>/stat (counted after the command name, which may hold spaces). */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1; // no /proc (not Linux) or the process is gone: shown as unknown
        }
    }

    private long compactions() {
        if (etcdMetrics == null) {
            return -1;
        }
        try {
            String metrics = http.send(HttpRequest.newBuilder(etcdMetrics).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines().filter(line -> line.startsWith(COMPACTIONS + " ")).findFirst()
                    .map(line -> (long) Double.parseDouble(line.substring(COMPACTIONS.length() + 1).trim())).orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Cores each process used on average from {@code from} to {@code to} (nanoTime), e.g. "kube-apiserver 1.21". */
    String average(long from, long to) {
        List<Sample> window = between(from, to);
        if (window.size() < 2) {
            return "(window shorter than the 1 s sampling)";
        }
        return cores(window.getFirst(), window.getLast());
    }

    /**
     * One line per process: the cores it used in each {@code seconds}-long slice from {@code from} to {@code to}, then
     * the etcd compactions that finished in the window.
     */
    List<String> timeline(long from, long to, int seconds) {
        List<Sample> window = between(from, to);
        List<String> lines = new ArrayList<>();
        if (window.size() < 2) {
            return lines;
        }
        for (String name : window.getFirst().ticks().keySet()) {
            List<String> slices = new ArrayList<>();
            Sample start = window.getFirst();
            for (Sample sample : window) {
                if (sample.at() - start.at() >= seconds * 1_000_000_000L || sample == window.getLast()) {
                    slices.add(format(coresOf(name, start, sample)));
                    start = sample;
                }
            }
            lines.add(String.format(Locale.ROOT, "%s %s", name, String.join(" ", slices)));
        }
        List<String> compacted = new ArrayList<>();
        for (int i = 1; i < window.size(); i++) {
            if (window.get(i).compactions() > window.get(i - 1).compactions() && window.get(i - 1).compactions() >= 0) {
                compacted.add(String.format(Locale.ROOT, "%.0f s", (window.get(i).at() - from) / 1e9));
            }
        }
        lines.add("etcd compactions finished: " + (window.getFirst().compactions() < 0 ? "unknown"
                : compacted.isEmpty() ? "none" : "at " + String.join(", ", compacted)));
        return lines;
    }

    private List<Sample> between(long from, long to) {
        // The samples either side of the window, so a short window still spans at least one interval.
        List<Sample> all = List.copyOf(samples);
        int first = 0;
        int last = all.size() - 1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).at() <= from) {
                first = i;
            }
            if (all.get(i).at() >= to) {
                last = i;
                break;
            }
        }
        return first <= last ? all.subList(first, last + 1) : List.of();
    }

    private String cores(Sample from, Sample to) {
        return from.ticks().keySet().stream().map(name -> name + " " + format(coresOf(name, from, to)))
                .collect(Collectors.joining(", "));
    }

    private static double coresOf(String name, Sample from, Sample to) {
        long before = from.ticks().get(name);
        long after = to.ticks().get(name);
        if (before < 0 || after < 0 || to.at() == from.at()) {
            return Double.NaN;
        }
        return (after - before) / TICKS_PER_SECOND / ((to.at() - from.at()) / 1e9);
    }

    private static String format(double cores) {
        return Double.isNaN(cores) ? "?" : String.format(Locale.ROOT, "%.2f", cores);
    }

    @Override
    public void close() {
        sampler.interrupt();
        http.close();
    }
}
