package io.capstan.runtime.fabric8;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.internal.AbstractWatchManager;
import io.fabric8.kubernetes.client.dsl.internal.ByteLineHttpWatch;
import io.fabric8.kubernetes.client.informers.impl.ListerWatcher;
import java.util.concurrent.CompletableFuture;

/**
 * An informer's lists and watches, made as client-go's reflector makes them.
 * <ul>
 * <li>The first page of a list asks for {@code resourceVersion=0} ("any version the server has"), which the server
 * answers from its watch cache, whole. fabric8's reflector asks without a resourceVersion, which the server must
 * answer from etcd page by page; under load those pages queue behind every write and a re-LIST of 10,000 objects
 * outlasted the request timeout. Pages after the first (when a server does page from its cache) go through
 * unchanged.
 * <li>Watches are HTTP streams ({@link ByteLineHttpWatch}), not fabric8's WebSockets: each event costs the API
 * server less to send.
 * </ul>
 */
record ClientGoRequests<T extends HasMetadata, L>(ListerWatcher<T, L> delegate) implements ListerWatcher<T, L> {

    static final String ANY_VERSION = "0";

    @Override
    public CompletableFuture<L> submitList(ListOptions options) {
        boolean firstPage = options.getContinue() == null || options.getContinue().isEmpty();
        if (firstPage && options.getResourceVersion() == null) {
            return delegate.submitList(new ListOptionsBuilder(options).withResourceVersion(ANY_VERSION).build());
        }
        return delegate.submitList(options);
    }

    @Override
    public CompletableFuture<AbstractWatchManager<T>> submitWatch(ListOptions options, Watcher<T> watcher) {
        return ByteLineHttpWatch.submit(delegate, options, watcher);
    }

    @Override
    public Long getLimit() {
        return delegate.getLimit();
    }

    @Override
    public int getWatchReconnectInterval() {
        return delegate.getWatchReconnectInterval();
    }

    @Override
    public String getApiEndpointPath() {
        return delegate.getApiEndpointPath();
    }

    @Override
    public Config getConfig() {
        return delegate.getConfig();
    }
}
