package io.capstan.node.provider.process;

import io.capstan.node.api.NodeContext;
import io.capstan.node.env.EnvironmentResolver;
import io.capstan.runtime.client.ApiErrors;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Materialises a pod's volumes as directories of its sandbox: emptyDir, configMap, secret, downwardAPI, projected
 * (including service-account tokens from the TokenRequest API) and hostPath. Files are rewritten when the objects
 * they come from change, like the kubelet's periodic volume sync. Other volume types are not supported.
 */
final class Volumes {

    /** A volume could not be prepared (yet): the pod waits, like a kubelet reporting FailedMount. */
    static final class MountException extends Exception {
        MountException(String message) {
            super(message);
        }
    }

    private final NodeContext context;
    private final Path root;

    Volumes(NodeContext context, Path sandbox) {
        this.context = context;
        this.root = sandbox.resolve("volumes");
    }

    /** Prepares every volume and returns its host directory (or file, for hostPath files) by volume name. */
    Map<String, Path> prepare(Pod pod) throws MountException, IOException {
        Map<String, Path> paths = new LinkedHashMap<>();
        List<Volume> volumes = pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
        for (Volume volume : volumes) {
            paths.put(volume.getName(), prepare(pod, volume));
        }
        return paths;
    }

    private Path prepare(Pod pod, Volume volume) throws MountException, IOException {
        if (volume.getHostPath() != null) {
            return hostPath(volume);
        }
        Path dir = root.resolve(volume.getName());
        Files.createDirectories(dir);
        String namespace = pod.getMetadata().getNamespace();
        if (volume.getEmptyDir() != null) {
            return dir;
        }
        Map<String, FileContent> files = new LinkedHashMap<>();
        if (volume.getConfigMap() != null) {
            var source = volume.getConfigMap();
            Optional<ConfigMap> configMap = context.objects().configMap(namespace, source.getName());
            if (configMap.isEmpty()) {
                if (Boolean.TRUE.equals(source.getOptional())) {
                    return dir;
                }
                throw new MountException("configmap \"" + source.getName() + "\" not found");
            }
            addKeys(files, configMapData(configMap.get()), source.getItems(), mode(source.getDefaultMode()), "configmap "
                    + source.getName(), source.getOptional());
        } else if (volume.getSecret() != null) {
            var source = volume.getSecret();
            Optional<Secret> secret = context.objects().secret(namespace, source.getSecretName());
            if (secret.isEmpty()) {
                if (Boolean.TRUE.equals(source.getOptional())) {
                    return dir;
                }
                throw new MountException("secret \"" + source.getSecretName() + "\" not found");
            }
            addKeys(files, secretData(secret.get()), source.getItems(), mode(source.getDefaultMode()), "secret "
                    + source.getSecretName(), source.getOptional());
        } else if (volume.getDownwardAPI() != null) {
            addDownward(files, pod, volume.getDownwardAPI().getItems(), mode(volume.getDownwardAPI().getDefaultMode()));
        } else if (volume.getProjected() != null) {
            int defaultMode = mode(volume.getProjected().getDefaultMode());
            for (VolumeProjection projection : volume.getProjected().getSources()) {
                project(files, pod, projection, defaultMode);
            }
        } else {
            throw new MountException("volume \"" + volume.getName() + "\" is of a type the process provider does not "
                    + "support (supported: emptyDir, configMap, secret, downwardAPI, projected, hostPath)");
        }
        write(dir, files);
        return dir;
    }

    private record FileContent(byte[] bytes, int mode) {
    }

    private void project(Map<String, FileContent> files, Pod pod, VolumeProjection projection, int defaultMode)
            throws MountException {
        String namespace = pod.getMetadata().getNamespace();
        if (projection.getConfigMap() != null) {
            var source = projection.getConfigMap();
            Optional<ConfigMap> configMap = context.objects().configMap(namespace, source.getName());
            if (configMap.isEmpty()) {
                if (!Boolean.TRUE.equals(source.getOptional())) {
                    throw new MountException("configmap \"" + source.getName() + "\" not found");
                }
                return;
            }
            addKeys(files, configMapData(configMap.get()), source.getItems(), defaultMode, "configmap " + source.getName(),
                    source.getOptional());
        } else if (projection.getSecret() != null) {
            var source = projection.getSecret();
            Optional<Secret> secret = context.objects().secret(namespace, source.getName());
            if (secret.isEmpty()) {
                if (!Boolean.TRUE.equals(source.getOptional())) {
                    throw new MountException("secret \"" + source.getName() + "\" not found");
                }
                return;
            }
            addKeys(files, secretData(secret.get()), source.getItems(), defaultMode, "secret " + source.getName(),
                    source.getOptional());
        } else if (projection.getDownwardAPI() != null) {
            addDownward(files, pod, projection.getDownwardAPI().getItems(), defaultMode);
        } else if (projection.getServiceAccountToken() != null) {
            ServiceAccountTokenProjection token = projection.getServiceAccountToken();
            files.put(token.getPath(), new FileContent(serviceAccountToken(pod, token).getBytes(StandardCharsets.UTF_8),
                    defaultMode));
        }
    }

