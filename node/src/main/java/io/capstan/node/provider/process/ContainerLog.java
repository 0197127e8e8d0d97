package io.capstan.node.provider.process;

import io.capstan.node.api.ContainerLogOptions;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One run of a container's output on disk, in the CRI log format the kubelet uses: every record is
 * {@code <RFC 3339 time> <stdout|stderr> <F|P> <text>}, where P marks a piece of a line longer than 16 KiB. When the
 * file passes its size limit it is rotated to {@code <file>.1}, keeping one rotation. Reading serves
 * {@code kubectl logs}: tail, since, timestamps, a byte limit, and follow until the run ends.
 */
final class ContainerLog {

    static final int MAX_RECORD = 16 * 1024;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

    private final Path file;
    private final long maxBytes;
    private OutputStream out;
    private long written;
    private volatile boolean finished;

    ContainerLog(Path file, long maxBytes) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        Files.createDirectories(file.getParent());
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    Path file() {
        return file;
    }

    /** Copies a process stream into the log until it ends; lines longer than 16 KiB become several records. */
    void capture(InputStream stream, String name) {
        byte[] line = new byte[MAX_RECORD];
        int length = 0;
        try (stream) {
            int b;
            while ((b = stream.read()) >= 0) {
                if (b == '\n') {
                    append(name, true, line, length);
                    length = 0;
                } else {
                    line[length++] = (byte) b;
                    if (length == MAX_RECORD) {
                        append(name, false, line, length);
                        length = 0;
                    }
                }
            }
        } catch (IOException e) {
            // the process went away
        }
        if (length > 0) {
            append(name, true, line, length);
        }
    }

    private synchronized void append(String stream, boolean full, byte[] text, int length) {
        try {
            byte[] prefix = (TIME.format(Instant.now()) + " " + stream + (full ? " F " : " P ")).getBytes(StandardCharsets.US_ASCII);
            out.write(prefix);
            out.write(text, 0, length);
            out.write('\n');
            out.flush();
            written += prefix.length + length + 1;
            if (written > maxBytes) {
                rotate();
            }
        } catch (IOException e) {
            // a full disk must not kill the container; the output is lost
        }
    }

    private void rotate() throws IOException {
        out.close();
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        written = 0;
    }

