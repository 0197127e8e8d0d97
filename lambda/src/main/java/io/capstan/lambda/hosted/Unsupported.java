package io.capstan.lambda.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The parts of a CompositeController spec that Capstan does not act on yet. A controller that uses one does not
 * start (a CreateError Event names them), rather than run without what its author relies on.
 */
final class Unsupported {

    private static final Set<String> ROLLING = Set.of("RollingRecreate", "RollingInPlace");

    private Unsupported() {
    }

    static List<String> in(JsonNode spec) {
        List<String> found = new ArrayList<>();
        JsonNode children = spec.path("childResources");
        for (int i = 0; i < children.size(); i++) {
            String method = children.get(i).path("updateStrategy").path("method").asText("");
            if (ROLLING.contains(method)) {
                found.add("spec.childResources[" + i + "].updateStrategy.method " + method);
            }
        }
        return found;
    }
}
