package io.capstan.framework.api;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Framework CRD (also in {@code deploy/crds/}) and its self-registration, as FrameworkController does it at
 * start: create it if absent, bring its spec up to date if it differs, then wait until it is Established.
 */
public final class FrameworkCrd {

    private static final Logger log = LoggerFactory.getLogger(FrameworkCrd.class);
    public static final String NAME = "frameworks.frameworkcontroller.microsoft.com";

    private FrameworkCrd() {
    }

    public static CustomResourceDefinition definition() {
        try (InputStream in = FrameworkCrd.class.getResourceAsStream(NAME + ".yaml")) {
            return new KubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new IllegalStateException("the Framework CRD is missing from the jar", e);
        }
    }

    /**
     * @throws IllegalStateException when the CRD does not become Established in time
     */
    public static void ensure(KubernetesClient client, Duration checkInterval, Duration timeout) throws InterruptedException {
        CustomResourceDefinition wanted = definition();
        var crds = client.apiextensions().v1().customResourceDefinitions();
        CustomResourceDefinition existing = crds.withName(NAME).get();
        if (existing == null) {
            crds.resource(wanted).create();
            log.info("Created CRD {}", NAME);
        } else if (!Objects.equals(existing.getSpec(), wanted.getSpec())) {
            existing.setSpec(wanted.getSpec());
            crds.resource(existing).update();
            log.info("Updated CRD {} to this version's schema", NAME);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!established(crds.withName(NAME).get())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("CRD " + NAME + " did not become Established within " + timeout.toSeconds() + "s");
            }
            Thread.sleep(checkInterval.toMillis());
        }
    }

    private static boolean established(CustomResourceDefinition crd) {
        if (crd == null || crd.getStatus() == null || crd.getStatus().getConditions() == null) {
            return false;
        }
        for (CustomResourceDefinitionCondition condition : crd.getStatus().getConditions()) {
            if ("Established".equals(condition.getType()) && "True".equals(condition.getStatus())) {
                return true;
            }
        }
        return false;
    }
}
