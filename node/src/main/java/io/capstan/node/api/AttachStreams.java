package io.capstan.node.api;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.BlockingQueue;

/**
 * The client's streams for exec and attach. Streams the client did not ask for are null. With a TTY there is
 * no separate stderr and {@link #resizes()} delivers terminal sizes.
 */
public record AttachStreams(InputStream stdin, OutputStream stdout, OutputStream stderr, boolean tty,
        BlockingQueue<TerminalSize> resizes) {

    public record TerminalSize(int width, int height) {
    }
}
