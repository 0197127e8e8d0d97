package io.capstan.lambda.apply;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class LastAppliedTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void aCreatedChildRecordsWhatWasAppliedWithSortedKeys() throws Exception {
        ObjectNode created = LastApplied.forCreate(json("{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'b':'2','a':'1'}}"));

        assertThat(created.path("metadata").path("annotations").path(LastApplied.ANNOTATION).asText())
                .isEqualTo("{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}");
    }

    @Test
    void aChildThatAlreadyHasWhatTheHookWantsNeedsNoWrite() throws Exception {
        ObjectNode desired = json("{'kind':'ConfigMap','metadata':{'name':'c','labels':{'app':'x'}},'data':{'a':'1'}}");
        ObjectNode observed = LastApplied.forCreate(desired);
        observed.with("metadata").put("uid", "u-1").put("resourceVersion", "7").put("creationTimestamp", "now");
        observed.with("metadata").with("labels").put("added-by-someone", "else");

        assertThat(LastApplied.forUpdate(observed, desired)).as("out-of-band labels survive without a write").isNull();
    }

    @Test
    void aNumberTheServerEchoesAsAnotherNumberTypeIsNoChange() throws Exception {
        ObjectNode desired = json("{'kind':'Pod','metadata':{'name':'p'},'spec':{'terminationGracePeriodSeconds':1,"
                + "'containers':[{'name':'c','resources':{'limits':{'cpu':0.5}}}]}}");
        ObjectNode observed = LastApplied.forCreate(desired);
        // What the server sent back, read as a long and a decimal of another scale.
        observed.with("spec").put("terminationGracePeriodSeconds", 1L);
        ((ObjectNode) observed.with("spec").withArray("containers").get(0)).with("resources").with("limits")
                .put("cpu", new java.math.BigDecimal("0.50"));

        assertThat(LastApplied.forUpdate(observed, desired)).as("no write, so no Recreate loop").isNull();
        assertThat(LastApplied.firstDifference(observed, LastApplied.forCreate(desired))).isNull();
        desired.with("spec").put("terminationGracePeriodSeconds", 2);
        assertThat(LastApplied.firstDifference(observed, LastApplied.forUpdate(observed, desired)))
                .isEqualTo(".spec.terminationGracePeriodSeconds");
    }

    @Test
    void anUpdateKeepsTheServersMetadataAndStatusAndDropsWhatTheHookStoppedReturning() throws Exception {
        ObjectNode first = json("{'kind':'Pod','metadata':{'name':'p','labels':{'a':'1','b':'2'}},'spec':{'x':1}}");
        ObjectNode observed = LastApplied.forCreate(first);
        observed.with("metadata").put("uid", "u-1").put("resourceVersion", "7");
        observed.putObject("status").put("phase", "Running");

        ObjectNode update = LastApplied.forUpdate(observed,
                json("{'kind':'Pod','metadata':{'name':'p','labels':{'a':'1'},'uid':'forged'},'spec':{'x':2},'status':{}}"));

        assertThat(update.path("metadata").path("labels")).isEqualTo(json("{'a':'1'}"));
        assertThat(update.path("metadata").path("uid").asText()).isEqualTo("u-1");
        assertThat(update.path("metadata").path("resourceVersion").asText()).isEqualTo("7");
        assertThat(update.path("status")).isEqualTo(json("{'phase':'Running'}"));
        assertThat(update.path("spec").path("x").asInt()).isEqualTo(2);
        assertThat(update.path("metadata").path("annotations").path(LastApplied.ANNOTATION).asText())
                .contains("\"x\":2").doesNotContain("forged\",\"x");
    }

    @Test
    void anAdoptedChildWithoutTheAnnotationDiffersOnceForTheAnnotation() throws Exception {
        ObjectNode desired = json("{'kind':'ConfigMap','metadata':{'name':'c'},'data':{'a':'1'}}");
        ObjectNode adopted = desired.deepCopy();

        ObjectNode update = LastApplied.forUpdate(adopted, desired);

        assertThat(update).isNotNull();
        assertThat(LastApplied.forUpdate(update, desired)).isNull();
    }
}
