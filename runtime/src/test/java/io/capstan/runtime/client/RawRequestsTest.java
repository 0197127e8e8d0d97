package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.Test;

class RawRequestsTest {

    @Test
    void pathsOfCoreObjects() {
        assertThat(RawRequests.path(Pod.class, "team-a", "p-1")).isEqualTo("/api/v1/namespaces/team-a/pods/p-1");
        assertThat(RawRequests.path(Pod.class, "team-a", null)).isEqualTo("/api/v1/namespaces/team-a/pods");
        assertThat(RawRequests.path(Node.class, null, "n-1")).as("cluster-scoped").isEqualTo("/api/v1/nodes/n-1");
    }

    @Test
    void pathsOfGroupedObjects() {
        assertThat(RawRequests.path(Lease.class, "kube-node-lease", "n-1"))
                .isEqualTo("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n-1");
    }

    @Test
    void segmentsAreEncoded() {
        assertThat(RawRequests.path(Pod.class, "a b", "c/d")).isEqualTo("/api/v1/namespaces/a+b/pods/c%2Fd");
    }
}
