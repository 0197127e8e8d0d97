package io.capstan.node.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The channel framing of the Kubernetes WebSocket subprotocols, byte for byte. */
class WebSocketChannelsTest {

    private static WebSocketChannels over(String protocol, EmbeddedChannel channel) {
        WebSocketChannels channels = new WebSocketChannels(protocol, channel);
        channel.pipeline().addLast(channels);
        return channels;
    }

    @Test
    void binaryMessagesStartWithTheirChannelNumber() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel();
        WebSocketChannels channels = over("v4.channel.k8s.io", channel);
        InputStream stdin = channels.input(0);

        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 'h', 'i'})));
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7, 'x'})));
        channels.output(1).write("out".getBytes(StandardCharsets.UTF_8));

        byte[] read = new byte[2];
        assertThat(stdin.read(read)).isEqualTo(2);
        assertThat(new String(read, StandardCharsets.UTF_8)).isEqualTo("hi");
        BinaryWebSocketFrame sent = channel.readOutbound();
        assertThat(ByteBufUtil.getBytes(sent.content())).containsExactly(1, 'o', 'u', 't');
        sent.release();
    }

    @Test
    void base64MessagesAreTextWithAnAsciiChannelDigit() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel();
        WebSocketChannels channels = over("base64.channel.k8s.io", channel);
        InputStream stdin = channels.input(0);

        channel.writeInbound(new TextWebSocketFrame("0aGVsbG8="));
        channels.output(2).write("err".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(stdin.readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("hello");
        TextWebSocketFrame sent = channel.readOutbound();
        assertThat(sent.text()).isEqualTo("2ZXJy");
        sent.release();
    }

    @Test
    void version5ClosesOneChannelsInputAndEarlierVersionsDoNot() throws Exception {
        EmbeddedChannel v5 = new EmbeddedChannel();
        InputStream closed = over("v5.channel.k8s.io", v5).input(0);
        v5.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 'a'})));
        v5.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
        assertThat(closed.readAllBytes()).containsExactly('a');

        EmbeddedChannel v4 = new EmbeddedChannel();
        InputStream open = over("v4.channel.k8s.io", v4).input(0);
        v4.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
        assertThat(open.available()).isZero();
        v4.close();
        assertThat(open.read()).as("the connection's end ends every input").isEqualTo(-1);
    }

    @Test
    void pingsAreAnsweredAndTheHandshakeKeyFollowsRfc6455() {
        EmbeddedChannel channel = new EmbeddedChannel();
        over("v4.channel.k8s.io", channel);
        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {42})));
        PongWebSocketFrame pong = channel.readOutbound();
        assertThat(ByteBufUtil.getBytes(pong.content())).containsExactly(42);
        pong.release();

        // The example of RFC 6455 section 1.3.
        assertThat(WebSocketChannels.acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