    /** A token bound to the pod, from the TokenRequest API (what the kubelet mounts as kube-api-access). */
    private String serviceAccountToken(Pod pod, ServiceAccountTokenProjection projection) throws MountException {
        String account = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
        TokenRequestBuilder request = new TokenRequestBuilder().withNewSpec()
                .withExpirationSeconds(projection.getExpirationSeconds() == null ? 3600L : projection.getExpirationSeconds())
                .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod").withName(pod.getMetadata().getName())
                .withUid(pod.getMetadata().getUid()).endBoundObjectRef().endSpec();
        if (projection.getAudience() != null && !projection.getAudience().isEmpty()) {
            request.editSpec().withAudiences(projection.getAudience()).endSpec();
        }
        try {
            TokenRequest issued = context.client().serviceAccounts().inNamespace(pod.getMetadata().getNamespace())
                    .withName(account).tokenRequest(request.build());
            return issued.getStatus().getToken();
        } catch (RuntimeException e) {
            throw new MountException("cannot get a token for service account " + account + ": " + ApiErrors.describe(e));
        }
    }

    private static void addKeys(Map<String, FileContent> files, Map<String, byte[]> data, List<KeyToPath> items,
            int defaultMode, String source, Boolean optional) throws MountException {
        if (items == null || items.isEmpty()) {
            data.forEach((key, value) -> files.put(key, new FileContent(value, defaultMode)));
            return;
        }
        for (KeyToPath item : items) {
            byte[] value = data.get(item.getKey());
            if (value == null) {
                if (Boolean.TRUE.equals(optional)) {
                    continue;
                }
                throw new MountException(source + " has no key \"" + item.getKey() + "\"");
            }
            files.put(item.getPath(), new FileContent(value, item.getMode() == null ? defaultMode : item.getMode()));
        }
    }

    private void addDownward(Map<String, FileContent> files, Pod pod, List<DownwardAPIVolumeFile> items, int defaultMode)
            throws MountException {
        for (DownwardAPIVolumeFile item : items == null ? List.<DownwardAPIVolumeFile>of() : items) {
            Optional<String> value;
            if (item.getFieldRef() != null) {
                value = EnvironmentResolver.fieldValue(pod, item.getFieldRef().getFieldPath(), Optional.of("127.0.0.1"),
                        context.nodeAddress());
            } else if (item.getResourceFieldRef() != null) {
                String container = item.getResourceFieldRef().getContainerName();
                value = EnvironmentResolver.resourceValue(pod, container, item.getResourceFieldRef(), Map.<String, Quantity>of());
            } else {
                value = Optional.empty();
            }
            if (value.isEmpty()) {
                throw new MountException("downward API file " + item.getPath() + " cannot be resolved");
            }
            files.put(item.getPath(), new FileContent(value.get().getBytes(StandardCharsets.UTF_8),
                    item.getMode() == null ? defaultMode : item.getMode()));
        }
    }

    private static Map<String, byte[]> configMapData(ConfigMap configMap) {
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (configMap.getData() != null) {
            configMap.getData().forEach((key, value) -> data.put(key, value.getBytes(StandardCharsets.UTF_8)));
        }
        if (configMap.getBinaryData() != null) {
            configMap.getBinaryData().forEach((key, value) -> data.put(key, Base64.getDecoder().decode(value)));
        }
        return data;
    }

    private static Map<String, byte[]> secretData(Secret secret) {
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((key, value) -> data.put(key, Base64.getDecoder().decode(value)));
        }
        if (secret.getStringData() != null) {
            secret.getStringData().forEach((key, value) -> data.putIfAbsent(key, value.getBytes(StandardCharsets.UTF_8)));
        }
        return data;
    }

    private static Path hostPath(Volume volume) throws MountException, IOException {
        Path path = Path.of(volume.getHostPath().getPath());
        String type = volume.getHostPath().getType() == null ? "" : volume.getHostPath().getType();
        switch (type) {
            case "DirectoryOrCreate" -> Files.createDirectories(path);
            case "FileOrCreate" -> {
                Files.createDirectories(path.toAbsolutePath().getParent());
                if (!Files.exists(path)) {
                    Files.createFile(path);
                }
            }
            case "Directory" -> {
                if (!Files.isDirectory(path)) {
                    throw new MountException("hostPath " + path + " is not a directory");
                }
            }
            case "File" -> {
                if (!Files.isRegularFile(path)) {
                    throw new MountException("hostPath " + path + " is not a file");
                }
            }
            default -> {
                if (!Files.exists(path)) {
                    throw new MountException("hostPath " + path + " does not exist");
                }
            }
        }
        return path;
    }

    /** Writes files that changed, each atomically (temporary file, then rename), and removes files no longer wanted. */
    private static void write(Path dir, Map<String, FileContent> files) throws IOException, MountException {
        for (Map.Entry<String, FileContent> file : files.entrySet()) {
            Path target = dir.resolve(file.getKey()).normalize();
            if (!target.startsWith(dir)) {
                throw new MountException("volume file path " + file.getKey() + " leaves the volume");
            }
            Files.createDirectories(target.getParent());
            if (Files.exists(target) && java.util.Arrays.equals(Files.readAllBytes(target), file.getValue().bytes())) {
                continue;
            }
            Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.write(temporary, file.getValue().bytes());
            try {
                Files.setPosixFilePermissions(temporary, permissions(file.getValue().mode()));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        List<Path> stale = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(path -> {
                String relative = dir.relativize(path).toString();
                if (!files.containsKey(relative)) {
                    stale.add(path);
                }
            });
        }
        for (Path path : stale) {
            Files.deleteIfExists(path);
        }
    }

    private static int mode(Integer mode) {
        return mode == null ? 0644 : mode;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                permissions.add(order[bit]);
            }
        }
        return permissions;
    }
}
