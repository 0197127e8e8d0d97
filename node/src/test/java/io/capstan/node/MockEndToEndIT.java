package io.capstan.node;

import io.capstan.node.api.Provider;
import io.capstan.testkit.EmbeddedCluster;

/** The Virtual Kubelet end-to-end suite against the mock provider. */
@EmbeddedCluster
class MockEndToEndIT extends EndToEndSuite {

    @Override
    Provider newProvider(NodeFixture fixture) {
        return fixture.mock();
    }
}
