package io.capstan.node.env;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapKeySelector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves every container's environment the way the kubelet does, before a provider sees the pod: {@code envFrom}
 * sources in order, then {@code env} entries (plain values with {@code $(VAR)} expansion, ConfigMap and Secret
 * keys, downward-API field and resource references), then Service link variables. The result has, in each
 * container, a flat {@code env} list of values in a deterministic order and an empty {@code envFrom}.
 *
 * <p>A missing optional reference is a warning; a missing mandatory one stops the pod from starting until the
 * object appears ({@link UnresolvedEnvironmentException}).
 */
public final class EnvironmentResolver {

    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
    private static final Pattern SUBSCRIPTED = Pattern.compile("metadata\\.(labels|annotations)\\['(.*)'\\]");

    /** A warning (or, for mandatory references, a cause of failure) to report as an Event on the pod. */
    public record Finding(EnvironmentReason reason, String message) {
    }

    /** Node facts some references need. */
    public record NodeFacts(String hostIP, Map<String, Quantity> allocatable) {
    }

    /** The resolved pod and the warnings to report. */
    public record Resolution(Pod pod, List<Finding> warnings) {
    }

    private final EnvironmentSource source;

    public EnvironmentResolver(EnvironmentSource source) {
        this.source = source;
    }

    /**
     * @param podIP the IP the pod will have, when known before it starts (for {@code status.podIP})
     */
    public Resolution resolve(Pod original, Optional<String> podIP, NodeFacts node) throws UnresolvedEnvironmentException {
        Pod pod = new PodBuilder(original).build();
        Context context = new Context(pod, podIP, node);
        Map<String, String> serviceEnv = serviceEnvironment(pod);
        for (Container container : nullSafe(pod.getSpec().getInitContainers())) {
            container.setEnv(resolveContainer(context, container.getName(), container.getEnv(), container.getEnvFrom(),
                    container.getResources(), serviceEnv));
            container.setEnvFrom(new ArrayList<>());
        }
        for (Container container : nullSafe(pod.getSpec().getContainers())) {
            container.setEnv(resolveContainer(context, container.getName(), container.getEnv(), container.getEnvFrom(),
                    container.getResources(), serviceEnv));
            container.setEnvFrom(new ArrayList<>());
        }
        for (EphemeralContainer container : nullSafe(pod.getSpec().getEphemeralContainers())) {
            container.setEnv(resolveContainer(context, container.getName(), container.getEnv(), container.getEnvFrom(),
                    container.getResources(), serviceEnv));
            container.setEnvFrom(new ArrayList<>());
        }
        if (!context.failures.isEmpty()) {
            List<Finding> all = new ArrayList<>(context.warnings);
            all.addAll(context.failures);
            throw new UnresolvedEnvironmentException(context.failures.getFirst().message(), all, context.awaited);
        }
        return new Resolution(pod, List.copyOf(context.warnings));
    }

    private static final class Context {
        final Pod pod;
        final Optional<String> podIP;
        final NodeFacts node;
        final List<Finding> warnings = new ArrayList<>();
        final List<Finding> failures = new ArrayList<>();
        final Set<String> awaited = new LinkedHashSet<>();

        Context(Pod pod, Optional<String> podIP, NodeFacts node) {
            this.pod = pod;
            this.podIP = podIP;
            this.node = node;
        }

        String namespace() {
            return pod.getMetadata().getNamespace();
        }

        void report(boolean mandatory, EnvironmentReason optionalReason, EnvironmentReason mandatoryReason, String message,
                String awaitedObject) {
            if (mandatory) {
                failures.add(new Finding(mandatoryReason, message));
                if (awaitedObject != null) {
                    awaited.add(awaitedObject);
                }
            } else {
                warnings.add(new Finding(optionalReason, message));
            }
        }
    }

