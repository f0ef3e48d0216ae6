package dev.tracedb.recorder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The background writer leaves exactly the log the writer itself would, and reports its failures. */
class BackgroundRunWriterTest {
    @TempDir
    Path tmp;

    private static RunStarted started() {
        return new RunStarted(List.of("/bin/example"), "/", List.of(), MachineInfo.current(), Instant.EPOCH);
    }

    /**
     * Writes a run: a module, blocks defined while events are gathered, events in single appends
     * and in arrays that cross chunk boundaries, syscalls and a signal between them.
     */
    private static void writeRun(RunWriter w) {
        writeRun(w, null);
    }

    /** As above; with {@code released}, every other array goes as a view ({@link BackgroundRunWriter#appendExec(ByteBuffer, Runnable)}). */
    private static void writeRun(RunWriter w, AtomicInteger released) {
        w.moduleMapped(new ModuleMapped(0, "/bin/example", 0x400000, 0x1000, new byte[0], new byte[32]));
        w.probeSites(List.of(dev.tracedb.store.ProbeSite.parse("example+0x10")), 0);
        long[] sampleEvents = new long[3];
        int[] sampleSites = new int[3];
        long[] sampleValues = new long[3];
        int defined = 0;
        int[] ids = new int[BackgroundRunWriter.CHUNK_EVENTS / 3 + 17];
        long x = 1;
        for (int round = 0; round < 8; round++) {
            w.defineBlock(new BlockDefined(defined, 0, defined * 16L, new byte[] {(byte) 0x90, (byte) 0xc3},
                    2, Terminator.RETURN));
            defined++;
            for (int i = 0; i < ids.length; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
                ids[i] = (int) ((x >>> 33) % defined);
            }
            if (released != null && round % 2 == 0) {
                // A view of a copy that is scribbled over once released: the log must not see that.
                ByteBuffer shared = ByteBuffer.allocateDirect(4 * ids.length + 8).order(ByteOrder.LITTLE_ENDIAN);
                shared.putInt(-5).asIntBuffer().put(ids, 5, ids.length - 5);
                shared.position(4).limit(4 + 4 * (ids.length - 5));
                ((BackgroundRunWriter) w).appendExec(shared, () -> {
                    for (int i = 0; i + 4 <= shared.limit(); i += 4) {
                        shared.putInt(i, -7);
                    }
                    released.incrementAndGet();
                });
            } else {
                w.appendExec(ids, 5, ids.length - 5);
            }
            w.appendExec(defined - 1);
            for (int i = 0; i < 3; i++) {
                sampleEvents[i] = w.blockEvents() - 3 + i;
                sampleValues[i] = x + i;
            }
            w.probeSamples(sampleEvents, sampleSites, sampleValues, 3, w.blockEvents());
            Arrays.fill(sampleValues, -9); // the writer must have taken its copy
            if (round % 3 == 1) {
                w.syscall(round, new long[] {1, 2, 3, 4, 5, 6}, -round);
            }
            if (round == 5) {
                w.signal(10, 0, 0);
            }
        }
        w.probeWindowEnd(w.blockEvents(), false);
    }

