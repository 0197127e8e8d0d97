package io.capstan.node.api;

import java.time.Instant;

/**
 * What {@code kubectl logs} asked for. Null means "not set" (unlike Virtual Kubelet, where 0 and unset cannot be
 * told apart).
 *
 * @param tailLines only the last lines, or null for all
 * @param limitBytes stop after this many bytes, or null
 * @param since only lines written at or after this instant, or null
 */
public record ContainerLogOptions(Integer tailLines, Long limitBytes, Instant since, boolean timestamps, boolean follow,
        boolean previous) {

    public static final ContainerLogOptions ALL = new ContainerLogOptions(null, null, null, false, false, false);
}
