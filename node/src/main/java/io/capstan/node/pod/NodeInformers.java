package io.capstan.node.pod;

import io.capstan.node.env.EnvironmentSource;
import io.capstan.runtime.informer.Informers;
import io.capstan.runtime.informer.Selectors;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Optional;

/**
 * The caches a node needs: its own pods (server-side filtered on {@code spec.nodeName}) and, across all
 * namespaces, the ConfigMaps, Secrets and Services pods refer to.
 */
public final class NodeInformers implements EnvironmentSource {

    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<ConfigMap> configMaps;
    private final SharedIndexInformer<Secret> secrets;
    private final SharedIndexInformer<Service> services;

    public NodeInformers(Informers informers, String nodeName) {
        this.pods = informers.clusterWideInformer(Pod.class, Selectors.field("spec.nodeName", nodeName));
        this.configMaps = informers.clusterWideInformer(ConfigMap.class, Selectors.NONE);
        this.secrets = informers.clusterWideInformer(Secret.class, Selectors.NONE);
        this.services = informers.clusterWideInformer(Service.class, Selectors.NONE);
    }

    public SharedIndexInformer<Pod> pods() {
        return pods;
    }

    public SharedIndexInformer<ConfigMap> configMaps() {
        return configMaps;
    }

    public SharedIndexInformer<Secret> secrets() {
        return secrets;
    }

    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
        return Optional.ofNullable(configMaps.getIndexer().getByKey(namespace + "/" + name));
    }

    @Override
    public Optional<Secret> secret(String namespace, String name) {
        return Optional.ofNullable(secrets.getIndexer().getByKey(namespace + "/" + name));
    }

    @Override
    public List<Service> services(String namespace) {
        return services.getIndexer().byIndex("namespace", namespace);
    }

    /** The pods bound to this node, from the cache. */
    public List<Pod> nodePods() {
        return pods.getStore().list();
    }

    public Optional<Pod> pod(String namespace, String name) {
        return Optional.ofNullable(pods.getIndexer().getByKey(namespace + "/" + name));
    }
}
