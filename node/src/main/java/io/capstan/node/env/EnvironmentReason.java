package io.capstan.node.env;

import io.capstan.runtime.events.EventReason;

/** Events about a pod's environment references, with Virtual Kubelet's reason strings. */
public enum EnvironmentReason implements EventReason {
    OptionalConfigMapNotFound,
    OptionalConfigMapKeyNotFound,
    FailedToReadOptionalConfigMap,
    OptionalSecretNotFound,
    OptionalSecretKeyNotFound,
    FailedToReadOptionalSecret,
    MandatoryConfigMapNotFound,
    MandatoryConfigMapKeyNotFound,
    FailedToReadMandatoryConfigMap,
    MandatorySecretNotFound,
    MandatorySecretKeyNotFound,
    FailedToReadMandatorySecret,
    InvalidEnvironmentVariableNames,
    /** Capstan's addition: a field reference cannot be resolved (e.g. an unsupported field path). */
    UnresolvableFieldReference;

    @Override
    public String reason() {
        return name();
    }

    @Override
    public Type type() {
        return Type.Warning;
    }
}
