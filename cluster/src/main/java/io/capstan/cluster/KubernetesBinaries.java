package io.capstan.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Kubernetes control-plane binaries the embedded cluster runs. Looked up in {@code $KUBEBUILDER_ASSETS} (the
 * envtest convention), then in {@code ~/.cache/capstan/k8s/<cache entry>/}; when neither has them they are built
 * from Debian's {@code kubernetes} source package ({@code build-kubernetes.sh}), once, under a lock, and moved
 * into the cache atomically.
 */
public record KubernetesBinaries(Path directory, String version) {

    /** The version Debian bookworm's {@code kubernetes} source package builds. */
    public static final String VERSION = "1.20.2";
    /**
     * The cache directory of the current build recipe. Bump the suffix whenever build-kubernetes.sh changes what it
     * produces, so caches built by an older recipe (r1 had the Go 1.18 reflect2 crash) are rebuilt, not reused.
     */
    static final String CACHE_ENTRY = VERSION + "-r2";
    public static final String ASSETS_VARIABLE = "KUBEBUILDER_ASSETS";
    static final List<String> REQUIRED = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");

    public Path etcd() {
        return directory.resolve("etcd");
    }

    public Path kubeApiServer() {
        return directory.resolve("kube-apiserver");
    }

    public Path kubeControllerManager() {
        return directory.resolve("kube-controller-manager");
    }

    public Path kubeScheduler() {
        return directory.resolve("kube-scheduler");
    }

    /** kubectl, when the directory has one (the cache always does). */
    public Optional<Path> kubectl() {
        Path kubectl = directory.resolve("kubectl");
        return Files.isExecutable(kubectl) ? Optional.of(kubectl) : Optional.empty();
    }

