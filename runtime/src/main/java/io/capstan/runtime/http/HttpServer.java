package io.capstan.runtime.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP(S) server of a Capstan process, on Netty: health and metrics, admission webhooks and the kubelet
 * API are all routes on it. Handlers run on virtual threads, never on the event loop.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final Router router;
    private final Supplier<SslContext> tls;
    private final EventLoopGroup boss = new NioEventLoopGroup(1, Thread.ofPlatform().name("http-accept-", 0).daemon().factory());
    private final EventLoopGroup workers = new NioEventLoopGroup(2, Thread.ofPlatform().name("http-io-", 0).daemon().factory());
    private final ExecutorService handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory());
    private final Channel channel;

    private HttpServer(InetSocketAddress bind, Router router, Supplier<SslContext> tls) throws IOException {
        this.router = router;
        this.tls = tls;
        try {
            this.channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel socket) {
                            initPipeline(socket.pipeline());
                        }
                    })
                    .bind(bind).sync().channel();
        } catch (Exception e) {
            closeGroups();
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new IOException("cannot listen on " + describe(bind) + ": the address is already in use "
                        + "(another process holds the port; pick another with the matching --*-address flag)", e);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot listen on " + describe(bind) + ": " + e.getMessage(), e);
        }
        log.info("Serving {} on {}", tls == null ? "HTTP" : "HTTPS", describe(address()));
    }

    /**
     * Starts serving plain HTTP.
     *
     * @throws IOException with a message saying which address is busy
     */
    public static HttpServer start(InetSocketAddress bind, Router router) throws IOException {
        return new HttpServer(bind, router, null);
    }

    /** Starts serving HTTPS; the supplier is asked on every new connection, so certificates can be rotated. */
    public static HttpServer startTls(InetSocketAddress bind, Router router, Supplier<SslContext> tls) throws IOException {
        return new HttpServer(bind, router, tls);
    }

    private void initPipeline(ChannelPipeline pipeline) {
        if (tls != null) {
            pipeline.addLast("tls", tls.get().newHandler(pipeline.channel().alloc()));
        }
        pipeline.addLast("http-codec", new HttpServerCodec());
        pipeline.addLast("http-aggregator", new HttpObjectAggregator(MAX_BODY_BYTES));
        pipeline.addLast("http-dispatch", new Dispatcher());
    }

    static void removeHttpHandlers(ChannelPipeline pipeline) {
        pipeline.remove("http-dispatch");
        pipeline.remove("http-aggregator");
        pipeline.remove("http-codec");
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    /**
     * Hands requests to virtual threads. Requests on one connection are answered one after another, in order
     * (HTTP/1.1 pipelining), while reads stay on so a client that disconnects is noticed at once.
     */
    private final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {

        private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

        Dispatcher() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            previous = previous.thenRunAsync(() -> {
                try {
                    serve(ctx, request);
                } finally {
                    request.release();
                }
            }, handlers);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP connection from {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
            ctx.close();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpExchange exchange = null;
        try {
            if (!request.decoderResult().isSuccess()) {
                throw HttpStatusException.badRequest("malformed HTTP request");
            }
            String path = new io.netty.handler.codec.http.QueryStringDecoder(request.uri()).path();
            Router.Match match = router.match(request.method(), path);
            exchange = new HttpExchange(ctx, request, match.variables());
            match.handler().handle(exchange);
            if (!exchange.answered()) {
                exchange.respondText(500, "500 handler sent no response");
            }
        } catch (HttpStatusException e) {
            answerError(ctx, request, exchange, e.status(), e.getMessage());
        } catch (Exception e) {
            log.warn("{} {} failed: {}", request.method(), request.uri(), e.toString());
            answerError(ctx, request, exchange, 500, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static void answerError(ChannelHandlerContext ctx, FullHttpRequest request, HttpExchange exchange,
            int status, String message) {
        HttpExchange target = exchange != null ? exchange : new HttpExchange(ctx, request, java.util.Map.of());
        if (!target.answered()) {
            target.respondText(status, message);
        } else {
            ctx.close();
        }
    }

    private static String describe(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    private void closeGroups() {
        handlers.shutdownNow();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public synchronized void close() {
        if (handlers.isShutdown()) {
            return;
        }
        channel.close().syncUninterruptibly();
        closeGroups();
    }
}
