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
import java.util.function.Consumer;

/**
 * Capstan's watch over a plain HTTP stream, as client-go watches: one JSON event per line of a chunked response.
 * A WebSocket watch costs the API server more per event (a watching writer got 20–30 % fewer writes from it than a
 * bare one, 8–10 % more with HTTP watches). fabric8's own {@code WatchHTTPManager} finds the line ends by decoding
 * each chunk to characters and appending them one by one to a synchronized {@code StringBuffer}; this class finds
 * them in the bytes and decodes each whole line once. Like client-go's reflector it reads on while earlier events are
 * still being handled, so the handlers never keep the server waiting. Reconnects, bookmarks and 410 Gone are
 * fabric8's.
 *
 * <p>It lives in fabric8's package because the watch life cycle it plugs into ({@link AbstractWatchManager}'s
 * constructor, {@code watchEnded}, the request state) is package-private there. Written against fabric8 7.9.0, with
 * the rest of Capstan's use of fabric8 internals in {@code io.capstan.runtime.fabric8}, whose
 * {@code Fabric8InternalsTest} fails when fabric8 is upgraded.
 */
public final class ByteLineHttpWatch<T extends HasMetadata> extends AbstractWatchManager<T> {

    private static final Runnable NOTHING = () -> { };

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
            // Read on while the events are decoded and handled, as client-go's reflector does, rather than ask for the
            // next chunk once they were handled (fabric8's way): the API server closes a watch it cannot write to in
            // time, so the events wait here instead, in order.
            lines.split(chunks, line -> onMessage(line, state, NOTHING));
            stream.consume();
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
     * A watch that ended as watches do, after it brought events, starts again at once from the last of them, as
     * client-go's does; fabric8 waits its reconnect interval (a second) first. Ends are not rare: in a 10,000-pod
     * burst the API server closed a node's pod watch every 0.2–8 s (cleanly, WebSocket or HTTP alike), and in each
     * second without it the node did not see its own status writes come back. The informer's own restart every few
     * minutes ends a watch too. Failures, error statuses and watches that brought nothing keep fabric8's back-off.
     */
    @Override
    void watchEnded(Throwable failure, WatchRequestState state) {
        boolean routine = (failure == null || state.closed.get()) && state != refused && state.messageReceived.get();
        if (!routine || state != latestRequestState || isForceClosed()) {
            super.watchEnded(failure, state);
            return;
        }
        state.ended.complete(null);
        if (state.reconnected.compareAndSet(false, true)) {
            // After the events already read: the next watch starts from the last of them, so none comes twice.
            serialExecutor.execute(this::reconnect);
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
        // Only a stream still open: resetting one that has ended closes its connection, which the client has by then
        // given to another request (a node's status write failed that way and was sent again, then refused as stale).
        if (body != null && !body.done().isDone()) {
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
