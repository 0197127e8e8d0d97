package io.capstan.node.kubelet;

import io.capstan.runtime.http.HttpExchange;
import io.capstan.runtime.http.HttpStatusException;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes channel protocols over WebSocket, as the kubelet serves them to clients that do not speak SPDY —
 * fabric8's exec, attach and port-forward (the API server passes their upgrade through unchanged), and API servers
 * that stream to kubelets over WebSocket. Every message starts with its channel number; the base64 variants send
 * text messages with the number as an ASCII digit and base64 data; {@code v5.channel.k8s.io} adds the message
 * {@code [255, channel]} that ends one channel's input.
 */
final class WebSocketChannels extends SimpleChannelInboundHandler<WebSocketFrame> {

    private static final Logger log = LoggerFactory.getLogger(WebSocketChannels.class);
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_MESSAGE = 16 * 1024 * 1024;
    private static final int CLOSE_CHANNEL = 255;

    private final boolean base64;
    private final boolean channelClose;
    private final Channel channel;
    private final Map<Integer, ReceivedBytes> inputs = new ConcurrentHashMap<>();
    private volatile Runnable onClosed = () -> { };

    /** The handler for a connection that already speaks WebSocket with the negotiated subprotocol. */
    WebSocketChannels(String protocol, Channel channel) {
        this.base64 = protocol.contains("base64");
        this.channelClose = protocol.startsWith("v5.");
        this.channel = channel;
    }

    static boolean isUpgrade(HttpExchange exchange) {
        return "websocket".equalsIgnoreCase(exchange.headers().get("Upgrade"));
    }

    /**
     * Completes the WebSocket handshake with the client's most preferred supported subprotocol (none offered means
     * the binary {@code channel.k8s.io}, as the kubelet assumes), then hands the connection to {@code session} on
     * the event loop; the session must not block there.
     *
     * @throws HttpStatusException 400 for a malformed handshake, 403 when no offered subprotocol is supported
     */
    static void accept(HttpExchange exchange, List<String> supported, Session session) {
        String key = exchange.headers().get("Sec-WebSocket-Key");
        if (key == null || key.isBlank() || !"13".equals(exchange.headers().get("Sec-WebSocket-Version"))) {
            throw HttpStatusException.badRequest("unable to upgrade: a WebSocket upgrade needs Sec-WebSocket-Key and "
                    + "Sec-WebSocket-Version 13");
        }
        List<String> offered = new ArrayList<>();
        for (String header : exchange.headers().getAll("Sec-WebSocket-Protocol")) {
            for (String value : header.split(",")) {
                if (!value.isBlank()) {
                    offered.add(value.trim());
                }
            }
        }
        String protocol = offered.isEmpty() ? "channel.k8s.io" : offered.stream().filter(supported::contains)
                .findFirst().orElseThrow(() -> new HttpStatusException(403, "unable to upgrade: requested protocol(s) "
                        + "are not supported: " + offered + "; supports " + supported));
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set("Upgrade", "websocket");
        headers.set("Connection", "Upgrade");
        headers.set("Sec-WebSocket-Accept", acceptKey(key.trim()));
        if (!offered.isEmpty()) {
            headers.set("Sec-WebSocket-Protocol", protocol);
        }
        exchange.upgrade(headers, pipeline -> {
            WebSocketChannels channels = new WebSocketChannels(protocol, pipeline.channel());
            pipeline.addLast("ws-decoder", new WebSocket13FrameDecoder(true, false, MAX_MESSAGE));
            pipeline.addLast("ws-encoder", new WebSocket13FrameEncoder(false));
            pipeline.addLast("ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE));
            pipeline.addLast("ws-channels", channels);
            session.start(protocol, channels);
        });
    }

    /** What runs over the connection. */
    interface Session {
        /** Called on the event loop once the connection speaks WebSocket; must not block. */
        void start(String protocol, WebSocketChannels channels);
    }

    static String acceptKey(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }

    /** What the client sends on a channel; messages for channels nobody asked for are dropped. */
    InputStream input(int channelNumber) {
        return inputs.computeIfAbsent(channelNumber, n -> new ReceivedBytes("channel " + n));
    }

    /** Sends on a channel; each write waits until its messages are written, so a slow client slows the producer. */
    OutputStream output(int channelNumber) {
        return new Output(channelNumber);
    }

    /** Called once when the connection is gone (after the inputs ended). */
    void onClosed(Runnable action) {
        this.onClosed = action;
    }

    /** Sends one message on a channel as it is (possibly empty: the kubelet's "connection established" signal). */
    void send(int channelNumber, byte[] data) throws IOException {
        WebSocketFrame frame;
        if (base64) {
            String text = (char) ('0' + channelNumber) + Base64.getEncoder().encodeToString(data);
            frame = new TextWebSocketFrame(text);
        } else {
            byte[] message = new byte[data.length + 1];
            message[0] = (byte) channelNumber;
            System.arraycopy(data, 0, message, 1, data.length);
            frame = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message));
        }
        FramedOutput.writeAndWait(channel, frame, "WebSocket channel " + channelNumber);
    }

    /** Closes the connection with a normal close frame. */
    void close() {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(done -> channel.close());
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
        } else if (frame instanceof CloseWebSocketFrame) {
            close();
        } else if (frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame) {
            receive(ByteBufUtil.getBytes(frame.content()));
        }
    }

    private void receive(byte[] message) {
        if (message.length == 0) {
            return;
        }
        if (channelClose && (message[0] & 0xff) == CLOSE_CHANNEL) {
            if (message.length == 2) {
                ReceivedBytes input = inputs.get((int) message[1]);
                if (input != null) {
                    input.finish();
                }
            }
            return;
        }
        int channelNumber;
        byte[] data;
        if (base64) {
            channelNumber = message[0] - '0';
            try {
                data = Base64.getDecoder().decode(new String(message, 1, message.length - 1, StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                log.debug("Dropping a message that is not base64 on channel {}", channelNumber);
                return;
            }
        } else {
            channelNumber = message[0] & 0xff;
            data = new byte[message.length - 1];
            System.arraycopy(message, 1, data, 0, data.length);
        }
        ReceivedBytes input = inputs.get(channelNumber);
        if (input != null) {
            input.receive(data);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inputs.values().forEach(ReceivedBytes::finish);
        onClosed.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("WebSocket connection from {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
        ctx.close();
    }

    private final class Output extends FramedOutput {
        private final int channelNumber;

        Output(int channelNumber) {
            this.channelNumber = channelNumber;
        }

        @Override
        protected void sendFrame(byte[] bytes, int offset, int length) throws IOException {
            byte[] frame = new byte[length];
            System.arraycopy(bytes, offset, frame, 0, length);
            send(channelNumber, frame);
        }

        /** Like the kubelet's, a channel's output has no end of its own: the connection's close ends it. */
        @Override
        public void close() {
        }
    }
}