    private List<EnvVar> resolveContainer(Context context, String containerName, List<EnvVar> env,
            List<EnvFromSource> envFrom, ResourceRequirements resources, Map<String, String> serviceEnv) {
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvFromSource from : nullSafe(envFrom)) {
            resolveEnvFrom(context, from, values);
        }
        for (EnvVar variable : nullSafe(env)) {
            if (variable.getValueFrom() == null) {
                String expanded = Expansion.expand(variable.getValue() == null ? "" : variable.getValue(),
                        name -> values.containsKey(name) ? values.get(name) : serviceEnv.get(name));
                values.put(variable.getName(), expanded);
                continue;
            }
            String value = resolveReference(context, containerName, variable, resources);
            if (value != null) {
                values.put(variable.getName(), value);
            }
        }
        serviceEnv.forEach(values::putIfAbsent);
        List<EnvVar> resolved = new ArrayList<>(values.size());
        values.forEach((name, value) -> resolved.add(new EnvVar(name, value, null)));
        return resolved;
    }

    private void resolveEnvFrom(Context context, EnvFromSource from, Map<String, String> values) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        Map<String, String> data;
        String description;
        if (from.getConfigMapRef() != null) {
            String name = from.getConfigMapRef().getName();
            boolean optional = Boolean.TRUE.equals(from.getConfigMapRef().getOptional());
            Optional<ConfigMap> configMap = source.configMap(context.namespace(), name);
            if (configMap.isEmpty()) {
                context.report(!optional, EnvironmentReason.OptionalConfigMapNotFound,
                        EnvironmentReason.MandatoryConfigMapNotFound,
                        "configmap \"" + name + "\" not found in namespace " + context.namespace(),
                        "configmap/" + context.namespace() + "/" + name);
                return;
            }
            data = new TreeMap<>(nullSafe(configMap.get().getData()));
            description = "configmap " + context.namespace() + "/" + name;
        } else if (from.getSecretRef() != null) {
            String name = from.getSecretRef().getName();
            boolean optional = Boolean.TRUE.equals(from.getSecretRef().getOptional());
            Optional<Secret> secret = source.secret(context.namespace(), name);
            if (secret.isEmpty()) {
                context.report(!optional, EnvironmentReason.OptionalSecretNotFound, EnvironmentReason.MandatorySecretNotFound,
                        "secret \"" + name + "\" not found in namespace " + context.namespace(),
                        "secret/" + context.namespace() + "/" + name);
                return;
            }
            data = new TreeMap<>(secretData(secret.get()));
            description = "secret " + context.namespace() + "/" + name;
        } else {
            return;
        }
        Set<String> invalid = new TreeSet<>();
        data.forEach((key, value) -> {
            String name = prefix + key;
            if (ENV_NAME.matcher(name).matches()) {
                values.put(name, value);
            } else {
                invalid.add(name);
            }
        });
        if (!invalid.isEmpty()) {
            context.warnings.add(new Finding(EnvironmentReason.InvalidEnvironmentVariableNames,
                    "keys " + invalid + " from " + description + " were skipped since they are invalid environment "
                            + "variable names"));
        }
    }

    private String resolveReference(Context context, String containerName, EnvVar variable, ResourceRequirements own) {
        var from = variable.getValueFrom();
        if (from.getConfigMapKeyRef() != null) {
            return configMapKey(context, from.getConfigMapKeyRef());
        }
        if (from.getSecretKeyRef() != null) {
            return secretKey(context, from.getSecretKeyRef());
        }
        if (from.getFieldRef() != null) {
            return fieldValue(context, variable.getName(), from.getFieldRef());
        }
        if (from.getResourceFieldRef() != null) {
            return resourceValue(context, containerName, variable.getName(), from.getResourceFieldRef());
        }
        return null;
    }

    private String configMapKey(Context context, ConfigMapKeySelector selector) {
        boolean optional = Boolean.TRUE.equals(selector.getOptional());
        String name = selector.getName();
        Optional<ConfigMap> configMap = source.configMap(context.namespace(), name);
        if (configMap.isEmpty()) {
            context.report(!optional, EnvironmentReason.OptionalConfigMapNotFound, EnvironmentReason.MandatoryConfigMapNotFound,
                    "configmap \"" + name + "\" not found in namespace " + context.namespace(),
                    "configmap/" + context.namespace() + "/" + name);
            return null;
        }
        Map<String, String> data = nullSafe(configMap.get().getData());
        if (!data.containsKey(selector.getKey())) {
            context.report(!optional, EnvironmentReason.OptionalConfigMapKeyNotFound,
                    EnvironmentReason.MandatoryConfigMapKeyNotFound, "configmap \"" + name + "\" doesn't contain the \""
                            + selector.getKey() + "\" key required by pod " + context.pod.getMetadata().getName(),
                    "configmap/" + context.namespace() + "/" + name);
            return null;
        }
        return data.get(selector.getKey());
    }

    private String secretKey(Context context, SecretKeySelector selector) {
        boolean optional = Boolean.TRUE.equals(selector.getOptional());
        String name = selector.getName();
        Optional<Secret> secret = source.secret(context.namespace(), name);
        if (secret.isEmpty()) {
            context.report(!optional, EnvironmentReason.OptionalSecretNotFound, EnvironmentReason.MandatorySecretNotFound,
                    "secret \"" + name + "\" not found in namespace " + context.namespace(),
                    "secret/" + context.namespace() + "/" + name);
            return null;
        }
        Map<String, String> data = secretData(secret.get());
        if (!data.containsKey(selector.getKey())) {
            context.report(!optional, EnvironmentReason.OptionalSecretKeyNotFound, EnvironmentReason.MandatorySecretKeyNotFound,
                    "secret \"" + name + "\" doesn't contain the \"" + selector.getKey() + "\" key required by pod "
                            + context.pod.getMetadata().getName(),
                    "secret/" + context.namespace() + "/" + name);
            return null;
        }
        return data.get(selector.getKey());
    }

    /** A Secret's values as text: {@code data} is base64, {@code stringData} is taken as written. */
    public static Map<String, String> secretData(Secret secret) {
        Map<String, String> data = new LinkedHashMap<>();
        nullSafe(secret.getData()).forEach((key, value) -> data.put(key,
                new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
        nullSafe(secret.getStringData()).forEach(data::putIfAbsent);
        return data;
    }

    private String fieldValue(Context context, String variable, ObjectFieldSelector selector) {
        String apiVersion = selector.getApiVersion();
        if (apiVersion != null && !apiVersion.isEmpty() && !apiVersion.equals("v1")) {
            context.failures.add(new Finding(EnvironmentReason.UnresolvableFieldReference,
                    "environment variable " + variable + ": unsupported fieldRef apiVersion " + apiVersion));
            return null;
        }
        Optional<String> value = fieldValue(context.pod, selector.getFieldPath(), context.podIP, context.node.hostIP());
        if (value.isEmpty()) {
            String why = selector.getFieldPath().startsWith("status.pod")
                    ? "the provider cannot tell the pod's IP before it starts"
                    : "unsupported field path";
            context.failures.add(new Finding(EnvironmentReason.UnresolvableFieldReference,
                    "environment variable " + variable + ": cannot resolve fieldRef " + selector.getFieldPath() + " (" + why + ")"));
        }
        return value.orElse(null);
    }

    /** The value of a downward-API field path, as the kubelet formats it; empty when unsupported or unknown. */
    public static Optional<String> fieldValue(Pod pod, String path, Optional<String> podIP, String hostIP) {
        var metadata = pod.getMetadata();
        Matcher subscripted = SUBSCRIPTED.matcher(path);
        if (subscripted.matches()) {
            Map<String, String> map = subscripted.group(1).equals("labels") ? metadata.getLabels() : metadata.getAnnotations();
            return Optional.of(nullSafe(map).getOrDefault(subscripted.group(2), ""));
        }
        return switch (path) {
            case "metadata.name" -> Optional.ofNullable(metadata.getName());
            case "metadata.namespace" -> Optional.ofNullable(metadata.getNamespace());
            case "metadata.uid" -> Optional.ofNullable(metadata.getUid());
            case "metadata.labels" -> Optional.of(formatMap(metadata.getLabels()));
            case "metadata.annotations" -> Optional.of(formatMap(metadata.getAnnotations()));
            case "spec.nodeName", "spec.host" -> Optional.ofNullable(pod.getSpec().getNodeName());
            case "spec.serviceAccountName" -> Optional.ofNullable(pod.getSpec().getServiceAccountName());
            case "status.podIP", "status.podIPs" -> podIP;
            case "status.hostIP", "status.hostIPs" -> Optional.ofNullable(hostIP);
            default -> Optional.empty();
        };
    }

    /** {@code key="value"} lines sorted by key, the downward API's format for whole label or annotation maps. */
    public static String formatMap(Map<String, String> map) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(nullSafe(map)).forEach((key, value) -> {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(key).append("=\"").append(value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                    .append('"');
        });
        return out.toString();
    }

    private String resourceValue(Context context, String ownContainer, String variable, ResourceFieldSelector selector) {
        String containerName = selector.getContainerName() == null || selector.getContainerName().isEmpty() ? ownContainer
                : selector.getContainerName();
        Optional<String> value = resourceValue(context.pod, containerName, selector, context.node.allocatable());
        if (value.isEmpty()) {
            context.failures.add(new Finding(EnvironmentReason.UnresolvableFieldReference, "environment variable " + variable
                    + ": cannot resolve resourceFieldRef " + selector.getResource() + " of container " + containerName));
        }
        return value.orElse(null);
    }

    /**
     * A container's resource request or limit divided by the divisor and rounded up, as the kubelet does; an unset
     * limit is the node's allocatable amount.
     */
    public static Optional<String> resourceValue(Pod pod, String containerName, ResourceFieldSelector selector,
            Map<String, Quantity> allocatable) {
        ResourceRequirements resources = null;
        boolean found = false;
        for (Container container : allContainers(pod)) {
            if (container.getName().equals(containerName)) {
                resources = container.getResources();
                found = true;
            }
        }
        if (!found) {
            return Optional.empty();
        }
        String resource = selector.getResource();
        int dot = resource.indexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        String kind = resource.substring(0, dot);
        String name = resource.substring(dot + 1);
        Map<String, Quantity> amounts = resources == null ? null
                : kind.equals("limits") ? resources.getLimits() : kind.equals("requests") ? resources.getRequests() : null;
        if (!kind.equals("limits") && !kind.equals("requests")) {
            return Optional.empty();
        }
        Quantity quantity = amounts == null ? null : amounts.get(name);
        if (quantity == null) {
            quantity = kind.equals("limits") ? nullSafe(allocatable).get(name) : new Quantity("0");
        }
        if (quantity == null) {
            return Optional.empty();
        }
        Quantity divisor = selector.getDivisor() == null ? new Quantity("1") : selector.getDivisor();
        BigDecimal amount = quantity.getNumericalAmount();
        BigDecimal by = divisor.getNumericalAmount();
        if (by.signum() == 0) {
            return Optional.empty();
        }
        return Optional.of(amount.divide(by, 0, RoundingMode.CEILING).toPlainString());
    }

    private static List<Container> allContainers(Pod pod) {
        List<Container> all = new ArrayList<>(nullSafe(pod.getSpec().getInitContainers()));
        all.addAll(nullSafe(pod.getSpec().getContainers()));
        return all;
    }

    /**
     * Service link variables: the {@code kubernetes} Service of the {@code default} namespace always, and the
     * pod's namespace's Services when {@code enableServiceLinks} is not false.
     */
    private Map<String, String> serviceEnvironment(Pod pod) {
        Map<String, Service> services = new TreeMap<>();
        String namespace = pod.getMetadata().getNamespace();
        if (!Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks())) {
            for (Service service : source.services(namespace)) {
                services.put(service.getMetadata().getName(), service);
            }
        }
        for (Service service : source.services("default")) {
            if (service.getMetadata().getName().equals("kubernetes")) {
                services.putIfAbsent("kubernetes", service);
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        services.values().forEach(service -> addServiceVariables(service, env));
        return env;
    }

    static void addServiceVariables(Service service, Map<String, String> env) {
        String ip = service.getSpec().getClusterIP();
        if (ip == null || ip.isEmpty() || ip.equals("None")) {
            return;
        }
        String name = envName(service.getMetadata().getName());
        List<ServicePort> ports = nullSafe(service.getSpec().getPorts());
        env.put(name + "_SERVICE_HOST", ip);
        if (!ports.isEmpty()) {
            env.put(name + "_SERVICE_PORT", Integer.toString(ports.getFirst().getPort()));
        }
        for (ServicePort port : ports) {
            if (port.getName() != null && !port.getName().isEmpty()) {
                env.put(name + "_SERVICE_PORT_" + envName(port.getName()), Integer.toString(port.getPort()));
            }
        }
        for (int i = 0; i < ports.size(); i++) {
            ServicePort port = ports.get(i);
            String protocol = port.getProtocol() == null ? "tcp" : port.getProtocol().toLowerCase(Locale.ROOT);
            String url = protocol + "://" + ip + ":" + port.getPort();
            if (i == 0) {
                env.put(name + "_PORT", url);
            }
            String prefix = name + "_PORT_" + port.getPort() + "_" + protocol.toUpperCase(Locale.ROOT);
            env.put(prefix, url);
            env.put(prefix + "_PROTO", protocol);
            env.put(prefix + "_PORT", Integer.toString(port.getPort()));
            env.put(prefix + "_ADDR", ip);
        }
    }

    private static String envName(String name) {
        return name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static <T> List<T> nullSafe(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static <K, V> Map<K, V> nullSafe(Map<K, V> map) {
        return map == null ? Map.of() : map;
    }
}