    /** The run {@link #writeRun} gives through the store's own writer: what a background writer must match. */
    private static RunId writeDirectly(TraceDatabase db) {
        try (RunWriter w = db.createRun("direct", started())) {
            writeRun(w);
            w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    private static List<String> dump(TraceDatabase db, RunId run) {
        List<String> lines = new ArrayList<>();
        try (RunReader reader = db.openRun(run)) {
            reader.replay(new EventVisitor() {
                @Override
                public void blockDefined(BlockDefined b) {
                    lines.add(b.toString());
                }

                @Override
                public void execBatch(ExecBatchHeader header, int[] blockIds) {
                    lines.add("exec " + header.firstBlockEvent() + " " + header.firstInstruction() + " "
                            + Arrays.hashCode(Arrays.copyOf(blockIds, header.eventCount())));
                }

                @Override
                public void syscall(SyscallResult s) {
                    lines.add(s.blockEvent() + " syscall " + s.number() + " " + Arrays.toString(s.args()) + " " + s.result());
                }

                @Override
                public void signal(dev.tracedb.store.SignalDelivered s) {
                    lines.add(s.toString());
                }
            });
            lines.add("ended " + reader.ended().orElseThrow().status() + " " + reader.instructionCount());
            lines.add("probes " + reader.probes().orElseThrow());
            reader.probedValues((event, site, value) -> lines.add("sample " + event + " " + site + " " + value));
        }
        return lines;
    }

    @Test
    void theLogIsTheOneTheWriterItselfWouldWrite() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RunId direct = writeDirectly(db);
            Progress progress = new Progress();
            RunId background;
            long events;
            try (RunWriter d = db.createRun("background", started());
                 RunWriter w = new BackgroundRunWriter(d, progress)) {
                writeRun(w);
                events = w.blockEvents();
                assertEquals(events, progress.blockEvents(), "progress is published up to the last chunk");
                assertEquals(2 * events, w.instructions());
                w.end(ExitStatus.exited(0));
                background = w.id();
            }
            assertTrue(events > 2L * BackgroundRunWriter.CHUNK_EVENTS, "crosses chunks: " + events);
            List<String> expected = dump(db, direct);
            assertEquals(expected, dump(db, background));
            assertTrue(expected.stream().anyMatch(l -> l.contains("syscall")));
        }
    }

    @Test
    void eventsReadWhereTheCallerKeepsThemGiveTheSameLogAndAreReleasedOnce() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RunId direct = writeDirectly(db);
            AtomicInteger released = new AtomicInteger();
            RunId shared;
            try (RunWriter d = db.createRun("shared", started()); RunWriter w = new BackgroundRunWriter(d, null)) {
                writeRun(w, released);
                w.end(ExitStatus.exited(0));
                shared = w.id();
            }
            assertEquals(4, released.get(), "each view released once");
            assertEquals(dump(db, direct), dump(db, shared));
        }
    }

    private static ByteBuffer ints(int... ids) {
        ByteBuffer b = ByteBuffer.allocate(4 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(ids);
        return b;
    }

    @Test
    void aViewGivenAfterAFailureIsReleasedAtOnce() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            try (RunWriter d = db.createRun("bad", started()); BackgroundRunWriter w = new BackgroundRunWriter(d, null)) {
                w.moduleMapped(new ModuleMapped(0, "/bin/example", 0x400000, 0x1000, new byte[0], new byte[32]));
                AtomicInteger released = new AtomicInteger();
                w.appendExec(ints(7), released::incrementAndGet); // block 7 is undefined
                assertThrows(IllegalArgumentException.class, w::blockEvents);
                assertEquals(1, released.get(), "released by the writer thread although it failed");
                assertThrows(IllegalArgumentException.class,
                        () -> w.appendExec(ints(0), released::incrementAndGet));
                assertEquals(2, released.get(), "released here: the writer had failed");
            }
        }
    }

    @Test
    void aFailureOfTheWriterIsThrownByTheNextCallAndNothingAfterItIsWritten() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RunId id;
            try (RunWriter d = db.createRun("bad", started()); RunWriter w = new BackgroundRunWriter(d, null)) {
                id = w.id();
                w.moduleMapped(new ModuleMapped(0, "/bin/example", 0x400000, 0x1000, new byte[0], new byte[32]));
                w.appendExec(7); // never defined: the underlying writer refuses it on the writer thread
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, w::blockEvents);
                assertTrue(e.getMessage().contains("block 7"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> w.syscall(1, new long[6], 0));
            }
            try (RunReader reader = db.openRun(id)) {
                assertFalse(reader.ended().isPresent(), "left incomplete");
                assertEquals(0, reader.instructionCount());
            }
        }
    }
}
