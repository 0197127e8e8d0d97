package io.capstan.appwrapper.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capstan.runtime.webhook.AdmissionReviews;
import org.junit.jupiter.api.Test;

class AppWrapperDefaultsTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static AdmissionReviews.Request create(String metadata, String username) throws Exception {
        return create(metadata, "{components: []}", username);
    }

    private static AdmissionReviews.Request create(String metadata, String spec, String username) throws Exception {
        JsonNode object = YAML.readTree("apiVersion: workload.codeflare.dev/v1beta2\nkind: AppWrapper\nmetadata: "
                + metadata + "\nspec: " + spec + "\n");
        JsonNode user = YAML.readTree("{username: '" + username + "', uid: 5f1c-77}");
        return new AdmissionReviews.Request("CREATE", "team", object, null, user);
    }

    @Test
    void anAppWrapperWithoutLabelsGetsItsCreatorsAsItsOnlyLabels() throws Exception {
        assertThat(new AppWrapperDefaults(null).mutate(create("{name: aw}", "alice")).toString()).isEqualTo(
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"workload.codeflare.dev/user\":\"alice\","
                        + "\"workload.codeflare.dev/userid\":\"5f1c-77\"}}]");
    }

    @Test
    void theCreatorOverwritesWhatTheManifestClaimsAndOtherLabelsStay() throws Exception {
        var patch = new AppWrapperDefaults(null).mutate(create("{name: aw, labels: {workload.codeflare.dev/user: mallory, "
                + "team: ml}}", "alice"));

        assertThat(patch.toString()).isEqualTo("[{\"op\":\"add\",\"path\":\"/metadata/labels/workload.codeflare.dev~1user\","
                + "\"value\":\"alice\"},{\"op\":\"add\",\"path\":\"/metadata/labels/workload.codeflare.dev~1userid\","
                + "\"value\":\"5f1c-77\"}]");
    }

    @Test
    void userNamesBecomeValidLabelValues() {
        assertThat(AppWrapperDefaults.labelValue("system:serviceaccount:ml:trainer")).isEqualTo("system_serviceaccount_ml_trainer");
        assertThat(AppWrapperDefaults.labelValue("alice@example.com")).isEqualTo("alice_example.com");
        assertThat(AppWrapperDefaults.labelValue("-x-")).isEqualTo("x");
        assertThat(AppWrapperDefaults.labelValue("a".repeat(70))).hasSize(63);
    }

    @Test
    void onlyCreatesAreChanged() throws Exception {
        var request = create("{name: aw}", "alice");
        assertThat(new AppWrapperDefaults(null).mutate(new AdmissionReviews.Request("UPDATE", "team", request.object(),
                request.object(), request.userInfo()))).isEmpty();
    }

    @Test
    void aQueuedAppWrapperIsStoredSuspended() throws Exception {
        var patch = new AppWrapperDefaults(null).mutate(create("{name: aw, labels: {kueue.x-k8s.io/queue-name: q}}",
                "{suspend: false, components: []}", "alice"));

        assertThat(patch.toString()).endsWith("{\"op\":\"add\",\"path\":\"/spec/suspend\",\"value\":true}]");
    }

    @Test
    void theDefaultQueueIsGivenOnlyToAppWrappersWithoutOne() throws Exception {
        var defaults = new AppWrapperDefaults("team-queue");

        assertThat(defaults.mutate(create("{name: aw}", "alice")).toString()).isEqualTo(
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"workload.codeflare.dev/user\":\"alice\","
                        + "\"workload.codeflare.dev/userid\":\"5f1c-77\",\"kueue.x-k8s.io/queue-name\":\"team-queue\"}},"
                        + "{\"op\":\"add\",\"path\":\"/spec/suspend\",\"value\":true}]");
        assertThat(defaults.mutate(create("{name: aw, labels: {kueue.x-k8s.io/queue-name: mine}}", "alice")).toString())
                .doesNotContain("team-queue").contains("/spec/suspend");
    }

    @Test
    void anUnqueuedAppWrapperKeepsItsSuspendAsWritten() throws Exception {
        assertThat(new AppWrapperDefaults(null).mutate(create("{name: aw}", "{suspend: false, components: []}", "alice"))
                .toString()).doesNotContain("/spec/suspend");
    }
}
