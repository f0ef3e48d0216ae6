package dev.tracedb.store.journal;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.format.ByteSink;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal reader on hand-made bytes: what is a cut recording, what is damage, and where. */
class JournalReaderTest {
    @TempDir
    Path tmp;

    private final EventCodec codec = new EventCodec();

    @Test
    void readsHeaderAndEveryFrameUnchanged() throws Exception {
        Path file = tmp.resolve("inputs.journal");
        List<byte[]> written = new ArrayList<>();
        try (TestJournal j = TestJournal.create(file, new RunId(3), "naïve name", StoreTestSupport.started("/bin/x"),
                StoreTestSupport.CLOCK)) {
            j.inputsOnly();
            j.syscall(1, new long[] {1, 2, 3, 4, 5, 6}, 7);
            j.timestampRead(99, 1, true);
            j.end(ExitStatus.killedBy(11));
        }
        byte[] bytes = Files.readAllBytes(file);
        try (JournalReader r = JournalReader.open(file)) {
            assertEquals(new JournalHeader(1, "naïve name"), r.header());
            List<EventType> types = new ArrayList<>();
            while (r.next()) {
                types.add(r.frameType());
                int at = (int) r.frameOffset() + 4;
                assertArrayEquals(Arrays.copyOfRange(bytes, at, at + r.frameLength()),
                        Arrays.copyOf(r.frame(), r.frameLength()));
                written.add(Arrays.copyOf(r.frame(), r.frameLength()));
            }
            assertEquals(List.of(EventType.RUN_STARTED, EventType.INPUTS_ONLY, EventType.SYSCALL_RESULT,
                    EventType.TIMESTAMP_READ, EventType.RUN_ENDED), types);
            assertFalse(r.endsInsideFrame());
            assertEquals(bytes.length, r.position());
            assertEquals(StoreTestSupport.started("/bin/x"), r.started().orElseThrow());
            assertEquals(ExitStatus.killedBy(11), r.ended().orElseThrow().status());
        }
        assertEquals(5, written.size());
    }

    @Test
    void headerProblemsAreNamed() throws Exception {
        Path empty = write(new byte[0]);
        assertEquals("corrupt journal " + empty + " at byte 0: the file ends inside the header (0 bytes)",
                assertThrows(CorruptJournalException.class, () -> JournalReader.open(empty)).getMessage());
        Path shortName = write(concat(JournalFormat.MAGIC, le(1), le(10), "abc".getBytes()));
        assertTrue(assertThrows(CorruptJournalException.class, () -> JournalReader.open(shortName)).getMessage()
                .endsWith("at byte 16: the file ends inside the header's run name"));
        Path badName = write(concat(JournalFormat.MAGIC, le(1), le(-1)));
        assertTrue(assertThrows(CorruptJournalException.class, () -> JournalReader.open(badName)).getMessage()
                .endsWith("at byte 12: bad run-name length -1"));
        Path v0 = write(concat(JournalFormat.MAGIC, le(0), le(0)));
        assertEquals(0, assertThrows(UnsupportedJournalException.class, () -> JournalReader.open(v0)).version());
    }

