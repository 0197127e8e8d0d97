package io.capstan.testkit;

import io.capstan.runtime.operator.Crds;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.Locale;

/** Throw-away custom resources for tests: the parents of lambda controllers, as Metacontroller's own tests use. */
public final class TestCrds {

    private TestCrds() {
    }

    /**
     * Installs (if missing) and waits for a namespaced kind {@code group/v1 KIND} with the status subresource and
     * free-form {@code spec} and {@code status}; its plural is the lowercase kind plus "s".
     */
    public static void namespacedWithStatus(KubernetesClient client, String group, String kind)
            throws InterruptedException {
        String singular = kind.toLowerCase(Locale.ROOT);
        String plural = singular + "s";
        CustomResourceDefinition crd = new KubernetesSerialization().unmarshal("""
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: %s.%s}
                spec:
                  group: %s
                  scope: Namespaced
                  names: {kind: %s, plural: %s, singular: %s, listKind: %sList}
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    subresources: {status: {}}
                    schema:
                      openAPIV3Schema:
                        type: object
                        properties:
                          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
                          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
                """.formatted(plural, group, group, kind, plural, singular, kind), CustomResourceDefinition.class);
        Crds.ensure(client, crd, Duration.ofMillis(100), Duration.ofSeconds(30));
    }
}
