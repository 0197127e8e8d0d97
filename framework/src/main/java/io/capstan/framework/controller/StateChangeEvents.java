package io.capstan.framework.controller;

import io.capstan.framework.api.Framework;
import io.capstan.runtime.events.EventRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gathers a Framework's state changes for a moment and records them as one Event. A Framework whose tasks move one
 * after another runs a sync round per move; an Event per round would double the controller's writes. Within the
 * window every change is kept, in order; the Event's reason is the last Framework state reached, else the furthest
 * task state.
 */
final class StateChangeEvents implements AutoCloseable {

    /** What an Event message holds (events.k8s.io allows 1 KiB). */
    private static final int MESSAGE_LIMIT = 1024;

    private final EventRecorder events;
    private final Duration window;
    private final Map<String, Story> stories = new ConcurrentHashMap<>();

    private static final class Story {
        Framework subject;
        FrameworkReason reason;
        final List<String> changes = new ArrayList<>();
        int length;

        void add(Framework latest, FrameworkReason next, String message) {
            subject = latest;
            changes.add(message);
            length += (length == 0 ? 0 : 1) + message.length();
            boolean frameworkLevel = next.name().startsWith("Framework");
            if (reason == null || frameworkLevel
                    || (!reason.name().startsWith("Framework") && next.ordinal() > reason.ordinal())) {
                reason = next;
            }
        }
    }

    StateChangeEvents(EventRecorder events, Duration window) {
        this.events = events;
        this.window = window;
    }

    /**
     * Adds one round's changes to the Framework's story; the first change of a story starts its window. A story that
     * would outgrow what an Event message holds is recorded at once and a new one begun.
     */
    void add(Framework framework, FrameworkReason reason, String message) {
        String key = framework.getMetadata().getUid();
        boolean[] opened = {false};
        Story[] full = {null};
        stories.compute(key, (k, story) -> {
            if (story != null && story.length + 1 + message.length() > MESSAGE_LIMIT) {
                full[0] = story;
                story = null;
            }
            if (story == null) {
                story = new Story();
                opened[0] = full[0] == null;
            }
            story.add(framework, reason, message);
            return story;
        });
        if (full[0] != null) {
            record(full[0]);
        }
        if (opened[0]) {
            Thread.ofVirtual().name("events-" + framework.getMetadata().getName()).start(() -> {
                try {
                    Thread.sleep(window);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                flush(key);
            });
        }
    }

    private void flush(String key) {
        Story story = stories.remove(key);
        if (story != null) {
            record(story);
        }
    }

    private void record(Story story) {
        events.record(story.subject, story.reason, String.join(" ", story.changes));
    }

    /** Records what is still gathered, e.g. when the controller stops. */
    @Override
    public void close() {
        List.copyOf(stories.keySet()).forEach(this::flush);
    }
}
