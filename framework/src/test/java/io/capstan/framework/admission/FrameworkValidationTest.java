package io.capstan.framework.admission;

import io.capstan.runtime.webhook.AdmissionReviews;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.framework.api.Framework;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FrameworkValidationTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private static Framework framework(String spec) {
        return YAML.unmarshal("""
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                metadata: {name: fw}
                spec:
                %s
                """.formatted(spec.indent(2)), Framework.class);
    }

    private static final String GOOD_ROLE = """
            - name: %s
              taskNumber: %d
              frameworkAttemptCompletionPolicy: {minFailedTaskCount: %d, minSucceededTaskCount: %d}
              task: {pod: {spec: {containers: [{name: c, image: c}]}}}
            """;

    private static String role(String name, int tasks, int minFailed, int minSucceeded) {
        return GOOD_ROLE.formatted(name, tasks, minFailed, minSucceeded);
    }

    @Test
    void aSoundFrameworkHasNoProblems() {
        Framework fw = framework("taskRoles:\n" + role("ps", 2, 1, -1) + role("worker", 3, 1, 3));

        assertThat(FrameworkValidation.problems(fw, null)).isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        Framework fw = framework("taskRoles:\n" + role("worker", 3, 4, 5) + role("worker", 1, 1, -1) + """
                - name: empty
                  taskNumber: 1
                  task: {pod: {spec: {}}}
                - name: broken
                  taskNumber: 1
                  task: {pod: {spec: {containers: "not a list"}}}
                """);

        List<String> problems = FrameworkValidation.problems(fw, null);

        assertThat(problems).hasSize(5);
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(
                "spec.taskRoles[0].frameworkAttemptCompletionPolicy.minFailedTaskCount 4 can never be reached: the role has taskNumber 3"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(
                "spec.taskRoles[0].frameworkAttemptCompletionPolicy.minSucceededTaskCount 5 can never be reached"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(
                "spec.taskRoles[1].name \"worker\" is already used by spec.taskRoles[0]"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(
                "spec.taskRoles[2].task.pod.spec.containers must list at least one container"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(
                "spec.taskRoles[3].task.pod: task.pod is not a valid PodTemplateSpec"));
        assertThat(FrameworkValidation.summary(problems)).startsWith("5 problems: ");
    }

    @Test
    void aPausedRoleMayKeepItsCompletionPolicy() {
        assertThat(FrameworkValidation.problems(framework("taskRoles:\n" + role("worker", 0, 3, 3)), null)).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}: allowed={2}")
    @CsvSource({
        "Create, Start, true",
        "Create, Stop,  true",
        "Start,  Stop,  true",
        "'',     Stop,  true",
        "Start,  Start, true",
        "Stop,   Start, false",
        "Stop,   Create, false",
        "Start,  Create, false",
    })
    void onlyEffectiveExecutionTypeChangesAreAccepted(String before, String after, boolean allowed) {
        Framework old = framework("executionType: " + (before.isEmpty() ? "null" : before) + "\ntaskRoles:\n" + role("w", 1, 1, -1));
        Framework updated = framework("executionType: " + after + "\ntaskRoles:\n" + role("w", 1, 1, -1));

        List<String> problems = FrameworkValidation.problems(updated, old);

        assertThat(problems.isEmpty()).as(String.valueOf(problems)).isEqualTo(allowed);
        if (!allowed) {
            assertThat(problems.getFirst()).startsWith("spec.executionType cannot change from " + before + " to " + after);
        }
    }

    @Test
    void theAdmissionHandlerNamesTheFramework() {
        JsonNode object = YAML.convertValue(framework("taskRoles:\n" + role("w", 1, 2, -1)), JsonNode.class);

        List<String> problems = new FrameworkAdmission().validate(AdmissionReviews.Request.of("CREATE", object, null));

        assertThat(problems).singleElement().satisfies(p -> assertThat(p).startsWith("Framework fw has 1 problem: "));
        assertThat(new FrameworkAdmission().validate(AdmissionReviews.Request.of("DELETE", object, null))).isEmpty();
    }
}
