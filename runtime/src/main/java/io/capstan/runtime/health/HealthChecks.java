package io.capstan.runtime.health;

import io.capstan.runtime.http.HttpExchange;
import io.capstan.runtime.http.Router;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Named liveness and readiness checks served as {@code /healthz} and {@code /readyz}, answering like the
 * Kubernetes components do: {@code ok} (200) or a failure list (500); {@code ?verbose} lists every check.
 */
public final class HealthChecks {

    private final Map<String, BooleanSupplier> liveness = new LinkedHashMap<>();
    private final Map<String, BooleanSupplier> readiness = new LinkedHashMap<>();

    public HealthChecks() {
        liveness.put("ping", () -> true);
        readiness.put("ping", () -> true);
    }

    public synchronized HealthChecks addLivenessCheck(String name, BooleanSupplier check) {
        liveness.put(name, check);
        return this;
    }

    public synchronized HealthChecks addReadinessCheck(String name, BooleanSupplier check) {
        readiness.put(name, check);
        return this;
    }

    public synchronized boolean isReady() {
        return readiness.values().stream().allMatch(BooleanSupplier::getAsBoolean);
    }

    public void install(Router router) {
        router.get("/healthz", exchange -> answer(exchange, "healthz", snapshot(liveness)));
        router.get("/livez", exchange -> answer(exchange, "livez", snapshot(liveness)));
        router.get("/readyz", exchange -> answer(exchange, "readyz", snapshot(readiness)));
    }

    private synchronized Map<String, BooleanSupplier> snapshot(Map<String, BooleanSupplier> checks) {
        return new LinkedHashMap<>(checks);
    }

    private static void answer(HttpExchange exchange, String endpoint, Map<String, BooleanSupplier> checks) {
        boolean verbose = exchange.queryParam("verbose") != null;
        StringBuilder report = new StringBuilder();
        boolean healthy = true;
        for (Map.Entry<String, BooleanSupplier> check : checks.entrySet()) {
            boolean ok;
            try {
                ok = check.getValue().getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            healthy &= ok;
            if (verbose || !ok) {
                report.append(ok ? "[+]" : "[-]").append(check.getKey()).append(ok ? " ok" : " failed").append('\n');
            }
        }
        if (healthy) {
            exchange.respondText(200, verbose ? report + endpoint + " check passed" : "ok");
        } else {
            exchange.respondText(500, report + endpoint + " check failed");
        }
    }
}
