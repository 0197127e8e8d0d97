package io.capstan.framework.api;

import io.capstan.runtime.operator.Crds;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/**
 * The Framework CRD (also in {@code deploy/crds/}) and its self-registration, as FrameworkController does it at
 * start: create it if absent, bring its spec up to date if it differs, then wait until it is Established.
 */
public final class FrameworkCrd {

    public static final String NAME = "frameworks.frameworkcontroller.microsoft.com";

    private FrameworkCrd() {
    }

    public static CustomResourceDefinition definition() {
        return Crds.load(FrameworkCrd.class, NAME + ".yaml");
    }

    /**
     * @throws IllegalStateException when the CRD does not become Established in time
     */
    public static void ensure(KubernetesClient client, Duration checkInterval, Duration timeout) throws InterruptedException {
        Crds.ensure(client, definition(), checkInterval, timeout);
    }
}
