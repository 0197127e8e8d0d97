package io.capstan.runtime.controller;

/**
 * Work that only the elected leader may do: started when leadership is gained, stopped when it is lost.
 * {@link #stop()} must return only once the work has really stopped, so a new leader never overlaps it.
 */
public interface LeaderWork {

    void start();

    void stop();
}
