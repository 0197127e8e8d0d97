package io.capstan.node.kubelet;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCounted;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;

/** An output whose bytes leave as frames of at most 32 KiB (SPDY data frames, WebSocket messages). */
abstract class FramedOutput extends OutputStream {

    static final int MAX_FRAME = 32 * 1024;

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int written = 0;
        while (written < length) {
            int chunk = Math.min(MAX_FRAME, length - written);
            sendFrame(bytes, offset + written, chunk);
            written += chunk;
        }
    }

    /** Sends one frame and waits until it is written, so a slow client slows the producer instead of filling memory. */
    protected abstract void sendFrame(byte[] bytes, int offset, int length) throws IOException;

    /**
     * Writes one frame and waits until it is on the wire, so a slow client slows the producer instead of filling
     * memory; a frame for a connection that is already gone is released and fails.
     *
     * @param what the stream or channel, for the error message
     */
    static void writeAndWait(Channel channel, ReferenceCounted frame, String what) throws IOException {
        if (!channel.isActive()) {
            frame.release();
            throw new IOException(what + " is closed");
        }
        try {
            channel.writeAndFlush(frame).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing " + what);
        } catch (ExecutionException e) {
            throw new IOException("writing " + what + " failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
