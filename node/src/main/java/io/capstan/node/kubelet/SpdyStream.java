package io.capstan.node.kubelet;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One SPDY stream opened by the client (kubectl through the API server): what arrives on it is readable from
 * {@link #input()}, and {@link #output()} sends DATA frames on it. Closing the output sends FIN.
 */
final class SpdyStream {

    private final int id;
    private final SpdyHeaders headers;
    private final Channel channel;
    private final ReceivedBytes input;
    private final Output output = new Output();

    SpdyStream(int id, SpdyHeaders headers, Channel channel) {
        this.id = id;
        this.headers = headers;
        this.channel = channel;
        this.input = new ReceivedBytes("stream " + id);
    }

    int id() {
        return id;
    }

    String header(String name) {
        return headers.getAsString(name);
    }

    String type() {
        return header("streamtype");
    }

    InputStream input() {
        return input;
    }

    OutputStream output() {
        return output;
    }

    void receive(byte[] data) {
        input.receive(data);
    }

    /** The client finished (FIN) or reset its side, or the connection went away: reads end. */
    void remoteFinished() {
        input.finish();
    }

    /** The connection is gone: reads end and writes fail. */
    void reset() {
        remoteFinished();
        output.closed = true;
    }

    private final class Output extends FramedOutput {
        private volatile boolean closed;

        @Override
        protected void sendFrame(byte[] bytes, int offset, int length) throws IOException {
            send(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(bytes, offset, length)));
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(id);
            fin.setLast(true);
            send(fin);
            closed = true;
        }

        private void send(DefaultSpdyDataFrame frame) throws IOException {
            if (closed) {
                frame.release();
                throw new IOException("stream " + id + " is closed");
            }
            writeAndWait(channel, frame, "stream " + id);
        }
    }
}
