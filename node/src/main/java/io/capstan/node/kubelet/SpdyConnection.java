package io.capstan.node.kubelet;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a SPDY/3.1 connection as the Kubernetes streaming protocols use it (exec, attach,
 * port-forward). Deliberately without SPDY flow control: kubectl's SPDY library neither honours nor sends window
 * updates, so a flow-controlled sender would stall after 64 KiB. Each stream the client opens is accepted
 * (SYN_REPLY) and handed to the {@link Session}.
 */
final class SpdyConnection extends SimpleChannelInboundHandler<SpdyFrame> {

    private static final Logger log = LoggerFactory.getLogger(SpdyConnection.class);

    /** What runs over the connection. */
    interface Session {
        /** A stream was opened by the client; called on the event loop, so it must not block. */
        void onStream(SpdyStream stream);

        /** The connection closed; streams are reset. */
        void onClosed();
    }

    private final Session session;
    private final Map<Integer, SpdyStream> streams = new ConcurrentHashMap<>();

    private SpdyConnection(Session session) {
        this.session = session;
    }

    /** Replaces the HTTP handlers of an upgraded connection with SPDY framing and this handler. */
    static void install(ChannelPipeline pipeline, Session session) {
        pipeline.addLast("spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        pipeline.addLast("spdy-streams", new SpdyConnection(session));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SpdyFrame frame) {
        if (frame instanceof SpdySynStreamFrame open) {
            SpdyStream stream = new SpdyStream(open.streamId(), open.headers(), ctx.channel());
            streams.put(open.streamId(), stream);
            // Netty encodes an empty header block as zero bytes, which kubectl's SPDY parser rejects; a header the
            // client ignores makes the block well-formed.
            DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(open.streamId());
            reply.headers().set("streamtype", String.valueOf(stream.type()));
            ctx.writeAndFlush(reply);
            session.onStream(stream);
            if (open.isLast()) {
                stream.remoteFinished();
            }
        } else if (frame instanceof SpdyDataFrame data) {
            SpdyStream stream = streams.get(data.streamId());
            if (stream != null) {
                stream.receive(ByteBufUtil.getBytes(data.content()));
                if (data.isLast()) {
                    stream.remoteFinished();
                }
            }
        } else if (frame instanceof SpdyRstStreamFrame reset) {
            SpdyStream stream = streams.remove(reset.streamId());
            if (stream != null) {
                stream.reset();
            }
        } else if (frame instanceof SpdyPingFrame ping) {
            if ((ping.id() & 1) == 1) {
                ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
            }
        } else if (frame instanceof SpdyGoAwayFrame) {
            ctx.close();
        }
        // SETTINGS and WINDOW_UPDATE frames are ignored: there is no flow control (see the class comment).
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        streams.values().forEach(SpdyStream::reset);
        streams.clear();
        session.onClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("SPDY connection from {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
        ctx.close();
    }
}
