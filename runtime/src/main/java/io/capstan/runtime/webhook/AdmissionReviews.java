package io.capstan.runtime.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.runtime.http.HttpHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code admission.k8s.io/v1} AdmissionReview exchange of a validating webhook: the API server posts the object
 * (and, on updates, the old one); the answer allows it or denies it with every problem in one message.
 */
public final class AdmissionReviews {

    private static final Logger log = LoggerFactory.getLogger(AdmissionReviews.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdmissionReviews() {
    }

    /** Decides on one request. */
    @FunctionalInterface
    public interface Validator {
        /**
         * @param operation CREATE, UPDATE, DELETE or CONNECT
         * @param oldObject null except for UPDATE and DELETE
         * @return the problems; empty to allow
         */
        List<String> validate(String operation, JsonNode object, JsonNode oldObject);
    }

    /** An HTTP handler answering AdmissionReviews with the validator's verdict. */
    public static HttpHandler handler(Validator validator) {
        return exchange -> {
            JsonNode review;
            try {
                review = JSON.readTree(exchange.body());
            } catch (java.io.IOException e) {
                exchange.respondText(400, "the body is not an AdmissionReview: " + e.getMessage());
                return;
            }
            JsonNode request = review.path("request");
            if (!request.hasNonNull("uid")) {
                exchange.respondText(400, "the AdmissionReview has no request.uid");
                return;
            }
            List<String> problems = validator.validate(request.path("operation").asText(), request.get("object"),
                    request.get("oldObject"));
            if (!problems.isEmpty()) {
                log.debug("Denied {} of {}/{}: {}", request.path("operation").asText(), request.path("namespace").asText(),
                        request.path("name").asText(), problems);
            }
            exchange.respondJson(200, JSON.writeValueAsString(response(review, problems)));
        };
    }

    static ObjectNode response(JsonNode review, List<String> problems) {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("apiVersion", review.path("apiVersion").asText("admission.k8s.io/v1"));
        answer.put("kind", "AdmissionReview");
        ObjectNode response = answer.putObject("response");
        response.put("uid", review.path("request").path("uid").asText());
        response.put("allowed", problems.isEmpty());
        if (!problems.isEmpty()) {
            ObjectNode status = response.putObject("status");
            // No reason "Invalid": kubectl would then print only "The request is invalid" instead of the message.
            status.put("code", 422);
            status.put("message", String.join("; ", problems));
        }
        return answer;
    }
}
