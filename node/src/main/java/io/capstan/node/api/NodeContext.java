package io.capstan.node.api;

import io.capstan.node.env.EnvironmentSource;
import io.capstan.runtime.events.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;

/**
 * What a node offers its provider once it starts: the ConfigMaps, Secrets and Services its pods refer to (from the
 * node's caches), an API client (e.g. for service-account tokens), a recorder for Events about pods, and the API
 * server's address as the node reaches it.
 */
public record NodeContext(String nodeName, String nodeAddress, KubernetesClient client, EnvironmentSource objects,
        EventRecorder events, URI apiServer) {
}
