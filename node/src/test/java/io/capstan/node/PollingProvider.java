package io.capstan.node;

import io.capstan.node.api.ContainerLogOptions;
import io.capstan.node.api.Provider;
import io.capstan.node.provider.mock.MockProvider;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/** The mock provider without notifications: the node has to poll it, like Virtual Kubelet's sync providers. */
final class PollingProvider implements Provider {

    final MockProvider delegate;

    PollingProvider(MockProvider delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return "polling";
    }

    @Override
    public void configureNode(Node node) {
        delegate.configureNode(node);
    }

    @Override
    public Optional<String> plannedPodIP(Pod pod) {
        return delegate.plannedPodIP(pod);
    }

    @Override
    public void createPod(Pod pod) {
        delegate.createPod(pod);
    }

    @Override
    public void updatePod(Pod pod) {
        delegate.updatePod(pod);
    }

    @Override
    public void deletePod(Pod pod) {
        delegate.deletePod(pod);
    }

    @Override
    public Optional<Pod> getPod(String namespace, String name) {
        return delegate.getPod(namespace, name);
    }

    @Override
    public Optional<PodStatus> getPodStatus(String namespace, String name) {
        return delegate.getPodStatus(namespace, name);
    }

    @Override
    public List<Pod> getPods() {
        return delegate.getPods();
    }

    @Override
    public InputStream containerLogs(String namespace, String pod, String container, ContainerLogOptions options) {
        return delegate.containerLogs(namespace, pod, container, options);
    }
}
