package io.capstan.node.env;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import java.util.List;
import java.util.Optional;

/** Where referenced objects are read from: normally the node's informer caches. */
public interface EnvironmentSource {

    Optional<ConfigMap> configMap(String namespace, String name);

    Optional<Secret> secret(String namespace, String name);

    /** Services of a namespace. */
    List<Service> services(String namespace);
}
