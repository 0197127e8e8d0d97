package io.capstan.runtime.operator;

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
 * A module's CRDs, installed the way FrameworkController and Metacontroller install theirs at start: create what is
 * absent, bring a CRD whose spec differs up to this version's, then wait until each is Established.
 */
public final class Crds {

    private static final Logger log = LoggerFactory.getLogger(Crds.class);

    private Crds() {
    }

    /** A CRD kept as a YAML resource next to {@code anchor} (generated from the Java model, with a drift test). */
    public static CustomResourceDefinition load(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the CRD " + resource + " is missing from the jar beside " + anchor.getName());
            }
            return new KubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the CRD " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * @throws IllegalStateException when the CRD does not become Established in time
     */
    public static void ensure(KubernetesClient client, CustomResourceDefinition wanted, Duration checkInterval,
            Duration timeout) throws InterruptedException {
        String name = wanted.getMetadata().getName();
        var crds = client.apiextensions().v1().customResourceDefinitions();
        CustomResourceDefinition existing = crds.withName(name).get();
        if (existing == null) {
            crds.resource(wanted).create();
            log.info("Created CRD {}", name);
        } else if (!Objects.equals(existing.getSpec(), wanted.getSpec())) {
            existing.setSpec(wanted.getSpec());
            crds.resource(existing).update();
            log.info("Updated CRD {} to this version's schema", name);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!established(crds.withName(name).get())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("CRD " + name + " did not become Established within " + timeout.toSeconds()
                        + "s; see its status conditions (kubectl get crd " + name + " -o yaml)");
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
