package io.capstan.cli;

import io.capstan.cluster.Progress;

/** Progress lines for a person at a terminal, with the elapsed time since the command started. */
public final class Console implements Progress {

    private final long started = System.nanoTime();

    @Override
    public void step(String line) {
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        System.out.printf("[%2d:%02d] %s%n", seconds / 60, seconds % 60, line);
        System.out.flush();
    }
}
