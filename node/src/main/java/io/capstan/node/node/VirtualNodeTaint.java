package io.capstan.node.node;

import io.fabric8.kubernetes.api.model.Taint;
import java.util.Map;
import java.util.Set;

/**
 * The taint that keeps ordinary pods off a virtual node: {@code virtual-kubelet.io/provider=<provider>:NoSchedule}
 * by default, overridable like Virtual Kubelet with {@code VKUBELET_TAINT_KEY}, {@code VKUBELET_TAINT_VALUE} and
 * {@code VKUBELET_TAINT_EFFECT}.
 */
public final class VirtualNodeTaint {

    public static final String DEFAULT_KEY = "virtual-kubelet.io/provider";
    private static final Set<String> EFFECTS = Set.of("NoSchedule", "NoExecute", "PreferNoSchedule");

    private VirtualNodeTaint() {
    }

    public static Taint of(String key, String value, String effect) {
        if (!EFFECTS.contains(effect)) {
            throw new IllegalArgumentException("taint effect '" + effect + "' is not one of NoSchedule, NoExecute, "
                    + "PreferNoSchedule");
        }
        return new Taint(effect, key, null, value);
    }

    /** The default taint for a provider, with the environment's overrides applied. */
    public static Taint forProvider(String provider, Map<String, String> environment) {
        return of(environment.getOrDefault("VKUBELET_TAINT_KEY", DEFAULT_KEY),
                environment.getOrDefault("VKUBELET_TAINT_VALUE", provider),
                environment.getOrDefault("VKUBELET_TAINT_EFFECT", "NoSchedule"));
    }
}
