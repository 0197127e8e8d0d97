package io.capstan.node.kubelet;

import java.io.IOException;
import java.io.OutputStream;

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
}
