package dev.tracedb.store;

import dev.tracedb.store.format.BatchEncoding;
import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bulk append paths ({@link RunWriter#appendExec(int[], int, int)}, and
 * {@link RunWriter#appendExec(ByteBuffer)} from a direct buffer as the recorder's ring) against the one-event path
 * ({@link RunWriter#appendExec(int)}) as the reference: same calls, same log, byte for byte; and a
 * chunk with an undefined id, wherever it sits relative to a batch boundary, appends nothing.
 */
class ExecAppendTest extends StoreTestSupport {
    private static final int BATCH = 1000;
    private static final int BLOCKS = 256;
    /**
     * Chunk sizes that fit, exactly fill, and spill over one or several small batches; with a syscall
     * after every fourth, the chunk of 667 exactly fills a batch and the 2,000 after it spans exactly two.
     */
    private static final int[] CHUNKS = {1, 7, 999, 1000, 1001, 4096, 2500, 0, 333, 3000, 667, 2000};

    /** The calls of one run: chunks of the interpreter stream with a syscall after every fourth. */
    private interface Appender {
        void append(RunWriter w, int[] ids, int off, int len);
    }

    @Test
    void chunkedAppendWritesTheSameLogAsOneEventAtATime() throws IOException {
        for (BatchEncoding encoding : BatchEncoding.values()) {
            try (ChronicleTraceDatabase db = openDb()) {
                RunId bulk = write(db, encoding, RunWriter::appendExec);
                RunId single = write(db, encoding, (w, ids, off, len) -> {
                    for (int i = off; i < off + len; i++) w.appendExec(ids[i]);
                });
                RunId memory = write(db, encoding, (w, ids, off, len) -> w.appendExec(direct(ids, off, len)));
                List<String> bulkEvents = replay(db, bulk);
                assertEquals(replay(db, single), bulkEvents, encoding.toString());
                assertEquals(bulkEvents, replay(db, memory), encoding.toString());
                byte[] m = Files.readAllBytes(LogFiles.onlyCq4(tmp.resolve("db"), memory));
                byte[] a = Files.readAllBytes(LogFiles.onlyCq4(tmp.resolve("db"), bulk));
                byte[] b = Files.readAllBytes(LogFiles.onlyCq4(tmp.resolve("db"), single));
                int end = LogFiles.endOfData(a);
                assertEquals(end, LogFiles.endOfData(b), encoding + ": log lengths differ");
                assertArrayEquals(Arrays.copyOf(b, end), Arrays.copyOf(a, end), encoding + ": logs differ");
                assertEquals(end, LogFiles.endOfData(m), encoding + ": log lengths differ");
                assertArrayEquals(Arrays.copyOf(b, end), Arrays.copyOf(m, end), encoding + ": logs differ");

                long events = 0;
                long instructions = 0;
                int[] ids = stream();
                for (int id : ids) {
                    events++;
                    instructions += instructionsOf(id);
                }
                assertEquals(new RunEnded(ExitStatus.exited(0), events, instructions, CLOCK.instant()).toString(),
                        bulkEvents.get(bulkEvents.size() - 1));
                assertTrue(bulkEvents.stream().filter(e -> e.startsWith("batch")).count() > ids.length / BATCH,
                        "batches were cut by the syscalls and the batch size");
            }
        }
    }

    @Test
    void undefinedIdAppendsNothingWhereverItSits() {
        // {events already pending, chunk length, position of the bad id in the chunk, the bad id}
        int[][] cases = {
                {0, 10, 9, BLOCKS},         // past the last defined block, inside the batch
                {900, 50, 0, -1},           // negative, first of the chunk
                {900, 300, 99, 100_000},    // far outside the table, the last id that fits the batch
                {900, 300, 100, BLOCKS + 1},// the first id that spills into the next batch
                {900, 2500, 1500, BLOCKS},  // one batch further on
                {900, 2500, 2499, BLOCKS},  // two batches further on, in the tail that would stay pending
                {1000, 20, 5, BLOCKS},      // the batch was just written
        };
        for (int[] c : cases) {
            try (ChronicleTraceDatabase db = openDb();
                 RunWriter w = db.createRun(null, started("/bin/true"), BATCH, BatchEncoding.DEFAULT)) {
                defineBlocks(w, BLOCKS);
                int[] ids = stream();
                w.appendExec(ids, 0, c[0]);
                long events = w.blockEvents();
                long instructions = w.instructions();
                int[] chunk = Arrays.copyOfRange(ids, c[0], c[0] + c[1]);
                chunk[c[2]] = c[3];
                if (c[2] + 1 < chunk.length) chunk[chunk.length - 1] = c[3] + 7; // a later bad id is not the one named
                String expected = assertThrows(IllegalArgumentException.class, () -> w.appendExec(c[3])).getMessage();
                var e = assertThrows(IllegalArgumentException.class, () -> w.appendExec(chunk, 0, chunk.length),
                        Arrays.toString(c));
                assertEquals(expected, e.getMessage());
                assertTrue(e.getMessage().startsWith("block " + c[3] + " is used before it is defined (run "), e.getMessage());
                assertEquals(events, w.blockEvents(), Arrays.toString(c));
                assertEquals(instructions, w.instructions(), Arrays.toString(c));

                // The writer goes on as if the bad chunk had never been offered.
                w.appendExec(ids, c[0], 10);
                RunEnded end = w.end(ExitStatus.exited(0));
                long expectedInstructions = 0;
                for (int i = 0; i < c[0] + 10; i++) expectedInstructions += instructionsOf(ids[i]);
                assertEquals(c[0] + 10, end.blockEvents());
                assertEquals(expectedInstructions, end.instructions());
                List<String> log = replay(db, w.id());
                List<String> batches = log.stream().filter(s -> s.startsWith("batch")).toList();
                StringBuilder all = new StringBuilder();
                for (String s : batches) all.append(s, s.indexOf('['), s.length());
                StringBuilder want = new StringBuilder();
                if (c[0] >= BATCH) want.append(Arrays.toString(Arrays.copyOfRange(ids, 0, BATCH)));
                want.append(Arrays.toString(Arrays.copyOfRange(ids, c[0] >= BATCH ? BATCH : 0, c[0] + 10)));
                assertEquals(want.toString(), all.toString(), Arrays.toString(c));
            }
        }
    }

    @Test
    void undefinedIdInMemoryIsRefusedAndTheBatchesBeforeItAreTheOnlyOnesWritten() {
        try (ChronicleTraceDatabase db = openDb();
             RunWriter w = db.createRun(null, started("/bin/true"), BATCH, BatchEncoding.DEFAULT)) {
            defineBlocks(w, BLOCKS);
            int[] ids = stream();
            w.appendExec(ids, 0, 900);
            int[] chunk = Arrays.copyOfRange(ids, 900, 900 + 2500);
            chunk[1500] = BLOCKS; // in the second whole batch after the pending one is topped up
            var e = assertThrows(IllegalArgumentException.class, () -> w.appendExec(direct(chunk, 0, chunk.length)));
            assertTrue(e.getMessage().startsWith("block " + BLOCKS + " is used before it is defined (run "), e.getMessage());
            assertEquals(2000, w.blockEvents(), "the pending batch topped up and written, the bad batch not");
            long instructions = 0;
            for (int i = 0; i < 2000; i++) instructions += instructionsOf(ids[i]);
            assertEquals(instructions, w.instructions());
        }
    }

    /** {@code ids[off .. off+len)} as 4 little-endian bytes each in a direct buffer, after 3 bytes of other data. */
    private static ByteBuffer direct(int[] ids, int off, int len) {
        ByteBuffer b = ByteBuffer.allocateDirect(3 + 4 * len + 5).order(ByteOrder.LITTLE_ENDIAN);
        b.position(3);
        for (int i = 0; i < len; i++) b.putInt(ids[off + i]);
        b.position(3).limit(3 + 4 * len);
        return b.order(ByteOrder.BIG_ENDIAN); // the writer must not depend on the buffer's own order
    }

    private static int[] stream() {
        int total = 0;
        for (int rep = 0; rep < 3; rep++) for (int n : CHUNKS) total += n;
        int[] ids = new int[total];
        new InterpreterStream(7, BLOCKS).fill(ids, 0, total);
        return ids;
    }

    private RunId write(ChronicleTraceDatabase db, BatchEncoding encoding, Appender appender) {
        try (RunWriter w = db.createRun(null, started("/bin/true"), BATCH, encoding)) {
            defineBlocks(w, BLOCKS);
            int[] ids = stream();
            int at = 0;
            int k = 0;
            for (int rep = 0; rep < 3; rep++) {
                for (int n : CHUNKS) {
                    appender.append(w, ids, at, n);
                    at += n;
                    if (++k % 4 == 0) w.syscall(k, new long[6], k);
                }
            }
            w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    private static List<String> replay(ChronicleTraceDatabase db, RunId id) {
        List<String> out = new ArrayList<>();
        try (RunReader r = db.openRun(id)) {
            r.replay(new EventVisitor() {
                @Override public void execBatch(ExecBatchHeader h, int[] ids) {
                    out.add("batch " + h.sequence() + " " + h.firstBlockEvent() + " " + h.firstInstruction() + " "
                            + h.instructionCount() + " " + h.encodedBytes() + " "
                            + Arrays.toString(Arrays.copyOf(ids, h.eventCount())));
                }
                @Override public void syscall(SyscallResult e) { out.add(e.toString()); }
                @Override public void runEnded(RunEnded e) { out.add(e.toString()); }
            });
        }
        return out;
    }
}
