package io.capstan.runtime.controller;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/** Matches labels against a {@code metav1.LabelSelector} as Kubernetes does ({@code LabelSelectorAsSelector}). */
public final class LabelSelectors {

    private LabelSelectors() {
    }

    /**
     * True when {@code labels} satisfy every {@code matchLabels} entry and {@code matchExpressions} requirement; a
     * null selector matches nothing, an empty one everything.
     *
     * @throws IllegalArgumentException for an operator Kubernetes does not know, or values it does not allow
     */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> have = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> wanted : selector.getMatchLabels().entrySet()) {
                if (!wanted.getValue().equals(have.get(wanted.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
                if (!matches(requirement, have)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** True when the selector has neither labels nor expressions (it would select everything). */
    public static boolean isEmpty(LabelSelector selector) {
        return selector == null || ((selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty()));
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String key = requirement.getKey();
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        String operator = requirement.getOperator();
        return switch (operator == null ? "" : operator) {
            case "In" -> {
                requireValues(requirement, values, true);
                yield labels.containsKey(key) && values.contains(labels.get(key));
            }
            case "NotIn" -> {
                requireValues(requirement, values, true);
                yield !labels.containsKey(key) || !values.contains(labels.get(key));
            }
            case "Exists" -> {
                requireValues(requirement, values, false);
                yield labels.containsKey(key);
            }
            case "DoesNotExist" -> {
                requireValues(requirement, values, false);
                yield !labels.containsKey(key);
            }
            default -> throw new IllegalArgumentException("\"" + operator + "\" is not a valid label selector operator "
                    + "(In, NotIn, Exists, DoesNotExist)");
        };
    }

    private static void requireValues(LabelSelectorRequirement requirement, List<String> values, boolean needed) {
        if (needed == values.isEmpty()) {
            throw new IllegalArgumentException("the " + requirement.getOperator() + " requirement on '"
                    + requirement.getKey() + "' " + (needed ? "needs values" : "takes no values"));
        }
    }
}
