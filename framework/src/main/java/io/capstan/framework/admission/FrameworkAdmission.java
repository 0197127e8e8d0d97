package io.capstan.framework.admission;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.framework.api.Framework;
import io.capstan.runtime.webhook.AdmissionReviews;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/** The validating webhook for Frameworks: an AdmissionReview in, the verdict of {@link FrameworkValidation} out. */
public final class FrameworkAdmission implements AdmissionReviews.Validator {

    public static final String PATH = "/validate/frameworks";
    private final KubernetesSerialization serialization = new KubernetesSerialization();

    @Override
    public List<String> validate(AdmissionReviews.Request request) {
        String operation = request.operation();
        JsonNode object = request.object();
        JsonNode oldObject = request.oldObject();
        if (!"CREATE".equals(operation) && !"UPDATE".equals(operation)) {
            return List.of();
        }
        Framework framework;
        Framework old;
        try {
            framework = serialization.convertValue(object, Framework.class);
            old = oldObject == null || oldObject.isNull() ? null : serialization.convertValue(oldObject, Framework.class);
        } catch (IllegalArgumentException e) {
            return List.of("the object is not a Framework: " + e.getMessage());
        }
        List<String> problems = FrameworkValidation.problems(framework, "UPDATE".equals(operation) ? old : null);
        return problems.isEmpty() ? problems : List.of("Framework " + framework.getMetadata().getName() + " has "
                + FrameworkValidation.summary(problems));
    }
}
