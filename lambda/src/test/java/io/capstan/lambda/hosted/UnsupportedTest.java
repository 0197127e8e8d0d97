package io.capstan.lambda.hosted;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class UnsupportedTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void whatCapstanDoesNotActOnYetIsNamed() throws Exception {
        var spec = JSON.readTree("""
                {"hooks": {"sync": {"webhook": {"url": "http://h/sync", "authorization": {"type": "Bearer"},
                                                "etag": {"enabled": true}}},
                           "customize": {"webhook": {"url": "http://h/customize", "basicAuth": {}}}},
                 "endpointConfigs": [{"host": "h"}],
                 "childResources": [{"apiVersion": "v1", "resource": "pods", "updateStrategy": {"method": "RollingRecreate"}},
                                    {"apiVersion": "v1", "resource": "configmaps", "updateStrategy": {"method": "InPlace"}}]}
                """);

        assertThat(Unsupported.in(spec)).containsExactly("spec.childResources[0].updateStrategy.method RollingRecreate");
    }

    @Test
    void aPlainControllerHasNone() throws Exception {
        assertThat(Unsupported.in(JSON.readTree("""
                {"hooks": {"sync": {"version": "v2", "webhook": {"url": "http://h/sync", "timeout": "5s"}}},
                 "childResources": [{"apiVersion": "v1", "resource": "configmaps", "updateStrategy": {"method": "Recreate"}}],
                 "generateSelector": true, "resyncPeriodSeconds": 30}
                """))).isEmpty();
    }
}
