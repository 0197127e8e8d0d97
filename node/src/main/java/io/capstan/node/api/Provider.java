package io.capstan.node.api;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.InputStream;
import java.net.Socket;
import java.util.List;
import java.util.Optional;

/**
 * A virtual node's back end. Beyond the pod life cycle it may serve the kubelet API's hooks; each hook it does not
 * offer answers 501 through the API. Implement {@link PodNotifier} to report status changes (otherwise the node
 * polls {@link #getPodStatus} every 5 seconds) and {@link NodeProvider} to report back-end health.
 */
public interface Provider extends PodLifecycleHandler {

    /** Short name, used for the default taint {@code virtual-kubelet.io/provider=<name>:NoSchedule}. */
    String name();

    /** Fills in the Node before registration: capacity, allocatable, conditions, node info, labels. */
    default void configureNode(Node node) {
    }

    /** Called once before any pod is handed over, with what the node offers. */
    default void start(NodeContext context) {
    }

    /** Called when the node stops. A provider whose pods are its own children stops them here. */
    default void shutdown() {
    }

    /**
     * The IP the pod will have, when the provider knows it before starting the pod. Lets environment variables
     * use {@code fieldRef: status.podIP}, which Virtual Kubelet cannot resolve.
     */
    default Optional<String> plannedPodIP(Pod pod) {
        return Optional.empty();
    }

    /** The container's log as requested; closing the stream ends a follow. */
    default InputStream containerLogs(String namespace, String pod, String container, ContainerLogOptions options)
            throws Exception {
        throw new NotImplementedException("container logs");
    }

    /** Runs a command in a container and blocks until it ends; a non-zero exit code is an {@link ExitCodeException}. */
    default void runInContainer(String namespace, String pod, String container, List<String> command,
            AttachStreams streams) throws Exception {
        throw new NotImplementedException("exec");
    }

    /** Connects to a running container's main process until the client or the process goes away. */
    default void attachToContainer(String namespace, String pod, String container, AttachStreams streams)
            throws Exception {
        throw new NotImplementedException("attach");
    }

    /**
     * Opens a connection to a port of the pod, for one forwarded connection; the caller pipes bytes both ways and
     * closes the socket when done.
     */
    default Socket portForward(String namespace, String pod, int port) throws Exception {
        throw new NotImplementedException("port forwarding");
    }

    /** The kubelet Summary API object ({@code /stats/summary}). */
    default StatsSummary statsSummary() throws Exception {
        throw new NotImplementedException("stats summary");
    }
}
