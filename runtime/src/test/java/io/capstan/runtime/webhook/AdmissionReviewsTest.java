package io.capstan.runtime.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionReviewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode review() throws Exception {
        return JSON.readTree("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                 "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "operation": "CREATE", "object": {}}}""");
    }

    @Test
    void anAllowedRequestEchoesTheUid() throws Exception {
        JsonNode answer = AdmissionReviews.response(review(), List.of());

        assertThat(answer.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
        assertThat(answer.path("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(answer.at("/response/uid").asText()).isEqualTo("705ab4f5-6393-11e8-b7cc-42010a800002");
        assertThat(answer.at("/response/allowed").asBoolean()).isTrue();
        assertThat(answer.at("/response/status").isMissingNode()).isTrue();
    }

    @Test
    void aDeniedRequestCarriesEveryProblemInItsMessage() throws Exception {
        JsonNode answer = AdmissionReviews.response(review(), List.of("first", "second"));

        assertThat(answer.at("/response/allowed").asBoolean()).isFalse();
        assertThat(answer.at("/response/status/code").asInt()).isEqualTo(422);
        assertThat(answer.at("/response/status/reason").isMissingNode()).isTrue();
        assertThat(answer.at("/response/status/message").asText()).isEqualTo("first; second");
    }

    @Test
    void aMutatingAnswerAllowsWithItsPatchInBase64() throws Exception {
        var patch = JSON.createArrayNode();
        patch.addObject().put("op", "add").put("path", "/metadata/labels").putObject("value").put("a", "b");

        JsonNode answer = AdmissionReviews.patched(review(), patch);

        assertThat(answer.at("/response/allowed").asBoolean()).isTrue();
        assertThat(answer.at("/response/patchType").asText()).isEqualTo("JSONPatch");
        assertThat(JSON.readTree(java.util.Base64.getDecoder().decode(answer.at("/response/patch").asText())))
                .isEqualTo(patch);
        assertThat(AdmissionReviews.patched(review(), JSON.createArrayNode()).at("/response/patch").isMissingNode())
                .as("nothing to change, no patch").isTrue();
    }
}
