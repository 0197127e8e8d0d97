package io.capstan.queue.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capstan.runtime.webhook.AdmissionReviews;
import org.junit.jupiter.api.Test;

class AppWrapperQueueingTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static JsonNode appWrapper(String metadata, String spec) throws Exception {
        return YAML.readTree("apiVersion: workload.codeflare.dev/v1beta2\nkind: AppWrapper\nmetadata: " + metadata
                + "\nspec: " + spec + "\n");
    }

    private static AdmissionReviews.Request create(JsonNode object) {
        return new AdmissionReviews.Request("CREATE", "team", object, null, YAML.createObjectNode());
    }

    private static AdmissionReviews.Request update(JsonNode object, JsonNode old) {
        return new AdmissionReviews.Request("UPDATE", "team", object, old, YAML.createObjectNode());
    }

    @Test
    void anAppWrapperWithoutAQueueGoesToItsNamespacesDefaultLocalQueueSuspended() throws Exception {
        var patch = AppWrapperQueueing.defaults(create(appWrapper("{name: aw}", "{components: []}")), ns -> true);

        assertThat(patch.toString()).isEqualTo("[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":"
                + "{\"kueue.x-k8s.io/queue-name\":\"default\"}},{\"op\":\"add\",\"path\":\"/spec/suspend\",\"value\":true}]");
    }

    @Test
    void withoutADefaultLocalQueueOrWithAControllingOwnerNothingIsQueued() throws Exception {
        assertThat(AppWrapperQueueing.defaults(create(appWrapper("{name: aw, labels: {a: b}}", "{components: []}")),
                ns -> false)).isEmpty();
        assertThat(AppWrapperQueueing.defaults(create(appWrapper("{name: aw, ownerReferences: [{apiVersion: v1, "
                + "kind: ConfigMap, name: x, uid: u, controller: true}]}", "{components: []}")), ns -> true)).isEmpty();
    }

    @Test
    void aQueuedAppWrapperIsSuspendedAndKeepsItsQueue() throws Exception {
        var patch = AppWrapperQueueing.defaults(create(appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: mine}}",
                "{suspend: false, components: []}")), ns -> true);

        assertThat(patch.toString()).isEqualTo("[{\"op\":\"add\",\"path\":\"/spec/suspend\",\"value\":true}]");
    }

    @Test
    void theQueueNameMustBeALocalQueueNameAndCannotChangeWhileRunningNorThePriorityClassAtAll() throws Exception {
        assertThat(AppWrapperQueueing.validate(create(appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: "
                + "My_Queue}}", "{components: []}")))).singleElement().asString()
                .contains("'My_Queue' is not a valid LocalQueue name");
        JsonNode running = appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: a, kueue.x-k8s.io/priority-class: "
                + "low}}", "{suspend: false, components: []}");
        JsonNode moved = appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: b, kueue.x-k8s.io/priority-class: "
                + "high}}", "{suspend: false, components: []}");
        assertThat(AppWrapperQueueing.validate(update(moved, running))).hasSize(2).first().asString()
                .contains("cannot change while the AppWrapper is not suspended");
        JsonNode suspended = appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: a, kueue.x-k8s.io/priority-class: "
                + "low}}", "{suspend: true, components: []}");
        JsonNode requeued = appWrapper("{name: aw, labels: {kueue.x-k8s.io/queue-name: b, kueue.x-k8s.io/priority-class: "
                + "low}}", "{suspend: true, components: []}");
        assertThat(AppWrapperQueueing.validate(update(requeued, suspended))).as("suspended: it may move").isEmpty();
    }

    @Test
    void theMaximumExecutionTimeMustBeAPositiveNumberOfSecondsFixedWhileRunning() throws Exception {
        assertThat(AppWrapperQueueing.validate(create(appWrapper("{name: aw, labels: {kueue.x-k8s.io/max-exec-time-seconds: "
                + "'-5'}}", "{components: []}")))).singleElement().asString().contains("is not a positive whole number");
        JsonNode running = appWrapper("{name: aw, labels: {kueue.x-k8s.io/max-exec-time-seconds: '60'}}",
                "{suspend: false, components: []}");
        JsonNode longer = appWrapper("{name: aw, labels: {kueue.x-k8s.io/max-exec-time-seconds: '600'}}",
                "{suspend: false, components: []}");
        assertThat(AppWrapperQueueing.validate(update(longer, running))).singleElement().asString()
                .contains("cannot change while the AppWrapper is not suspended");
    }
}
