package io.capstan.node.pod;

import io.capstan.runtime.events.EventReason;

/** Events the pod controller records on pods (Virtual Kubelet's reasons, plus Capstan's give-up reason). */
public enum PodReason implements EventReason {
    ProviderCreateSuccess(Type.Normal),
    ProviderCreateFailed(Type.Warning),
    ProviderUpdateSuccess(Type.Normal),
    ProviderUpdateFailed(Type.Warning),
    ProviderDeleteSuccess(Type.Normal),
    ProviderDeleteFailed(Type.Warning),
    /** Capstan: creation failed too often; the pod is marked Failed instead of staying Pending forever. */
    ProviderGaveUp(Type.Warning);

    private final Type type;

    PodReason(Type type) {
        this.type = type;
    }

    @Override
    public String reason() {
        return name();
    }

    @Override
    public Type type() {
        return type;
    }
}
