package io.capstan.runtime.events;

/**
 * A fixed Event reason. Each module lists its reasons in one enum implementing this interface, so every Event a
 * user can see is documented in one place and dashboards can rely on the reason strings.
 */
public interface EventReason {

    enum Type {
        Normal,
        Warning
    }

    /** The reason string, e.g. {@code ProviderCreateSuccess}. */
    String reason();

    Type type();
}
