package io.capstan.runtime.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {

    private static Status invalid(String... fieldsAndMessages) {
        StatusBuilder status = new StatusBuilder().withStatus("Failure").withReason("Invalid").withCode(422)
                .withMessage("Framework.frameworkcontroller.microsoft.com \"x\" is invalid: ...")
                .withNewDetails().withKind("Framework").withName("x").withGroup("frameworkcontroller.microsoft.com")
                .endDetails();
        for (int i = 0; i < fieldsAndMessages.length; i += 2) {
            status.editDetails().addNewCause().withField(fieldsAndMessages[i]).withMessage(fieldsAndMessages[i + 1])
                    .withReason("FieldValueInvalid").endCause().endDetails();
        }
        return status.build();
    }

    @Test
    void anInvalidObjectIsNamedOnceWithItsField() {
        var refusal = new KubernetesClientException(invalid("spec.taskRoles", "Required value"));

        assertThat(ApiErrors.describe(refusal))
                .isEqualTo("The Framework \"x\" is invalid: spec.taskRoles: Required value")
                .doesNotContain("Received status").doesNotContain("additionalProperties");
    }

    @Test
    void severalInvalidFieldsGetALineEach() {
        var refusal = new KubernetesClientException(invalid("spec.a", "Required value", "spec.b", "Invalid value: -1"));

        assertThat(ApiErrors.describe(refusal)).isEqualTo("The Framework \"x\" is invalid: \n* spec.a: Required value"
                + "\n* spec.b: Invalid value: -1");
    }

    @Test
    void otherRefusalsSayTheirReasonAndTheServersMessage() {
        Status denied = new StatusBuilder().withStatus("Failure").withReason("Forbidden").withCode(403)
                .withMessage("admission webhook \"frameworks.frameworkcontroller.capstan.io\" denied the request: "
                        + "spec.taskRoles[0].name is repeated").build();

        assertThat(ApiErrors.describe(new ExecutionException(new KubernetesClientException(denied))))
                .isEqualTo("Error from server (Forbidden): admission webhook \"frameworks.frameworkcontroller.capstan.io\" "
                        + "denied the request: spec.taskRoles[0].name is repeated");
    }

    @Test
    void noAnswerFromTheServerSaysWhy() {
        var unreachable = new KubernetesClientException("Operation: [get] for kind: [Pod] with name: [p] failed.",
                new ConnectException("Connection refused"));

        assertThat(ApiErrors.describe(unreachable))
                .isEqualTo("Operation: [get] for kind: [Pod] with name: [p] failed: Connection refused");
    }

    @Test
    void anythingElseIsItsMessage() {
        assertThat(ApiErrors.describe(new IllegalStateException("no CRD"))).isEqualTo("no CRD");
        assertThat(ApiErrors.describe(new RuntimeException(new NullPointerException()))).contains("NullPointerException");
    }
}