    @Test
    void damagedOrMisplacedFramesAreCorruptionAtTheirOffset() throws Exception {
        byte[] header = concat(JournalFormat.MAGIC, le(1), le(1), "n".getBytes());
        byte[] started = frame(codec.encode(StoreTestSupport.started("/bin/x")));
        byte[] inputsOnly = frame(codec.encodeInputsOnly());
        long third = header.length + started.length + inputsOnly.length;

        assertCorrupt(concat(header, inputsOnly), header.length, "the first event must be RUN_STARTED");
        assertCorrupt(concat(header, started, started), header.length + started.length,
                "the second event must be INPUTS_ONLY");
        assertCorrupt(concat(header, started, inputsOnly, inputsOnly), third, "not an event of an inputs journal");
        assertCorrupt(concat(header, started, inputsOnly,
                frame(codec.encode(new CatalogRecord.RunCreated(new RunId(1), "n", "/bin/x", StoreTestSupport.T0)))),
                third, "not an event of an inputs journal");
        assertCorrupt(concat(header, started, inputsOnly, le(3), new byte[3]), third, "bad frame length 3");
        assertCorrupt(concat(header, started, inputsOnly, le(-70)), third, "bad frame length -70");
        assertCorrupt(concat(header, le(JournalFormat.MAX_FRAME + 1)), header.length, "bad frame length");
        // past the end of the file, but longer than any input event: damage, not a cut tail
        assertCorrupt(concat(header, started, inputsOnly, le(JournalFormat.MAX_INPUT_FRAME + 1), new byte[100]), third,
                "bad frame length");
        // a well-formed frame (right CRC) of a type no build knows
        assertCorrupt(concat(header, started, inputsOnly, frame(withCrc(new byte[] {99, 1, 0, 0, 0, 0}))), third,
                "unknown event type 99");
        // a frame whose CRC is right but whose payload does not decode
        assertCorrupt(concat(header, started, inputsOnly, frame(withCrc(new byte[] {5, 1, 1, 2, 0, 0, 0, 0}))), third,
                "event truncated");
        byte[] ended = frame(codec.encode(new RunEnded(ExitStatus.exited(0), 0, 0, StoreTestSupport.T0)));
        assertCorrupt(concat(header, started, inputsOnly, ended, inputsOnly), third + ended.length, "bytes after RUN_ENDED");
        assertCorrupt(concat(header, started, inputsOnly, ended, new byte[2]), third + ended.length, "bytes after RUN_ENDED");
        assertCorrupt(concat(header, started, inputsOnly,
                frame(codec.encode(new RunEnded(ExitStatus.exited(0), 5, 9, StoreTestSupport.T0)))), third,
                "counts 5 block events and 9 instructions");
        byte[] flipped = concat(header, started, inputsOnly);
        flipped[header.length + 10] ^= 1;
        assertCorrupt(flipped, header.length, "CRC32C mismatch");
    }

    @Test
    void aCutTailEndsTheJournalAfterItsLastWholeFrame() throws Exception {
        byte[] header = concat(JournalFormat.MAGIC, le(1), le(1), "n".getBytes());
        byte[] started = frame(codec.encode(StoreTestSupport.started("/bin/x")));
        byte[] inputsOnly = frame(codec.encodeInputsOnly());
        byte[] whole = concat(header, started, inputsOnly);
        for (int cut = header.length + 1; cut < whole.length; cut++) {
            int frames = cut < header.length + started.length ? 0 : 1;
            try (JournalReader r = JournalReader.open(write(Arrays.copyOf(whole, cut)))) {
                for (int i = 0; i < frames; i++) assertTrue(r.next());
                assertFalse(r.next(), "cut at " + cut);
                assertFalse(r.next(), "stays at the end");
                // on the boundary between the two frames the journal simply ends
                assertEquals(cut != header.length + started.length, r.endsInsideFrame(), "cut at " + cut);
                assertEquals(frames, r.frames());
            }
        }
    }

    private void assertCorrupt(byte[] journal, long offset, String what) throws Exception {
        Path file = write(journal);
        try (JournalReader r = JournalReader.open(file)) {
            CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> {
                while (r.next()) {
                    // read on to the damage
                }
            });
            assertEquals(offset, e.offset(), e.getMessage());
            assertEquals(file, e.file());
            assertTrue(e.getMessage().startsWith("corrupt journal " + file + " at byte " + offset + ": ")
                    && e.getMessage().contains(what), e.getMessage());
        }
    }

    private int files;

    private Path write(byte[] bytes) throws Exception {
        Path file = tmp.resolve("journal-" + files++);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] frame(ByteSink sink) {
        return frame(Arrays.copyOf(sink.array(), sink.length()));
    }

    private static byte[] frame(byte[] event) {
        return concat(le(event.length), event);
    }

    /** {@code body} (type, version, payload) followed by its CRC32C, as EventCodec frames an event. */
    private static byte[] withCrc(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return concat(body, le((int) crc.getValue()));
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

}
