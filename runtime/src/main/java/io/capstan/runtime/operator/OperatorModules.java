package io.capstan.runtime.operator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/** The modules on the class path, and the choice of which of them an operator runs. */
public final class OperatorModules {

    private OperatorModules() {
    }

    /** Every module on the class path, by name. */
    public static List<OperatorModule> discover() {
        List<OperatorModule> modules = new ArrayList<>();
        ServiceLoader.load(OperatorModule.class).forEach(modules::add);
        modules.sort(Comparator.comparing(OperatorModule::name));
        return List.copyOf(modules);
    }

    /**
     * The modules to run: all of them, or only {@code enable} when it is not empty, less {@code disable}; each
     * configured from its file in {@code configs} (module name to file).
     *
     * @throws IllegalArgumentException when a name is not a module's, or nothing would be left to run
     */
    public static List<OperatorModule> select(List<OperatorModule> available, Set<String> enable, Set<String> disable,
            Map<String, Path> configs) throws IOException {
        Map<String, OperatorModule> byName = new LinkedHashMap<>();
        available.forEach(module -> byName.put(module.name(), module));
        Set<String> named = new TreeSet<>(enable);
        named.addAll(disable);
        named.addAll(configs.keySet());
        for (String name : named) {
            if (!byName.containsKey(name)) {
                throw new IllegalArgumentException("there is no module '" + name + "'; the modules are "
                        + String.join(", ", byName.keySet()));
            }
        }
        List<OperatorModule> selected = new ArrayList<>();
        for (OperatorModule module : byName.values()) {
            boolean wanted = (enable.isEmpty() || enable.contains(module.name())) && !disable.contains(module.name());
            if (!wanted) {
                if (configs.containsKey(module.name())) {
                    throw new IllegalArgumentException("a configuration file is given for the module '" + module.name()
                            + "', which is not enabled");
                }
                continue;
            }
            Path config = configs.get(module.name());
            selected.add(config == null ? module : module.configuredFrom(config));
        }
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no module left to run (enabled: " + (enable.isEmpty() ? "all" : enable)
                    + ", disabled: " + disable + ")");
        }
        return List.copyOf(selected);
    }
}
