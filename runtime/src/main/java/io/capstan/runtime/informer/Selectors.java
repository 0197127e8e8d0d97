package io.capstan.runtime.informer;

import java.util.Map;
import java.util.TreeMap;

/** Server-side label and field selectors that narrow what an informer lists and watches. */
public record Selectors(String labels, Map<String, String> fields) {

    public static final Selectors NONE = new Selectors(null, Map.of());

    public Selectors {
        fields = new TreeMap<>(fields);
    }

    public static Selectors labels(String labelSelector) {
        return new Selectors(labelSelector, Map.of());
    }

    public static Selectors field(String field, String value) {
        return new Selectors(null, Map.of(field, value));
    }
}
