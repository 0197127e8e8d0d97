package io.capstan.runtime.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.runtime.http.HttpHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code admission.k8s.io/v1} AdmissionReview exchange: the API server posts the object (and, on updates, the old
 * one) with the requesting user; a validating answer allows it or denies it with every problem in one message, a
 * mutating answer allows it with a JSON patch.
 */
public final class AdmissionReviews {

    private static final Logger log = LoggerFactory.getLogger(AdmissionReviews.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdmissionReviews() {
    }

    /**
     * One admission request.
     *
     * @param operation CREATE, UPDATE, DELETE or CONNECT
     * @param oldObject null except for UPDATE and DELETE
     * @param userInfo who asks: {@code username}, {@code uid}, {@code groups}, {@code extra}; an empty object if unknown
     */
    public record Request(String operation, String namespace, JsonNode object, JsonNode oldObject, JsonNode userInfo) {

        /** A request by an unknown user, as tests and callers without a review build it. */
        public static Request of(String operation, JsonNode object, JsonNode oldObject) {
            return new Request(operation, object == null ? "" : object.path("metadata").path("namespace").asText(""),
                    object, oldObject, JSON.createObjectNode());
        }
    }

    /** Decides on one request. */
    @FunctionalInterface
    public interface Validator {
        /** The problems; empty to allow. */
        List<String> validate(Request request);
    }

    /** Changes an object on its way in. */
    @FunctionalInterface
    public interface Mutator {
        /** JSON patch operations on the request's object; empty to leave it as it is. */
        ArrayNode mutate(Request request);
    }

    /** An HTTP handler answering AdmissionReviews with the validator's verdict. */
    public static HttpHandler handler(Validator validator) {
        return exchange -> {
            JsonNode review = review(exchange);
            if (review == null) {
                return;
            }
            Request request = request(review);
            List<String> problems = validator.validate(request);
            if (!problems.isEmpty()) {
                log.debug("Denied {} of {}/{}: {}", request.operation(), request.namespace(),
                        review.path("request").path("name").asText(), problems);
            }
            exchange.respondJson(200, JSON.writeValueAsString(response(review, problems)));
        };
    }

    /** An HTTP handler answering AdmissionReviews with the mutator's patch. */
    public static HttpHandler mutatingHandler(Mutator mutator) {
        return exchange -> {
            JsonNode review = review(exchange);
            if (review == null) {
                return;
            }
            exchange.respondJson(200, JSON.writeValueAsString(patched(review, mutator.mutate(request(review)))));
        };
    }

    private static JsonNode review(io.capstan.runtime.http.HttpExchange exchange) throws Exception {
        JsonNode review;
        try {
            review = JSON.readTree(exchange.body());
        } catch (java.io.IOException e) {
            exchange.respondText(400, "the body is not an AdmissionReview: " + e.getMessage());
            return null;
        }
        if (!review.path("request").hasNonNull("uid")) {
            exchange.respondText(400, "the AdmissionReview has no request.uid");
            return null;
        }
        return review;
    }

    private static Request request(JsonNode review) {
        JsonNode request = review.path("request");
        JsonNode userInfo = request.path("userInfo");
        return new Request(request.path("operation").asText(), request.path("namespace").asText(""),
                request.get("object"), request.get("oldObject"), userInfo.isObject() ? userInfo
                        : JSON.createObjectNode());
    }

    /** An answer that allows the request with these patch operations (none: as it is). */
    static ObjectNode patched(JsonNode review, ArrayNode patch) {
        ObjectNode answer = response(review, List.of());
        if (patch != null && !patch.isEmpty()) {
            ObjectNode response = (ObjectNode) answer.get("response");
            response.put("patchType", "JSONPatch");
            response.put("patch", java.util.Base64.getEncoder().encodeToString(patch.toString()
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return answer;
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
