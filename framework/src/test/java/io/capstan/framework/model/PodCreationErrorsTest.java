package io.capstan.framework.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pod-creation errors classified in FrameworkController's order (ClassifyPodCreationError in its completion.go). */
class PodCreationErrorsTest {

    @ParameterizedTest(name = "{0} ''{1}'' -> {2}")
    @CsvSource({
        "403, pods \"x\" is forbidden: exceeded quota: pods; requested: pods=1,   -120",
        "500, the object provided is unrecognized,                               -120",
        "400, bad request,                                                       -310",
        "403, status unknown for quota: pods,                                    -310",
        "422, Pod \"x\" is invalid: spec.containers[0].name: Invalid value,      -200",
        "413, request entity too large,                                          -200",
        "422, read: connection reset by peer,                                   -310",
        "422, unexpected EOF,                                                   -310",
        "409, pods \"x\" already exists,                                         -120",
        "500, etcdserver: request timed out,                                    -120",
        "504, timeout,                                                          -120",
    })
    void classifiesApiErrors(int status, String message, int expected) {
        assertThat(PodCreationErrors.classify(new KubernetesClientException(message, status, null)).code())
                .isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"connection refused", "stream closed"})
    void errorsWithoutAnApiStatusAreTransient(String message) {
        assertThat(PodCreationErrors.classify(new IOException(message)).code()).isEqualTo(-120);
    }
}
