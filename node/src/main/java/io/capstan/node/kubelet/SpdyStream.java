package io.capstan.node.kubelet;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One SPDY stream opened by the client (kubectl through the API server): what arrives on it is readable from
 * {@link #input()}, and {@link #output()} sends DATA frames on it. Closing the output sends FIN.
 */
final class SpdyStream {

    private static final byte[] END = new byte[0];
    private static final int MAX_FRAME = 32 * 1024;

    private final int id;
    private final SpdyHeaders headers;
    private final Channel channel;
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final Input input = new Input();
    private final Output output = new Output();
    private volatile boolean remoteFinished;

    SpdyStream(int id, SpdyHeaders headers, Channel channel) {
        this.id = id;
        this.headers = headers;
        this.channel = channel;
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
        if (!remoteFinished && data.length > 0) {
            received.add(data);
        }
    }

    /** The client finished (FIN) or reset its side, or the connection went away: reads end. */
    void remoteFinished() {
        if (!remoteFinished) {
            remoteFinished = true;
            received.add(END);
        }
    }

    /** The connection is gone: reads end and writes fail. */
    void reset() {
        remoteFinished();
        output.closed = true;
    }

    private final class Input extends InputStream {
        private byte[] current = new byte[0];
        private int position;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (position >= current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = received.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading stream " + id);
                }
                position = 0;
                if (current == END) {
                    ended = true;
                    current = new byte[0];
                    return -1;
                }
            }
            int count = Math.min(length, current.length - position);
            System.arraycopy(current, position, buffer, offset, count);
            position += count;
            return count;
        }

        @Override
        public int available() {
            return current.length - position;
        }
    }

    private final class Output extends OutputStream {
        private volatile boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            int written = 0;
            while (written < length) {
                int chunk = Math.min(MAX_FRAME, length - written);
                send(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(bytes, offset + written, chunk)));
                written += chunk;
            }
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

        /** Waits for each frame to be written, so a slow client slows the producer down instead of filling memory. */
        private void send(DefaultSpdyDataFrame frame) throws IOException {
            if (closed || !channel.isActive()) {
                frame.release();
                throw new IOException("stream " + id + " is closed");
            }
            try {
                channel.writeAndFlush(frame).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing stream " + id);
            } catch (ExecutionException e) {
                throw new IOException("writing stream " + id + " failed: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }
}
