package io.capstan.cli;

import io.capstan.cluster.ControlPlane;
import io.capstan.cluster.LocalCluster;
import java.util.List;

/** What {@code capstan up} runs next to the control plane. */
final class Addons {

    private Addons() {
    }

    static List<LocalCluster.Addon> start(ControlPlane plane) {
        return List.of();
    }
}
