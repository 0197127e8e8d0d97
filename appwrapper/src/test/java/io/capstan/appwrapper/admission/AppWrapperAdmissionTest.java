package io.capstan.appwrapper.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.runtime.webhook.AdmissionReviews;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AppWrapperAdmissionTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private final AppWrapperAdmission admission = new AppWrapperAdmission(null);

    private static JsonNode appWrapper(String components) throws Exception {
        return YAML.readTree("""
                apiVersion: workload.codeflare.dev/v1beta2
                kind: AppWrapper
                metadata: {name: aw, namespace: team, labels: {workload.codeflare.dev/user: alice}}
                spec:
                  components:
                """ + components.indent(4));
    }

    private static final String JOB = """
            - template:
                apiVersion: batch/v1
                kind: Job
                metadata: {name: job}
                spec: {parallelism: 2, template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}
            """;

    @Test
    void aValidAppWrapperIsAdmitted() throws Exception {
        assertThat(admission.validate(AdmissionReviews.Request.of("CREATE", appWrapper(JOB), null))).isEmpty();
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            - template: {metadata: {name: x}}                                                              | spec.components[0].template must be a Kubernetes object with apiVersion and kind
            - template: {apiVersion: workload.codeflare.dev/v1beta2, kind: AppWrapper, metadata: {name: x}} | an AppWrapper cannot wrap another AppWrapper
            - template: {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: other}, spec: {containers: [{name: c}]}} | metadata.namespace other is not the AppWrapper's namespace team
            - template: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}                               | 0 podSets in all; an AppWrapper needs between 1 and 8
            - {template: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}, podSets: [{path: template.data}]} | the podSet path template.data: template.data does not exist
            - {template: {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 2, template: {spec: {containers: [{name: c}]}}}}, podSets: [{path: template.spec.template, replicas: 5}]} | declares 5 replicas, but the apps/v1 Deployment makes 2
            - template: {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {metadata: {}}}} | does not lead to a pod template
            """)
    void badAppWrappersAreRefusedWithTheReason(String components, String message) throws Exception {
        List<String> problems = admission.validate(AdmissionReviews.Request.of("CREATE", appWrapper(components), null));
        assertThat(problems).singleElement().satisfies(p -> assertThat(p).startsWith("AppWrapper aw: ").contains(message));
    }

    @Test
    void moreThanEightPodSetsAreRefused() throws Exception {
        StringBuilder pods = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            pods.append("- template: {apiVersion: v1, kind: Pod, metadata: {name: p").append(i)
                    .append("}, spec: {containers: [{name: c}]}}\n");
        }
        assertThat(admission.validate(AdmissionReviews.Request.of("CREATE", appWrapper(pods.toString()), null))).singleElement()
                .satisfies(p -> assertThat(p).contains("9 podSets in all"));
    }

    @Test
    void onUpdateOnlySuspendPodSetInfosAndAnnotationsMayChange() throws Exception {
        JsonNode old = appWrapper(JOB);
        JsonNode resumed = old.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) resumed.path("spec")).put("suspend", true);
        ((com.fasterxml.jackson.databind.node.ObjectNode) resumed.path("spec").path("components").get(0))
                .putArray("podSetInfos").addObject().putObject("nodeSelector").put("zone", "a");
        ((com.fasterxml.jackson.databind.node.ObjectNode) resumed.path("metadata")).putObject("annotations")
                .put("workload.codeflare.dev.appwrapper/retryLimit", "5");
        assertThat(admission.validate(AdmissionReviews.Request.of("UPDATE", resumed, old))).isEmpty();

        JsonNode edited = old.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) edited.path("spec").path("components").get(0).path("template")
                .path("spec")).put("parallelism", 3);
        ((com.fasterxml.jackson.databind.node.ObjectNode) edited.path("metadata").path("labels"))
                .put("workload.codeflare.dev/user", "mallory");
        ((com.fasterxml.jackson.databind.node.ObjectNode) edited.path("spec")).put("managedBy", "someone-else");
        assertThat(admission.validate(AdmissionReviews.Request.of("UPDATE", edited, old))).singleElement().satisfies(p -> assertThat(p)
                .contains("spec.components[0].template cannot change", "the label workload.codeflare.dev/user cannot change",
                        "spec.managedBy cannot change"));

        JsonNode grown = appWrapper(JOB + JOB.replace("name: job", "name: job2"));
        assertThat(admission.validate(AdmissionReviews.Request.of("UPDATE", grown, old))).singleElement()
                .satisfies(p -> assertThat(p).contains("cannot be added or removed (1 before, 2 now)"));
    }

    @Test
    void theCreatorMustBeAllowedToCreateEveryWrappedObject() throws Exception {
        List<String> asked = new java.util.ArrayList<>();
        AppWrapperAdmission checked = new AppWrapperAdmission((user, namespace, apiVersion, kind) -> {
            asked.add(user.path("username").asText() + " " + namespace + " " + apiVersion + " " + kind);
            return kind.equals("Job") ? "user bob is not authorized to create jobs.batch in namespace team" : null;
        });
        JsonNode bob = YAML.readTree("{username: bob, uid: '42', groups: [system:authenticated]}");
        JsonNode object = appWrapper(JOB);

        assertThat(checked.validate(new AdmissionReviews.Request("CREATE", "team", object, null, bob))).singleElement()
                .isEqualTo("AppWrapper aw: spec.components[0]: user bob is not authorized to create jobs.batch in "
                        + "namespace team");
        assertThat(asked).containsExactly("bob team batch/v1 Job");
        assertThat(checked.validate(AdmissionReviews.Request.of("CREATE", object, null)))
                .as("a request without a user is not checked").isEmpty();
        assertThat(asked).hasSize(1);
    }
}
