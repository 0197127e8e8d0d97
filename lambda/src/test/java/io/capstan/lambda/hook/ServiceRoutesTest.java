package io.capstan.lambda.hook;

import static org.assertj.core.api.Assertions.assertThat;

import io.capstan.lambda.hook.ServiceRoutes.ServiceName;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ServiceRoutesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            "hook.ns, ns, hook",
            "hook.ns.svc, ns, hook",
            "hook.ns.svc.cluster.local, ns, hook",
            "Hook.NS.svc.example.org, ns, hook",
            "hook, -, -",
            "127.0.0.1, -, -",
            "10.0.0.5, -, -",
            "hook.ns.example.org, -, -",
            "my-hook.my-ns, my-ns, my-hook"})
    void aHostNamesAServiceWhenItHasTheShapeOfOne(String host, String namespace, String name) {
        assertThat(ServiceName.of(host)).isEqualTo(namespace == null ? Optional.empty()
                : Optional.of(new ServiceName(namespace, name)));
    }

    @Test
    void aUrlThatResolvesOrIsNoServiceNameIsCalledAsItIs() throws Exception {
        // No client: nothing is looked up, whatever the host.
        ServiceRoutes routes = new ServiceRoutes(null, host -> false);
        URI url = URI.create("http://hook.ns/sync");
        assertThat(routes.route(url)).isEqualTo(new ServiceRoutes.Route(url, null));
        assertThat(routes.route(url).describe(url)).isEqualTo("http://hook.ns/sync");
    }

    @Test
    void aRouteThroughAnEndpointSaysSo() {
        URI url = URI.create("http://hook.ns/sync");
        var route = new ServiceRoutes.Route(URI.create("http://127.0.0.1:18090/sync"), "a ready pod of Service ns/hook");
        assertThat(route.describe(url))
                .isEqualTo("http://hook.ns/sync (called at 127.0.0.1:18090, a ready pod of Service ns/hook)");
    }

    @Test
    void theTargetPortIsGivenNamedOrThePortItself() {
        Pod pod = new PodBuilder().withNewSpec().addNewContainer().withName("c").addNewPort().withName("http")
                .withContainerPort(18090).endPort().endContainer().endSpec().build();
        assertThat(ServiceRoutes.targetPort(pod, port(80, null))).contains(80);
        assertThat(ServiceRoutes.targetPort(pod, port(80, new IntOrString(8080)))).contains(8080);
        assertThat(ServiceRoutes.targetPort(pod, port(80, new IntOrString("http")))).contains(18090);
        assertThat(ServiceRoutes.targetPort(pod, port(80, new IntOrString("grpc")))).isEmpty();
    }

    private static ServicePort port(int port, IntOrString target) {
        return new ServicePortBuilder().withPort(port).withTargetPort(target).build();
    }
}
