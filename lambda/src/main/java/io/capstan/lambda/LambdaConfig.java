package io.capstan.lambda;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lambda module's configuration ({@code capstan operator --config lambda=FILE}): Metacontroller's command-line
 * flags as YAML keys.
 *
 * @param targetLabelSelector only CompositeControllers and DecoratorControllers whose labels match run here
 *     (Metacontroller's {@code --target-label-selector}, for sharding controllers over several operators); empty: all
 * @param workers workers per hosted controller (Metacontroller's {@code --workers}, default 5)
 * @param applyStrategy how children are written (Metacontroller's {@code --apply-strategy}): {@code dynamic-apply}
 *     (default; the three-way merge with the last-applied annotation) or {@code server-side-apply}
 * @param ssaFieldManager the field manager of server-side apply (its {@code --apply-strategy-ssa-field-manager},
 *     default {@code metacontroller})
 */
public record LambdaConfig(String targetLabelSelector, Integer workers, String applyStrategy, String ssaFieldManager) {

    public static final String DYNAMIC_APPLY = "dynamic-apply";
    public static final String SERVER_SIDE_APPLY = "server-side-apply";
    public static final LambdaConfig DEFAULTS = new LambdaConfig(null, 5, DYNAMIC_APPLY, "metacontroller");

    public LambdaConfig {
        workers = workers == null ? 5 : workers;
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, not " + workers);
        }
        applyStrategy = applyStrategy == null || applyStrategy.isBlank() ? DYNAMIC_APPLY : applyStrategy.trim();
        if (!applyStrategy.equals(DYNAMIC_APPLY) && !applyStrategy.equals(SERVER_SIDE_APPLY)) {
            throw new IllegalArgumentException("applyStrategy must be " + DYNAMIC_APPLY + " or " + SERVER_SIDE_APPLY
                    + ", not " + applyStrategy);
        }
        ssaFieldManager = ssaFieldManager == null || ssaFieldManager.isBlank() ? "metacontroller" : ssaFieldManager.trim();
        targetLabelSelector = targetLabelSelector == null || targetLabelSelector.isBlank() ? null : targetLabelSelector.trim();
    }

    /** Whether children are written by server-side apply. */
    public boolean serverSideApply() {
        return SERVER_SIDE_APPLY.equals(applyStrategy);
    }

    /**
     * @throws IllegalArgumentException when the file cannot be read or holds an unknown key or bad value
     */
    public static LambdaConfig load(Path file) {
        try {
            String yaml = Files.readString(file);
            if (yaml.isBlank()) {
                return DEFAULTS;
            }
            return new KubernetesSerialization(new ObjectMapper()
                    .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true), false)
                    .unmarshal(yaml, LambdaConfig.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the lambda configuration " + file + " is not valid (keys: "
                    + "targetLabelSelector, workers, applyStrategy, ssaFieldManager): " + io.capstan.runtime.client.ApiErrors.describe(e), e);
        }
    }
}
