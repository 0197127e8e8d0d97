package io.fabric8.kubernetes.client.dsl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ByteLineHttpWatchTest {

    private final ByteLineHttpWatch.Lines lines = new ByteLineHttpWatch.Lines();
    private final List<String> seen = new ArrayList<>();

    private void feed(ByteBuffer... chunks) {
        lines.split(Arrays.asList(chunks), seen::add);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachNewlineEndsOneEventAndSeveralMayShareAChunk() {
        feed(ByteBuffer.wrap(utf8("{\"a\":1}\n{\"b\":2}\n{\"c\"")));
        assertThat(seen).containsExactly("{\"a\":1}", "{\"b\":2}");

        feed(ByteBuffer.wrap(utf8(":3}\n")));
        assertThat(seen).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
    }

    @Test
    void aCharacterSplitAcrossChunksIsDecodedWhole() {
        byte[] event = utf8("{\"greeting\":\"grüße 数据\"}\n");
        int insideTheFirstChineseCharacter = new String(event, StandardCharsets.UTF_8).indexOf('数') + 3;
        feed(ByteBuffer.wrap(event, 0, insideTheFirstChineseCharacter));
        feed(ByteBuffer.wrap(event, insideTheFirstChineseCharacter, event.length - insideTheFirstChineseCharacter));
        assertThat(seen).containsExactly("{\"greeting\":\"grüße 数据\"}");
    }

    @Test
    void anEventLargerThanTheBufferSpanningManyDirectChunksArrivesIntact() {
        String big = "{\"data\":\"" + "x".repeat(100_000) + "\"}";
        byte[] bytes = utf8(big + "\n");
        List<ByteBuffer> chunks = new ArrayList<>();
        for (int from = 0; from < bytes.length; from += 4096) {
            ByteBuffer direct = ByteBuffer.allocateDirect(Math.min(4096, bytes.length - from));
            direct.put(bytes, from, direct.capacity()).flip();
            chunks.add(direct);
        }
        lines.split(chunks, seen::add);
        assertThat(seen).containsExactly(big);
        assertThat(chunks).allMatch(chunk -> !chunk.hasRemaining());
    }

    @Test
    void emptyLinesAreNotEvents() {
        feed(ByteBuffer.wrap(utf8("\n{\"a\":1}\n\n")));
        assertThat(seen).containsExactly("{\"a\":1}");
    }

    @Test
    void aBufferPositionedPastItsStartIsReadFromItsPosition() {
        ByteBuffer chunk = ByteBuffer.wrap(utf8("skip{\"a\":1}\n"));
        chunk.position(4);
        feed(chunk);
        assertThat(seen).containsExactly("{\"a\":1}");
    }
}
