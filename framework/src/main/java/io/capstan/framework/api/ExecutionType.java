package io.capstan.framework.api;

/** Start or stop the whole Framework. An empty value behaves as Start, as in FrameworkController. */
public enum ExecutionType {
    Create,
    Start,
    Stop;

    public static ExecutionType of(String value) {
        if ("Create".equals(value)) {
            return Create;
        }
        if ("Stop".equals(value)) {
            return Stop;
        }
        return Start;
    }
}