    /** The run ended: followers stop once they have read everything. */
    synchronized void finish() {
        finished = true;
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing more to write
        }
    }

    boolean finished() {
        return finished;
    }

    /** The last {@code lines} lines of output as plain text (for FallbackToLogsOnError termination messages). */
    static String tail(Path file, int lines, int maxBytes) {
        List<String> all = new ArrayList<>();
        for (Record record : readRecords(file)) {
            all.add(record.text());
        }
        String text = String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= maxBytes ? text : new String(bytes, bytes.length - maxBytes, maxBytes, StandardCharsets.UTF_8);
    }

    /** One complete line: its time, stream and text (partial records joined). */
    record Record(String time, String stream, String text) {
    }

    static List<Record> readRecords(Path file) {
        List<Record> records = new ArrayList<>();
        for (Path part : List.of(file.resolveSibling(file.getFileName() + ".1"), file)) {
            if (!Files.exists(part)) {
                continue;
            }
            try (BufferedReader reader = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
                StringBuilder partial = null;
                String partialTime = null;
                String line;
                while ((line = reader.readLine()) != null) {
                    Record parsed = parse(line);
                    if (parsed == null) {
                        continue;
                    }
                    boolean full = line.charAt(parsed.time().length() + parsed.stream().length() + 2) == 'F';
                    if (partial == null) {
                        partial = new StringBuilder();
                        partialTime = parsed.time();
                    }
                    partial.append(parsed.text());
                    if (full) {
                        records.add(new Record(partialTime, parsed.stream(), partial.toString()));
                        partial = null;
                    }
                }
            } catch (IOException e) {
                // a rotated file vanished while reading; what was read stands
            }
        }
        return records;
    }

    private static Record parse(String line) {
        int first = line.indexOf(' ');
        int second = first < 0 ? -1 : line.indexOf(' ', first + 1);
        if (second < 0 || line.length() < second + 3) {
            return null;
        }
        return new Record(line.substring(0, first), line.substring(first + 1, second), line.substring(second + 3));
    }

    /**
     * The log as {@code kubectl logs} asked for it. With follow, the stream stays open and delivers new lines until
     * the run has ended (or the reader is closed).
     */
    InputStream read(ContainerLogOptions options, BooleanSupplier stillWanted) throws IOException {
        long size;
        List<Record> records;
        synchronized (this) {
            size = Files.exists(file) ? Files.size(file) : 0;
            records = readRecords(file);
        }
        byte[] initial = select(records, options);
        if (!options.follow()) {
            return limited(initial, options.limitBytes());
        }
        PipedInputStream reader = new PipedInputStream(64 * 1024);
        PipedOutputStream writer = new PipedOutputStream(reader);
        Thread.ofVirtual().name("log-follow").start(() -> follow(writer, initial, size, options, stillWanted));
        return reader;
    }

    /** A finished run's log (e.g. the previous one), as {@code kubectl logs --previous} asks for it. */
    static InputStream readFinished(Path file, ContainerLogOptions options) throws IOException {
        return limited(select(readRecords(file), options), options.limitBytes());
    }

    private static byte[] select(List<Record> records, ContainerLogOptions options) throws IOException {
        Deque<String> selected = new ArrayDeque<>();
        for (Record record : records) {
            if (options.since() == null || !Instant.parse(record.time()).isBefore(options.since())) {
                selected.add(format(record, options.timestamps()));
            }
        }
        if (options.tailLines() != null) {
            while (selected.size() > options.tailLines()) {
                selected.removeFirst();
            }
        }
        ByteArrayOutputStream initial = new ByteArrayOutputStream();
        for (String line : selected) {
            initial.write(line.getBytes(StandardCharsets.UTF_8));
        }
        return initial.toByteArray();
    }

    /** Streams the records appended after the initial read, reading only the new bytes of the file. */
    private void follow(OutputStream writer, byte[] initial, long initialSize, ContainerLogOptions options,
            BooleanSupplier stillWanted) {
        long budget = options.limitBytes() == null ? Long.MAX_VALUE : options.limitBytes();
        long position = initialSize;
        StringBuilder pending = new StringBuilder();
        StringBuilder partialText = null;
        String partialTime = null;
        try (writer) {
            budget = write(writer, initial, budget);
            while (budget > 0 && stillWanted.getAsBoolean()) {
                boolean ended = finished;
                long size = Files.exists(file) ? Files.size(file) : 0;
                if (size < position) {
                    position = 0;
                }
                if (size > position) {
                    try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
                        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) Math.min(size - position, 1 << 20));
                        channel.read(buffer, position);
                        position += buffer.position();
                        pending.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
                    }
                    int newline;
                    while ((newline = pending.indexOf("\n")) >= 0 && budget > 0) {
                        String line = pending.substring(0, newline);
                        pending.delete(0, newline + 1);
                        Record record = parse(line);
                        if (record == null) {
                            continue;
                        }
                        if (partialText == null) {
                            partialText = new StringBuilder();
                            partialTime = record.time();
                        }
                        partialText.append(record.text());
                        if (line.charAt(record.time().length() + record.stream().length() + 2) == 'F') {
                            Record whole = new Record(partialTime, record.stream(), partialText.toString());
                            budget = write(writer, format(whole, options.timestamps()).getBytes(StandardCharsets.UTF_8), budget);
                            partialText = null;
                        }
                    }
                    continue;
                }
                if (ended) {
                    return;
                }
                Thread.sleep(100);
            }
        } catch (IOException | InterruptedException e) {
            // the reader went away
        }
    }

    private static long write(OutputStream writer, byte[] bytes, long budget) throws IOException {
        int length = (int) Math.min(bytes.length, budget);
        writer.write(bytes, 0, length);
        writer.flush();
        return budget - length;
    }

    private static InputStream limited(byte[] bytes, Long limit) {
        int length = limit == null ? bytes.length : (int) Math.min(bytes.length, limit);
        return new java.io.ByteArrayInputStream(bytes, 0, length);
    }

    private static String format(Record record, boolean timestamps) {
        return (timestamps ? record.time() + " " : "") + record.text() + "\n";
    }
}
