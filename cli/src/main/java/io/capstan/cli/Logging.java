package io.capstan.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Sets the log level of Capstan's own loggers (libraries stay at WARN). */
public final class Logging {

    private Logging() {
    }

    public static void setLevel(String level) {
        Level parsed = Level.toLevel(level, null);
        if (parsed == null) {
            throw new IllegalArgumentException("unknown log level '" + level + "'; use error, warn, info, debug or trace");
        }
        ((Logger) LoggerFactory.getLogger("io.capstan")).setLevel(parsed);
    }

    static boolean isDebug() {
        return ((Logger) LoggerFactory.getLogger("io.capstan")).isDebugEnabled();
    }
}
