package io.capstan.runtime.client;

/** The API server named by the client configuration did not answer. */
public final class ClusterUnreachableException extends RuntimeException {

    public ClusterUnreachableException(String server, String cause, Throwable error) {
        super("cannot reach the Kubernetes API server at " + server + ": " + cause + ". Check --kubeconfig or "
                + "$KUBECONFIG (current context and server address), or start the embedded cluster with "
                + "'./capstan up'.", error);
    }
}
