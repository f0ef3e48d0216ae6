package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Damaged logs must produce a CorruptLogException naming the file and position, never a wrong answer. */
class CorruptionTest extends StoreTestSupport {
    private static final byte[] MARKER = "TRACEDB-MARKER!!".getBytes(StandardCharsets.US_ASCII);

    private RunId writeRun(ChronicleTraceDatabase db, boolean end) {
        try (RunWriter w = db.createRun("victim", started("/bin/victim"))) {
            defineBlocks(w, 64);
            w.defineBlock(new BlockDefined(64, 0, 0x9000, MARKER, 3, Terminator.JUMP));
            int[] ids = new int[10_000];
            for (int round = 0; round < 20; round++) {
                new InterpreterStream(round, 64).fill(ids, 0, ids.length);
                w.appendExec(ids, 0, ids.length);
                w.flush();
            }
            if (end) w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    @Test
    void flippedPayloadByteIsACrcMismatchWithFileAndPosition() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = writeRun(db, true);
            Path cq4 = LogFiles.onlyCq4(db.directory(), id);
            byte[] bytes = Files.readAllBytes(cq4);
            int at = LogFiles.indexOf(bytes, MARKER);
            assertTrue(at > 0);
            try (RandomAccessFile raf = new RandomAccessFile(cq4.toFile(), "rw")) {
                raf.seek(at + 5);
                raf.write(MARKER[5] ^ 0x10);
            }
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> db.openRun(id).close());
            assertEquals(cq4, e.file());
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            assertTrue(e.index() > 0, "index " + e.index());
            // the event starts a few bytes before the marker: frame header + block fields
            assertTrue(e.offset() > at - 64 && e.offset() < at, "offset " + e.offset() + " marker at " + at);
            assertTrue(e.getMessage().contains(cq4.toString()) && e.getMessage().contains("byte offset " + e.offset()),
                    e.getMessage());
        }
    }

    @Test
    void flippedBatchByteIsReportedNotDecodedWrongly() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = writeRun(db, true);
            Path cq4 = LogFiles.onlyCq4(db.directory(), id);
            byte[] bytes = Files.readAllBytes(cq4);
            int end = LogFiles.endOfData(bytes);
            // 200 bytes before the end lies inside the last execution batch (RunEnded is 45 bytes)
            try (RandomAccessFile raf = new RandomAccessFile(cq4.toFile(), "rw")) {
                raf.seek(end - 200);
                raf.write(bytes[end - 200] ^ 0x01);
            }
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> db.openRun(id).close());
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            assertEquals(cq4, e.file());
        }
    }

    @Test
    void truncatedFileNamesTheFile() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = writeRun(db, true);
            Path cq4 = LogFiles.onlyCq4(db.directory(), id);
            int end = LogFiles.endOfData(Files.readAllBytes(cq4));
            try (RandomAccessFile raf = new RandomAccessFile(cq4.toFile(), "rw")) {
                raf.setLength(end - 1000);
            }
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> db.openRun(id).close());
            assertEquals(cq4, e.file());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertEquals(end - 1000, e.offset());
        }
    }

    @Test
    void lostTailOfAnEndedRunIsCorruptNotIncomplete() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = writeRun(db, true);
            Path cq4 = LogFiles.onlyCq4(db.directory(), id);
            byte[] bytes = Files.readAllBytes(cq4);
            int end = LogFiles.endOfData(bytes);
            // Zero the RunEnded document (4-byte Chronicle header + 45-byte frame, padded): the
            // log now simply stops, as it would after a truncation on an event boundary.
            int ended = LogFiles.indexOf(Arrays.copyOfRange(bytes, end - 64, end), new byte[] {7, 1});
            assertTrue(ended >= 0);
            try (RandomAccessFile raf = new RandomAccessFile(cq4.toFile(), "rw")) {
                raf.seek(end - 64 + ended - 4);
                raf.write(new byte[64 - ended + 4]);
            }
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> db.openRun(id).close());
            assertTrue(e.getMessage().contains("catalog records run r0001 as ended"), e.getMessage());
        }
    }

    @Test
    void incompleteRunWithoutCatalogCloseIsReadable() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = writeRun(db, false);
            assertEquals(RunState.INCOMPLETE, db.runs().get(0).state());
            try (RunReader r = db.openRun(id)) {
                assertTrue(r.ended().isEmpty());
                assertEquals(200_000, r.blockEventCount());
                assertEquals(20, r.batches().size());
            }
        }
    }
}
