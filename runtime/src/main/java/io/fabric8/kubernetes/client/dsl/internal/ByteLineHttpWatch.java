package io.fabric8.kubernetes.client.dsl.internal;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Capstan's watch over a plain HTTP stream, as client-go watches: one JSON event per line of a chunked response.
 * A WebSocket watch costs the API server more per event (a watching writer got 20–30 % fewer writes from it than a
 * bare one, 8–10 % more with HTTP watches). fabric8's own {@code WatchHTTPManager} finds the line ends by decoding
 * each chunk to characters and appending them one by one to a synchronized {@code StringBuffer}; this class finds
 * them in the bytes and decodes each whole line once. Reconnects, bookmarks, 410 Gone and back-pressure (the next
 * chunk is asked for once this one's events are handled) are fabric8's, unchanged.
 *
 * <p>It lives in fabric8's package because the watch life cycle it plugs into ({@link AbstractWatchManager}'s
 * constructor, {@code watchEnded}, the request state) is package-private there.
 */
public final class ByteLineHttpWatch<T extends HasMetadata> extends AbstractWatchManager<T> {

    /** A watch that lasted at least this long before it ended is restarted without a pause. */
    private static final long ROUTINE_WATCH_NANOS = 2_000_000_000L;

    // Set from start(), which the superclass constructor already calls: no initialisers here, or they would reset them.
    private CompletableFuture<HttpResponse<AsyncBody>> call;
    private volatile AsyncBody body;
    /** The request an error status ended, if any. */
    private volatile WatchRequestState refused;

    private ByteLineHttpWatch(BaseOperation<T, ?, ?> operation, ListOptions options, Watcher<T> watcher)
            throws MalformedURLException {
        super(watcher, operation, options, operation.getRequestConfig().getWatchReconnectLimit(),
                operation.getRequestConfig().getWatchReconnectInterval(), operation.httpClient);
    }

    /**
     * Starts watching what {@code operation} lists (its namespace and selectors), from the options' resourceVersion.
     *
     * @param operation a fabric8 resource operation, as an informer's lister-watcher is
     */
    public static <T extends HasMetadata> CompletableFuture<AbstractWatchManager<T>> submit(Object operation,
            ListOptions options, Watcher<T> watcher) {
        @SuppressWarnings("unchecked")
        BaseOperation<T, ?, ?> resources = (BaseOperation<T, ?, ?>) operation;
        OperationContext context = resources.getOperationContext();
        options.setWatch(true);
        String fields = context.getFieldQueryParam();
        if (fields != null) {
            options.setFieldSelector(fields);
        }
        String labels = context.getLabelQueryParam();
        if (labels != null) {
            options.setLabelSelector(labels);
        }
        try {
            return CompletableFuture.completedFuture(new ByteLineHttpWatch<>(resources, options, watcher));
        } catch (MalformedURLException e) {
            return CompletableFuture.failedFuture(KubernetesClientException.launderThrowable(e));
        }
    }

    @Override
    protected synchronized void start(URL url, Map<String, String> headers, WatchRequestState state) {
        HttpRequest.Builder request = client.newHttpRequestBuilder().url(url).forStreaming();
        headers.forEach(request::header);
        Lines lines = new Lines();
        call = client.consumeBytes(request.build(), (chunks, stream) -> {
            state.started.set(true);
            // One count for this loop and one per event: the next chunk is asked for when all are handled.
            AtomicInteger pending = new AtomicInteger(1);
            Runnable handled = () -> {
                if (pending.decrementAndGet() == 0) {
                    stream.consume();
                }
            };
            lines.split(chunks, line -> {
                pending.incrementAndGet();
                onMessage(line, state, handled);
            });
            handled.run();
        });
        call.whenComplete((response, failure) -> {
            if (failure != null) {
                watchEnded(failure, state);
            }
            if (response == null) {
                return;
            }
            body = response.body();
            if (!response.isSuccessful()) {
                Status status = OperationSupport.createStatus(response.code(), response.message());
                if (!onStatus(status, state)) {
                    watchEnded(new KubernetesClientException(status), state);
                }
                return;
            }
            resetReconnectAttempts(state);
            body.consume();
            body.done().whenComplete((done, error) -> watchEnded(error, state));
        });
    }

    /**
     * A watch that ended as watches do (the server's timeout, or the informer closing it to start afresh every few
     * minutes) starts again at once, as client-go's does; fabric8 waits its reconnect interval (a second), in which
     * a node would not see its own status writes come back and its next write would be refused as stale. Failures,
     * and ends that come too soon to be routine, keep fabric8's back-off.
     */
    @Override
    void watchEnded(Throwable failure, WatchRequestState state) {
        boolean routine = (failure == null || state.closed.get()) && state != refused && state.messageReceived.get()
                && System.nanoTime() - state.startedAtNs >= ROUTINE_WATCH_NANOS;
        if (!routine || state != latestRequestState || isForceClosed()) {
            super.watchEnded(failure, state);
            return;
        }
        state.ended.complete(null);
        if (state.reconnected.compareAndSet(false, true)) {
            reconnect();
        }
    }

    /** An error status (say 429 or 500) ends the request it came in; fabric8's back-off applies to that one. */
    @Override
    protected boolean onStatus(Status status, WatchRequestState state) {
        refused = state;
        return super.onStatus(status, state);
    }

    @Override
    protected synchronized void closeCurrentRequest() {
        if (call != null) {
            call.cancel(true);
        }
        if (body != null) {
            body.cancel();
        }
    }

    /** Cuts a byte stream into UTF-8 lines; a line may span chunks (and a character may too). */
    static final class Lines {
        private byte[] line = new byte[8192];
        private int length;

        void split(List<ByteBuffer> chunks, Consumer<String> onLine) {
            for (ByteBuffer chunk : chunks) {
                int position = chunk.position();
                int limit = chunk.limit();
                while (position < limit) {
                    int end = position;
                    while (end < limit && chunk.get(end) != '\n') {
                        end++;
                    }
                    append(chunk, position, end - position);
                    if (end == limit) {
                        break;
                    }
                    if (length > 0) {
                        onLine.accept(new String(line, 0, length, StandardCharsets.UTF_8));
                        length = 0;
                    }
                    position = end + 1;
                }
                chunk.position(limit);
            }
        }

        private void append(ByteBuffer chunk, int from, int count) {
            if (length + count > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, length + count));
            }
            chunk.get(from, line, length, count);
            length += count;
        }
    }
}
