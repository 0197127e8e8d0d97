package io.capstan.lambda.hook;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reaches a hook that is named by a cluster Service ({@code http://NAME.NAMESPACE[.svc[.DOMAIN]]:PORT/path}, which is
 * also what a webhook's {@code service} form means) from where cluster DNS does not answer: Capstan outside the
 * cluster, as {@code capstan up} and {@code capstan operator} on a laptop run. Metacontroller runs inside the cluster
 * and lets DNS and kube-proxy do this; here, when the name does not resolve, the call goes to one ready endpoint of
 * the Service: the addresses of its Endpoints object, or, where that has none (a pod of the process node has the
 * host's loopback address, which Endpoints may not hold), the ready pods its selector picks, on the Service port's
 * target port. A route is looked up again after {@link #LOOKUP_TTL} and after any failed call, so it follows the
 * endpoints as pods come and go.
 */
public final class ServiceRoutes {

    static final Duration LOOKUP_TTL = Duration.ofSeconds(2);
    static final Duration DNS_TTL = Duration.ofSeconds(30);
    /** {@code NAME.NAMESPACE}, optionally followed by {@code .svc} and a cluster domain. */
    private static final Pattern SERVICE_HOST = Pattern.compile(
            "([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\\.svc(\\..+)?)?");

    /**
     * Where a call goes.
     *
     * @param target the URL to call: the hook's own, or with a Service endpoint's address in its host and port
     * @param via what that address is, for messages and Events ({@code "a ready endpoint of Service ns/name"}), or
     *            null when the hook's own URL is called
     */
    public record Route(URI target, String via) {
        static Route direct(URI url) {
            return new Route(url, null);
        }

        /** {@code http://h.ns/sync}, or {@code http://h.ns/sync (called at 10.0.0.5:8080, a ready endpoint of …)}. */
        public String describe(URI url) {
            return via == null ? url.toString()
                    : url + " (called at " + target.getHost() + ":" + target.getPort() + ", " + via + ")";
        }
    }

    private record Timed<T>(T value, long until) {
        boolean fresh() {
            return System.nanoTime() - until < 0;
        }
    }

    private final KubernetesClient client;
    private final Predicate<String> resolves;
    private final Map<String, Timed<Boolean>> dns = new ConcurrentHashMap<>();
    private final Map<String, Timed<Route>> routes = new ConcurrentHashMap<>();

    /** @param client where Services, Endpoints and pods are read; null to call every URL as it is */
    public ServiceRoutes(KubernetesClient client) {
        this(client, ServiceRoutes::resolvesByDns);
    }

    ServiceRoutes(KubernetesClient client, Predicate<String> resolves) {
        this.client = client;
        this.resolves = resolves;
    }

    /** The Service a host names, when it has the shape of a cluster Service name. */
    record ServiceName(String namespace, String name) {
        static Optional<ServiceName> of(String host) {
            if (host == null) {
                return Optional.empty();
            }
            Matcher matcher = SERVICE_HOST.matcher(host.toLowerCase(Locale.ROOT));
            if (!matcher.matches() || matcher.group(3).chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            return Optional.of(new ServiceName(matcher.group(3), matcher.group(1)));
        }

        @Override
        public String toString() {
            return namespace + "/" + name;
        }
    }

    /**
     * Where to call {@code url}: itself when its host resolves (or is no Service name), else a ready endpoint of the
     * Service it names.
     *
     * @throws HookClient.HookException when it names a Service that does not exist or has no ready endpoint
     */
    public Route route(URI url) throws HookClient.HookException {
        Optional<ServiceName> service = ServiceName.of(url.getHost());
        if (client == null || service.isEmpty() || resolvesCached(url.getHost())) {
            return Route.direct(url);
        }
        String key = url.getScheme() + "://" + url.getHost() + ":" + port(url);
        Timed<Route> known = routes.get(key);
        if (known != null && known.fresh()) {
            return withPath(known.value(), url);
        }
        Route found = lookUp(service.get(), url);
        routes.put(key, new Timed<>(found, System.nanoTime() + LOOKUP_TTL.toNanos()));
        return withPath(found, url);
    }

    /** A call through {@code url} failed: look its route up again next time. */
    public void forget(URI url) {
        routes.remove(url.getScheme() + "://" + url.getHost() + ":" + port(url));
    }

    private boolean resolvesCached(String host) {
        Timed<Boolean> known = dns.get(host);
        if (known != null && known.fresh()) {
            return known.value();
        }
        boolean answer = resolves.test(host);
        dns.put(host, new Timed<>(answer, System.nanoTime() + DNS_TTL.toNanos()));
        return answer;
    }

    private static boolean resolvesByDns(String host) {
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static int port(URI url) {
        return url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }

    private static Route withPath(Route route, URI url) {
        if (route.via() == null) {
            return Route.direct(url);
        }
        try {
            URI target = new URI(url.getScheme(), url.getUserInfo(), route.target().getHost(), route.target().getPort(),
                    url.getPath(), url.getQuery(), url.getFragment());
            return new Route(target, route.via());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Route lookUp(ServiceName name, URI url) throws HookClient.HookException {
        String unresolved = url.getHost() + " does not resolve here";
        Service service = client.services().inNamespace(name.namespace()).withName(name.name()).get();
        if (service == null) {
            throw new HookClient.HookException("http error: POST " + url + ": " + unresolved + " and there is no Service "
                    + name + " to call instead: create the Service, or name the hook by a URL that resolves", null);
        }
        int port = port(url);
        ServicePort servicePort = service.getSpec().getPorts() == null ? null : service.getSpec().getPorts().stream()
                .filter(p -> p.getPort() != null && p.getPort() == port).findFirst().orElse(null);
        if (servicePort == null) {
            throw new HookClient.HookException("http error: POST " + url + ": " + unresolved + ", and Service " + name
                    + " has no port " + port, null);
        }
        List<String> addresses = fromEndpoints(name, servicePort);
        String source = "a ready endpoint of Service " + name;
        if (addresses.isEmpty() && service.getSpec().getSelector() != null && !service.getSpec().getSelector().isEmpty()) {
            addresses = fromPods(name, service.getSpec().getSelector(), servicePort);
            source = "a ready pod of Service " + name;
        }
        if (addresses.isEmpty()) {
            throw new HookClient.HookException("http error: POST " + url + ": " + unresolved + ", and Service " + name
                    + " has no ready endpoint for port " + port + " (are its pods running and ready?)", null);
        }
        String chosen = addresses.get(ThreadLocalRandom.current().nextInt(addresses.size()));
        return new Route(URI.create(url.getScheme() + "://" + chosen), source);
    }

    /** {@code ip:port} of every ready address of the Service's Endpoints for that port. */
    private List<String> fromEndpoints(ServiceName name, ServicePort servicePort) {
        Endpoints endpoints = client.endpoints().inNamespace(name.namespace()).withName(name.name()).get();
        List<String> addresses = new ArrayList<>();
        if (endpoints == null || endpoints.getSubsets() == null) {
            return addresses;
        }
        for (EndpointSubset subset : endpoints.getSubsets()) {
            Optional<EndpointPort> port = subset.getPorts() == null ? Optional.empty() : subset.getPorts().stream()
                    .filter(p -> Objects.equals(emptyToNull(p.getName()), emptyToNull(servicePort.getName())))
                    .findFirst();
            if (port.isEmpty() || subset.getAddresses() == null) {
                continue;
            }
            for (EndpointAddress address : subset.getAddresses()) {
                addresses.add(hostPort(address.getIp(), port.get().getPort()));
            }
        }
        return addresses;
    }

    /** What the Endpoints would hold: each ready, running pod the selector picks, on the port's target port. */
    private List<String> fromPods(ServiceName name, Map<String, String> selector, ServicePort servicePort) {
        List<String> addresses = new ArrayList<>();
        for (Pod pod : client.pods().inNamespace(name.namespace()).withLabels(selector).list().getItems()) {
            if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
                    || pod.getStatus().getPodIP() == null || !Readiness.isPodReady(pod)) {
                continue;
            }
            targetPort(pod, servicePort).ifPresent(port -> addresses.add(hostPort(pod.getStatus().getPodIP(), port)));
        }
        return addresses;
    }

    /** The target port as a number: given, the container port of that name, or the Service port itself. */
    static Optional<Integer> targetPort(Pod pod, ServicePort servicePort) {
        IntOrString target = servicePort.getTargetPort();
        if (target == null || (target.getIntVal() == null && (target.getStrVal() == null || target.getStrVal().isEmpty()))) {
            return Optional.of(servicePort.getPort());
        }
        if (target.getIntVal() != null) {
            return Optional.of(target.getIntVal());
        }
        return pod.getSpec().getContainers().stream()
                .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
                .filter(p -> target.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst();
    }

    private static String hostPort(String ip, int port) {
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
