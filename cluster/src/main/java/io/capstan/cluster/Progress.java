package io.capstan.cluster;

/** Receives one line per step of long work (the control-plane build, start-up), for a terminal or a log. */
@FunctionalInterface
public interface Progress {

    Progress SILENT = line -> {
    };

    void step(String line);
}
