package io.capstan.runtime.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One request and its response. A handler answers exactly once: {@link #respond}, {@link #stream} (a chunked body
 * written as it is produced) or {@link #upgrade} (the connection switches protocol, e.g. to SPDY).
 */
public final class HttpExchange {

    private final ChannelHandlerContext ctx;
    private final FullHttpRequest request;
    private final QueryStringDecoder uri;
    private final Map<String, String> pathVariables;
    private final byte[] body;
    private final boolean keepAlive;
    private boolean answered;

    HttpExchange(ChannelHandlerContext ctx, FullHttpRequest request, Map<String, String> pathVariables) {
        this.ctx = ctx;
        this.request = request;
        this.uri = new QueryStringDecoder(request.uri());
        this.pathVariables = pathVariables;
        this.body = ByteBufUtil.getBytes(request.content());
        this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    public HttpMethod method() {
        return request.method();
    }

    public String path() {
        return uri.path();
    }

    public String rawUri() {
        return request.uri();
    }

    public HttpHeaders headers() {
        return request.headers();
    }

    public byte[] body() {
        return body;
    }

    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** A {@code {name}} segment of the matched route. */
    public String pathVariable(String name) {
        return pathVariables.get(name);
    }

    /** All values of a query parameter (empty when absent). */
    public List<String> queryParams(String name) {
        return uri.parameters().getOrDefault(name, List.of());
    }

    /** The first value of a query parameter, or null. */
    public String queryParam(String name) {
        List<String> values = queryParams(name);
        return values.isEmpty() ? null : values.getFirst();
    }

    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    /** The client's certificate chain when it presented one over TLS, else an empty array. */
    public X509Certificate[] clientCertificates() {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return new X509Certificate[0];
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            X509Certificate[] x509 = new X509Certificate[chain.length];
            for (int i = 0; i < chain.length; i++) {
                x509[i] = (X509Certificate) chain[i];
            }
            return x509;
        } catch (SSLPeerUnverifiedException e) {
            return new X509Certificate[0];
        }
    }

    public boolean isClientConnected() {
        return ctx.channel().isActive();
    }

    /** Runs the action when the client's connection closes (e.g. to stop following a log). */
    public void onClose(Runnable action) {
        ctx.channel().closeFuture().addListener(f -> action.run());
    }

    public void respond(int status, String contentType, byte[] content) {
        markAnswered();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(content));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(response, content.length);
        finish(response, HttpMethod.HEAD.equals(request.method()));
    }

    public void respondText(int status, String text) {
        respond(status, "text/plain; charset=utf-8", (text + (text.endsWith("\n") ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
    }

    public void respondJson(int status, String json) {
        respond(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private void finish(HttpResponse response, boolean headOnly) {
        if (keepAlive) {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Starts a chunked response; every {@link OutputStream#flush()} sends what was written so far. Writes block
     * until the client has taken the data (back-pressure) and fail with an IOException once it disconnected.
     * Closing the stream ends the response.
     */
    public OutputStream stream(int status, String contentType) {
        markAnswered();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.writeAndFlush(response);
        return new ChunkedOutput();
    }

    /**
     * Answers {@code 101 Switching Protocols} with the given headers and hands the connection over: the HTTP codec
     * is removed and {@code installer} adds the handlers of the new protocol.
     */
    public void upgrade(HttpHeaders responseHeaders, Consumer<ChannelPipeline> installer) {
        markAnswered();
        HttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        response.headers().set(responseHeaders);
        // On the event loop, the 101 is encoded before the codec is swapped out, and no inbound bytes can be
        // decoded as HTTP in between.
        ctx.channel().eventLoop().execute(() -> {
            ctx.writeAndFlush(response);
            HttpServer.removeHttpHandlers(ctx.pipeline());
            installer.accept(ctx.pipeline());
        });
    }

    boolean answered() {
        return answered;
    }

    private void markAnswered() {
        if (answered) {
            throw new IllegalStateException("the response was already sent");
        }
        answered = true;
    }

    private final class ChunkedOutput extends OutputStream {
        private ByteBuf buffer = Unpooled.buffer(8192);
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            ensureOpen();
            buffer.writeByte(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            ensureOpen();
            buffer.writeBytes(bytes, offset, length);
            if (buffer.readableBytes() >= 64 * 1024) {
                flush();
            }
        }

        @Override
        public void flush() throws IOException {
            ensureOpen();
            if (buffer.readableBytes() == 0) {
                return;
            }
            ByteBuf chunk = buffer;
            buffer = Unpooled.buffer(8192);
            await(ctx.writeAndFlush(new DefaultHttpContent(chunk)));
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            try {
                if (ctx.channel().isActive()) {
                    flush();
                    ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                    if (!keepAlive) {
                        last.addListener(ChannelFutureListener.CLOSE);
                    }
                }
            } finally {
                closed = true;
                buffer.release();
            }
        }

        private void ensureOpen() throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (!ctx.channel().isActive()) {
                throw new IOException("client disconnected");
            }
        }

        private void await(ChannelFuture write) throws IOException {
            try {
                write.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing", e);
            } catch (ExecutionException e) {
                throw new IOException("client disconnected", e.getCause());
            }
        }
    }
}
