package io.capstan.appwrapper.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capstan.appwrapper.api.AppWrapperSpec.Component;
import io.capstan.appwrapper.api.AppWrapperSpec.PodSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodSetsTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String POD_SPEC = "{containers: [{name: main, image: busybox}]}";

    private static Component component(String templateYaml, PodSet... declared) throws Exception {
        Component component = new Component();
        component.template = (ObjectNode) YAML.readTree(templateYaml.replace("POD_SPEC", POD_SPEC));
        component.podSets = declared.length == 0 ? null : List.of(declared);
        return component;
    }

    private static List<String> describe(List<PodSet> podSets) {
        return podSets.stream().map(p -> p.path + " x" + p.replicasOrOne()).toList();
    }

    @Test
    void theKnownKindsAreInferredAsAppWrapperInfersThem() throws Exception {
        assertThat(describe(PodSets.effective(component("{apiVersion: v1, kind: Pod, spec: POD_SPEC}"))))
                .containsExactly("template x1");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: apps/v1, kind: Deployment, spec: {replicas: 3, template: {spec: POD_SPEC}}}"""))))
                .containsExactly("template.spec.template x3");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: apps/v1, kind: StatefulSet, spec: {template: {spec: POD_SPEC}}}"""))))
                .as("replicas default to 1").containsExactly("template.spec.template x1");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: batch/v1, kind: Job, spec: {parallelism: 4, completions: 2, template: {spec: POD_SPEC}}}"""))))
                .as("a Job runs min(parallelism, completions) pods at once").containsExactly("template.spec.template x2");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: jobset.x-k8s.io/v1alpha2, kind: JobSet, spec: {replicatedJobs: [
                  {name: leader, template: {spec: {template: {spec: POD_SPEC}}}},
                  {name: workers, replicas: 2, template: {spec: {parallelism: 3, template: {spec: POD_SPEC}}}}]}}"""))))
                .containsExactly("template.spec.replicatedJobs[0].template.spec.template x1",
                        "template.spec.replicatedJobs[1].template.spec.template x6");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: kubeflow.org/v1, kind: PyTorchJob, spec: {pytorchReplicaSpecs: {
                  Worker: {replicas: 4, template: {spec: POD_SPEC}}, Master: {template: {spec: POD_SPEC}}}}}"""))))
                .as("Master first, then Worker").containsExactly("template.spec.pytorchReplicaSpecs.Master.template x1",
                        "template.spec.pytorchReplicaSpecs.Worker.template x4");
        assertThat(describe(PodSets.effective(component("""
                {apiVersion: ray.io/v1, kind: RayJob, spec: {rayClusterSpec: {headGroupSpec: {template: {spec: POD_SPEC}},
                  workerGroupSpecs: [{replicas: 2, template: {spec: POD_SPEC}}]}}}"""))))
                .containsExactly("template.spec.rayClusterSpec.headGroupSpec.template x1",
                        "template.spec.rayClusterSpec.workerGroupSpecs[0].template x2");
        assertThat(PodSets.effective(component("{apiVersion: v1, kind: Service, spec: {ports: [{port: 80}]}}")))
                .as("a kind that makes no pods").isEmpty();
    }

    @Test
    void anyKindMayDeclareItsPodSetsAndAKnownKindMustDeclareWhatItMakes() throws Exception {
        String leaderWorkerSet = """
                {apiVersion: leaderworkerset.x-k8s.io/v1, kind: LeaderWorkerSet, spec: {leaderWorkerTemplate: {
                  leaderTemplate: {spec: POD_SPEC}, workerTemplate: {spec: POD_SPEC}}}}""";
        assertThat(describe(PodSets.effective(component(leaderWorkerSet,
                new PodSet("template.spec.leaderWorkerTemplate.leaderTemplate", 1),
                new PodSet("template.spec.leaderWorkerTemplate.workerTemplate", 3)))))
                .containsExactly("template.spec.leaderWorkerTemplate.leaderTemplate x1",
                        "template.spec.leaderWorkerTemplate.workerTemplate x3");

        String deployment = "{apiVersion: apps/v1, kind: Deployment, spec: {replicas: 3, template: {spec: POD_SPEC}}}";
        assertThat(describe(PodSets.effective(component(deployment, new PodSet("template.spec.template", 3)))))
                .containsExactly("template.spec.template x3");
        assertThatThrownBy(() -> PodSets.effective(component(deployment, new PodSet("template.spec.template", 2))))
                .hasMessage("the podSet template.spec.template declares 2 replicas, but the apps/v1 Deployment makes 3");
        assertThatThrownBy(() -> PodSets.effective(component(deployment, new PodSet("template.spec.template", 3),
                new PodSet("template.spec.template", 3)))).hasMessageContaining("declared twice");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            spec.template                           | must start with template
            template.spec.nothing                   | template.spec.nothing does not exist
            template.spec.list[2]                   | index 2 is out of bounds (1 items)
            template.spec.list[x]                   | has a bad index [x]
            template.spec.list[0                    | unterminated [
            template.spec.replicas.x                | template.spec.replicas is not an object
            template.spec[0]                        | template.spec is not a list
            template.spec.list[0]                   | does not lead to a pod template
            template.spec.replicas                  | does not lead to an object
            template..spec                          | empty field name
            """)
    void badPathsAreToldPrecisely(String path, String message) throws Exception {
        Component component = component("""
                {apiVersion: example.com/v1, kind: Thing, spec: {replicas: 2, list: [{name: a}]}}""",
                new PodSet(path, 1));
        assertThatThrownBy(() -> PodSets.effective(component)).isInstanceOf(PodSets.InvalidPodSetException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aTemplateWithoutApiVersionOrKindIsRefused() {
        assertThatThrownBy(() -> PodSets.effective(component("{metadata: {name: x}}")))
                .hasMessageContaining("apiVersion and kind");
    }

    @Test
    void expectedPodsAddUpTheReplicas() {
        assertThat(PodSets.expectedPods(List.of(new PodSet("a", 2), new PodSet("b", null), new PodSet("c", 0))))
                .isEqualTo(3);
    }
}
