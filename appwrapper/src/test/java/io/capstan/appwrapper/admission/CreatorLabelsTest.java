package io.capstan.appwrapper.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capstan.runtime.webhook.AdmissionReviews;
import org.junit.jupiter.api.Test;

class CreatorLabelsTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static AdmissionReviews.Request create(String metadata, String username) throws Exception {
        JsonNode object = YAML.readTree("apiVersion: workload.codeflare.dev/v1beta2\nkind: AppWrapper\nmetadata: "
                + metadata + "\nspec: {components: []}\n");
        JsonNode user = YAML.readTree("{username: '" + username + "', uid: 5f1c-77}");
        return new AdmissionReviews.Request("CREATE", "team", object, null, user);
    }

    @Test
    void anAppWrapperWithoutLabelsGetsItsCreatorsAsItsOnlyLabels() throws Exception {
        assertThat(new CreatorLabels().mutate(create("{name: aw}", "alice")).toString()).isEqualTo(
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"workload.codeflare.dev/user\":\"alice\","
                        + "\"workload.codeflare.dev/userid\":\"5f1c-77\"}}]");
    }

    @Test
    void theCreatorOverwritesWhatTheManifestClaimsAndOtherLabelsStay() throws Exception {
        var patch = new CreatorLabels().mutate(create("{name: aw, labels: {workload.codeflare.dev/user: mallory, "
                + "team: ml}}", "alice"));

        assertThat(patch.toString()).isEqualTo("[{\"op\":\"add\",\"path\":\"/metadata/labels/workload.codeflare.dev~1user\","
                + "\"value\":\"alice\"},{\"op\":\"add\",\"path\":\"/metadata/labels/workload.codeflare.dev~1userid\","
                + "\"value\":\"5f1c-77\"}]");
    }

    @Test
    void userNamesBecomeValidLabelValues() {
        assertThat(CreatorLabels.labelValue("system:serviceaccount:ml:trainer")).isEqualTo("system_serviceaccount_ml_trainer");
        assertThat(CreatorLabels.labelValue("alice@example.com")).isEqualTo("alice_example.com");
        assertThat(CreatorLabels.labelValue("-x-")).isEqualTo("x");
        assertThat(CreatorLabels.labelValue("a".repeat(70))).hasSize(63);
    }

    @Test
    void onlyCreatesAreChanged() throws Exception {
        var request = create("{name: aw}", "alice");
        assertThat(new CreatorLabels().mutate(new AdmissionReviews.Request("UPDATE", "team", request.object(),
                request.object(), request.userInfo()))).isEmpty();
    }
}