    /** The default cache root, {@code ~/.cache/capstan/k8s}. */
    public static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("capstan").resolve("k8s");
    }

    /** Finds the binaries as described above, building them if needed. */
    public static KubernetesBinaries locate(Progress progress) {
        return locate(System.getenv(), defaultCache(), progress, true);
    }

    /**
     * @param buildIfMissing false to fail instead of building (e.g. where a 10-minute build is not wanted)
     */
    public static KubernetesBinaries locate(Map<String, String> environment, Path cacheRoot, Progress progress,
            boolean buildIfMissing) {
        String assets = environment.get(ASSETS_VARIABLE);
        if (assets != null && !assets.isBlank()) {
            Path directory = Path.of(assets);
            List<String> missing = missing(directory);
            if (!missing.isEmpty()) {
                throw new ControlPlaneException(ASSETS_VARIABLE + "=" + assets + " lacks " + String.join(", ", missing)
                        + ". Put etcd, kube-apiserver, kube-controller-manager and kube-scheduler there (executable), "
                        + "or unset " + ASSETS_VARIABLE + " to use Capstan's own build in " + cacheRoot + ".");
            }
            return new KubernetesBinaries(directory, reportedVersion(directory.resolve("kube-apiserver")));
        }
        Path cached = cacheRoot.resolve(CACHE_ENTRY);
        if (Files.isDirectory(cached)) {
            return verifiedCache(cached);
        }
        if (!buildIfMissing) {
            throw new ControlPlaneException("no Kubernetes " + VERSION + " binaries in " + cached + " and "
                    + ASSETS_VARIABLE + " is not set. Run './capstan up' once to build them (4 to 12 minutes on 2 "
                    + "cores), or set " + ASSETS_VARIABLE + " to a directory holding them.");
        }
        build(cacheRoot, progress);
        return verifiedCache(cached);
    }

    private static KubernetesBinaries verifiedCache(Path directory) {
        List<String> missing = missing(directory);
        if (!missing.isEmpty()) {
            throw corrupt(directory, "it lacks " + String.join(", ", missing));
        }
        String version = reportedVersion(directory.resolve("kube-apiserver"));
        if (!version.equals(VERSION)) {
            throw corrupt(directory, "kube-apiserver reports version " + version + ", expected " + VERSION);
        }
        return new KubernetesBinaries(directory, version);
    }

    private static ControlPlaneException corrupt(Path directory, String why) {
        return new ControlPlaneException("the control-plane cache " + directory + " is damaged: " + why
                + ". Delete it ('rm -rf " + directory + "') and Capstan rebuilds it on the next start.");
    }

    private static List<String> missing(Path directory) {
        List<String> missing = new ArrayList<>();
        for (String binary : REQUIRED) {
            Path file = directory.resolve(binary);
            if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
                missing.add(binary);
            }
        }
        return missing;
    }

    /** Runs {@code kube-apiserver --version}; "Kubernetes v1.20.2" gives "1.20.2". */
    static String reportedVersion(Path apiServer) {
        String output;
        try {
            Process process = new ProcessBuilder(apiServer.toString(), "--version").redirectErrorStream(true).start();
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(20, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new ControlPlaneException(apiServer + " --version failed: " + output);
            }
        } catch (IOException e) {
            throw new ControlPlaneException("cannot run " + apiServer + ": " + e.getMessage()
                    + " (is it a Linux executable for this machine?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlPlaneException("interrupted while checking " + apiServer, e);
        }
        String marker = "Kubernetes v";
        int at = output.indexOf(marker);
        if (at < 0) {
            throw new ControlPlaneException(apiServer + " --version printed '" + output + "', not a Kubernetes version");
        }
        String version = output.substring(at + marker.length()).split("\\s")[0];
        int suffix = version.indexOf('-');
        return suffix < 0 ? version : version.substring(0, suffix);
    }

    /**
     * Builds into the cache while holding {@code <cacheRoot>/.build.lock}, so concurrent starts wait for one build
     * instead of running two.
     */
    private static void build(Path cacheRoot, Progress progress) {
        try {
            Files.createDirectories(cacheRoot);
            try (FileChannel lockFile = FileChannel.open(cacheRoot.resolve(".build.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                FileLock lock = lockFile.tryLock();
                if (lock == null) {
                    progress.step("Another process is building the Kubernetes control plane into " + cacheRoot
                            + "; waiting for it to finish");
                    lock = lockFile.lock();
                }
                try (FileLock held = lock) {
                    if (Files.isDirectory(cacheRoot.resolve(CACHE_ENTRY))) {
                        return;
                    }
                    removeStaleEntries(cacheRoot);
                    runBuildScript(cacheRoot, progress);
                }
            }
        } catch (IOException e) {
            throw new ControlPlaneException("cannot build the Kubernetes control plane in " + cacheRoot + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Work directories of builds that were killed (their script could not clean up) and binaries of older recipes;
     * each build is about 400 MB.
     */
    private static void removeStaleEntries(Path cacheRoot) throws IOException {
        try (Stream<Path> entries = Files.list(cacheRoot)) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().startsWith(".build-")
                    || p.getFileName().toString().startsWith(VERSION)).toList()) {
                deleteRecursively(entry);
            }
        }
    }

    private static void runBuildScript(Path cacheRoot, Progress progress) throws IOException {
        if (!onPath("apt-get")) {
            throw new ControlPlaneException("Kubernetes " + VERSION + " binaries are missing and this system has no "
                    + "apt-get to build them from Debian's source package. Provide etcd, kube-apiserver, "
                    + "kube-controller-manager, kube-scheduler (v" + VERSION + " or another 1.x) and kubectl in a "
                    + "directory and set " + ASSETS_VARIABLE + " to it, or place them in " + cacheRoot.resolve(CACHE_ENTRY)
                    + ".");
        }
        progress.step("Building the Kubernetes " + VERSION + " control plane from Debian's source package into "
                + cacheRoot + " (once; 4 to 12 minutes on 2 cores)");
        Path script = Files.createTempFile("capstan-build-kubernetes", ".sh");
        try {
            try (InputStream resource = KubernetesBinaries.class.getResourceAsStream("build-kubernetes.sh")) {
                if (resource == null) {
                    throw new IllegalStateException("build-kubernetes.sh is missing from the Capstan jar");
                }
                Files.copy(resource, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Process process = new ProcessBuilder("bash", script.toString(), VERSION, cacheRoot.toString(), CACHE_ENTRY)
                    .redirectErrorStream(true).start();
            Deque<String> tail = new ArrayDeque<>();
            try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = output.readLine()) != null) {
                    if (line.startsWith("==>") || line.startsWith("    ...") || line.startsWith("error:")) {
                        progress.step(line);
                    }
                    tail.addLast(line);
                    if (tail.size() > 40) {
                        tail.removeFirst();
                    }
                }
            }
            int exit = process.waitFor();
            if (exit != 0) {
                throw new ControlPlaneException("building the Kubernetes control plane failed (exit code " + exit
                        + "). Last lines of its output:\n  " + String.join("\n  ", tail));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlPlaneException("interrupted while building the Kubernetes control plane", e);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        return Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Override
    public String toString() {
        return "Kubernetes " + version + " in " + directory;
    }
}
