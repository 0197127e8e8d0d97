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

    @Test
    void resourceVersionIsReadFromTheMetadataOnly() {
        String pod = """
                {"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","ownerReferences":[{"resourceVersion":"x"}],
                "managedFields":[{"fieldsV1":{"f:metadata":{"resourceVersion":"y"}}}],"resourceVersion":"4711",
                "labels":{"a":"b"}},"spec":{"containers":[]},"status":{"phase":"Running"}}""";
        assertThat(RawRequests.resourceVersion(pod)).isEqualTo("4711");
        assertThat(RawRequests.resourceVersion("""
                {"status":{"metadata":{"resourceVersion":"1"}},"metadata":{"resourceVersion":"2"}}"""))
                .as("a metadata field elsewhere is not the object's").isEqualTo("2");
    }

    @Test
    void resourceVersionOfTextWithoutOneIsNull() {
        assertThat(RawRequests.resourceVersion(null)).isNull();
        assertThat(RawRequests.resourceVersion("")).isNull();
        assertThat(RawRequests.resourceVersion("[1,2]")).isNull();
        assertThat(RawRequests.resourceVersion("{\"metadata\":{\"name\":\"p\"}}")).isNull();
        assertThat(RawRequests.resourceVersion("{\"metadata\":{\"resourceVersion\":7}}")).as("not a string").isNull();
        assertThat(RawRequests.resourceVersion("{\"metadata\":{\"name\":")).as("cut off").isNull();
    }
}
