package io.capstan.queue.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * Resource amounts as Kueue counts them: in thousandths of a unit (so {@code 500m} CPU is 500 and {@code 1Gi} of memory
 * is 1,073,741,824,000), per resource name. A pod's requests are the sum of its containers' (a container's limit stands
 * in for a request it does not state), raised to any init container's, plus the pod overhead, plus one {@code pods}.
 */
public final class Resources {

    public static final String PODS = "pods";

    private Resources() {
    }

    /** A quantity ({@code 2}, {@code 500m}, {@code 1Gi}) in thousandths. */
    public static long milli(String quantity) {
        BigDecimal amount = Quantity.getAmountInBytes(new Quantity(quantity));
        return amount.movePointRight(3).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    }

    public static long milli(JsonNode quantity) {
        return quantity.isNumber() ? quantity.decimalValue().movePointRight(3).longValue() : milli(quantity.asText());
    }

    /** Thousandths back to a quantity string, whole units when they are. */
    public static String format(long milli) {
        return milli % 1000 == 0 ? Long.toString(milli / 1000) : milli + "m";
    }

    /** What one pod of this pod template requests. */
    public static Map<String, Long> perPod(JsonNode podTemplate) {
        JsonNode spec = podTemplate.path("spec");
        Map<String, Long> total = new TreeMap<>();
        for (JsonNode container : spec.path("containers")) {
            containerRequests(container).forEach((name, amount) -> total.merge(name, amount, Long::sum));
        }
        for (JsonNode container : spec.path("initContainers")) {
            containerRequests(container).forEach((name, amount) -> total.merge(name, amount, Math::max));
        }
        spec.path("overhead").fields().forEachRemaining(e -> total.merge(e.getKey(), milli(e.getValue()), Long::sum));
        total.put(PODS, 1000L);
        return total;
    }

    private static Map<String, Long> containerRequests(JsonNode container) {
        Map<String, Long> requests = new TreeMap<>();
        container.path("resources").path("limits").fields()
                .forEachRemaining(e -> requests.put(e.getKey(), milli(e.getValue())));
        container.path("resources").path("requests").fields()
                .forEachRemaining(e -> requests.put(e.getKey(), milli(e.getValue())));
        return requests;
    }

    /** {@code amounts} × {@code count}. */
    public static Map<String, Long> times(Map<String, Long> amounts, int count) {
        Map<String, Long> result = new TreeMap<>();
        amounts.forEach((name, amount) -> result.put(name, amount * count));
        return result;
    }
}
