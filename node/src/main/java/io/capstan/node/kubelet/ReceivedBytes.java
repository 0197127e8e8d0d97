package io.capstan.node.kubelet;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What a client sends on one stream or channel, readable as a blocking {@link InputStream} until the client finishes
 * it (or the connection goes away). Filled from the event loop, read from a virtual thread.
 */
final class ReceivedBytes extends InputStream {

    private static final byte[] END = new byte[0];

    private final String name;
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private volatile boolean finished;
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;

    ReceivedBytes(String name) {
        this.name = name;
    }

    void receive(byte[] data) {
        if (!finished && data.length > 0) {
            received.add(data);
        }
    }

    /** The client finished its side, or the connection went away: reads end once what arrived is consumed. */
    void finish() {
        if (!finished) {
            finished = true;
            received.add(END);
        }
    }

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
                throw new InterruptedIOException("interrupted while reading " + name);
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
