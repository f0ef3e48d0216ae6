package dev.tracedb.store;

import dev.tracedb.store.format.BatchEncoding;
import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceDatabaseTest extends StoreTestSupport {

    /** Records every event as a comparable string; batches as their id arrays. */
    static final class Recording implements EventVisitor {
        final List<Object> events = new ArrayList<>();

        @Override public void runStarted(RunStarted e) { events.add(e); }
        @Override public void moduleMapped(ModuleMapped e) { events.add(e); }
        @Override public void blockDefined(BlockDefined e) { events.add(e); }
        @Override public void execBatch(ExecBatchHeader h, int[] ids) {
            events.add(h.firstBlockEvent() + ":" + Arrays.toString(Arrays.copyOf(ids, h.eventCount())));
        }
        @Override public void syscall(SyscallResult e) { events.add(e); }
        @Override public void signal(SignalDelivered e) { events.add(e); }
        @Override public void memoryWritten(MemoryWritten e) { events.add(e); }
        @Override public void fileMapped(FileMapped e) { events.add(e); }
        @Override public void timestampRead(TimestampRead e) { events.add(e); }
        @Override public void runEnded(RunEnded e) { events.add(e); }
    }

    @Test
    void anInputsOnlyRunKeepsItsInputsInOrderAndSaysSo() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            byte[] random = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
            try (RunWriter w = db.createRun("inputs", started("/usr/bin/lua5.4"))) {
                id = w.id();
                w.inputsOnly();
                w.memoryWritten(0x7fff_ffff_e123L, random);
                w.syscall(0, new long[] {3, 0x5555_0000L, 832, 0, 0, 0}, 5);
                w.memoryWritten(0x5555_0000L, "hello".getBytes());
                w.syscall(9, new long[] {0, 4096, 1, 2, 3, 0}, 0x7fff_f7d0_0000L);
                w.fileMapped("/usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136, 1_700_000_000_123_456_789L, 4242,
                        1_700_000_100_987_654_321L, 0xfd01);
                w.timestampRead(0x1234_5678_9abcL, 0, false);
                w.timestampRead(0x1234_5678_9abdL, 3, true);
                w.end(ExitStatus.exited(0));
            }
            Recording rec = new Recording();
            try (RunReader r = db.openRun(id)) {
                r.replay(rec);
                assertTrue(r.info().inputsOnly());
                assertEquals(2, r.info().syscalls());
                assertEquals(0, r.blockEventCount());
            }
            assertEquals(List.of(started("/usr/bin/lua5.4"),
                    new MemoryWritten(0, 0x7fff_ffff_e123L, random),
                    new SyscallResult(0, 0, new long[] {3, 0x5555_0000L, 832, 0, 0, 0}, 5),
                    new MemoryWritten(0, 0x5555_0000L, "hello".getBytes()),
                    new SyscallResult(0, 9, new long[] {0, 4096, 1, 2, 3, 0}, 0x7fff_f7d0_0000L),
                    new FileMapped(0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136, 1_700_000_000_123_456_789L, 4242,
                            1_700_000_100_987_654_321L, 0xfd01),
                    new TimestampRead(0, 0x1234_5678_9abcL, 0, false),
                    new TimestampRead(0, 0x1234_5678_9abdL, 3, true),
                    new RunEnded(ExitStatus.exited(0), 0, 0, CLOCK.instant())), rec.events);
        }
    }

    /** An inputs run that stopped at a point its log cannot place says so last, and stays incomplete. */
    @Test
    void anUnplacedStopIsReadBackAfterTheLastInput() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("inputs", started("/usr/bin/python3"))) {
                id = w.id();
                w.inputsOnly();
                w.syscall(110, new long[] {0, 0, 0, 0, 0, 0}, 4242);
                w.unplacedStop();
            }
            List<Object> events = new ArrayList<>();
            try (RunReader r = db.openRun(id)) {
                r.replay(new EventVisitor() {
                    @Override public void syscall(SyscallResult e) { events.add(e); }
                    @Override public void unplacedStop() { events.add("unplaced stop"); }
                });
                assertTrue(r.info().inputsOnly());
                assertFalse(r.info().complete());
            }
            assertEquals(List.of(new SyscallResult(0, 110, new long[] {0, 0, 0, 0, 0, 0}, 4242), "unplaced stop"), events);
        }
    }

    @Test
    void aRunWithBlocksIsNotInputsOnly() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun(null, started("/bin/true"))) {
                id = w.id();
                defineBlocks(w, 1);
                w.appendExec(0);
            }
            try (RunReader r = db.openRun(id)) {
                assertFalse(r.info().inputsOnly());
            }
        }
    }

    @Test
    void everyEventTypeRoundTripsInOrder() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("demo", started("/usr/bin/lua5.4"))) {
                id = w.id();
                defineBlocks(w, 4);
                w.appendExec(new int[] {0, 1, 2}, 0, 3);
                w.syscall(1, new long[] {1, 0x7ffd_0000L, 12, 0, 0, 0}, 12);
                w.moduleMapped(module(1));
                w.defineBlock(new BlockDefined(9, 1, 0x40, new byte[] {(byte) 0xC3}, 1, Terminator.RETURN));
                w.appendExec(9);
                w.appendExec(new int[] {7, 3, 3, 7}, 1, 2);
                w.signal(11, 1, 0xdead_beefL);
                assertEquals(6, w.blockEvents());
                RunEnded end = w.end(ExitStatus.killedBy(11));
                assertEquals(new RunEnded(ExitStatus.killedBy(11), 6, 1 + 2 + 3 + 1 + 4 + 4, CLOCK.instant()),
                        end);
            }
            Recording rec = new Recording();
            try (RunReader r = db.openRun(id)) {
                r.replay(rec);
                assertTrue(r.isComplete());
                assertEquals(6, r.blockEventCount());
                assertEquals(List.of(module(0), module(1)), r.modules());
            }
            List<Object> expected = new ArrayList<>();
            expected.add(started("/usr/bin/lua5.4"));
            expected.add(module(0));
            for (int i = 0; i < 4; i++) expected.add(block(i));
            expected.add("0:[0, 1, 2]");
            expected.add(new SyscallResult(3, 1, new long[] {1, 0x7ffd_0000L, 12, 0, 0, 0}, 12));
            expected.add(module(1));
            expected.add(new BlockDefined(9, 1, 0x40, new byte[] {(byte) 0xC3}, 1, Terminator.RETURN));
            expected.add("3:[9, 3, 3]");
            expected.add(new SignalDelivered(6, 11, 1, 0xdead_beefL));
            expected.add(new RunEnded(ExitStatus.killedBy(11), 6, 1 + 2 + 3 + 1 + 4 + 4, CLOCK.instant()));
            assertEquals(expected, rec.events);
        }
    }

    @Test
    void writerRejectsBlocksUsedBeforeDefinitionAndAppendsNothing() {
        try (ChronicleTraceDatabase db = openDb()) {
            try (RunWriter w = db.createRun(null, started("/bin/true"))) {
                defineBlocks(w, 3);
                assertThrows(IllegalArgumentException.class, () -> w.appendExec(3));
                assertThrows(IllegalArgumentException.class, () -> w.appendExec(-1));
                assertThrows(IllegalArgumentException.class, () -> w.appendExec(new int[] {0, 1, 2, 5}, 0, 4));
                assertEquals(0, w.blockEvents());
                assertThrows(IllegalArgumentException.class, () -> w.defineBlock(block(1)));
                assertThrows(IllegalArgumentException.class,
                        () -> w.defineBlock(new BlockDefined(50, 7, 0, new byte[1], 1, Terminator.OTHER)));
                w.appendExec(new int[] {0, 1, 2, 5}, 0, 3);
                assertEquals(3, w.blockEvents());
                w.end(ExitStatus.exited(0));
                assertThrows(IllegalStateException.class, () -> w.appendExec(0));
            }
            assertEquals("true", db.runs().get(0).name());
        }
    }

    @Test
    void catalogTracksStatesAndSurvivesReopen() {
        RunWriter recording;
        try (ChronicleTraceDatabase db = openDb()) {
            try (RunWriter w = db.createRun("a", started("/bin/a"))) {
                w.end(ExitStatus.exited(3));
            }
            try (RunWriter w = db.createRun("b", started("/bin/b"))) {
                defineBlocks(w, 2);
                w.appendExec(1);
                // closed without end(): incomplete
            }
            recording = db.createRun("c", started("/bin/c"));
            try {
                List<RunSummary> runs = db.runs();
                assertEquals(List.of("r0001", "r0002", "r0003"), runs.stream().map(r -> r.id().toString()).toList());
                assertEquals(List.of(RunState.COMPLETE, RunState.INCOMPLETE, RunState.RECORDING),
                        runs.stream().map(RunSummary::state).toList());
                assertEquals(ExitStatus.exited(3), runs.get(0).exit());
                assertEquals(CLOCK.instant(), runs.get(0).endTime());
                assertEquals("/bin/b", runs.get(1).program());
                assertEquals(T0, runs.get(1).startTime());
            } finally {
                recording.close();
            }
        }
        try (ChronicleTraceDatabase db = openDb()) {
            assertEquals(RunState.INCOMPLETE, db.runs().get(2).state());
            try (RunWriter w = db.createRun("d", started("/bin/d"))) {
                assertEquals("r0004", w.id().toString());
            }
        }
    }

    @Test
    void resolvesIdNameAndUniquePrefix() {
        try (ChronicleTraceDatabase db = openDb()) {
            for (String name : List.of("lua-fib", "lua-sort", "python", "python")) {
                db.createRun(name, started("/bin/" + name)).close();
            }
            assertEquals("r0002", db.resolve("r0002").id().toString());
            assertEquals("r0001", db.resolve("lua-fib").id().toString());
            assertEquals("r0002", db.resolve("lua-s").id().toString());
            assertEquals("r0003", db.resolve("r0003").id().toString());
            NoSuchRunException ambiguous = assertThrows(NoSuchRunException.class, () -> db.resolve("lua"));
            assertTrue(ambiguous.getMessage().contains("r0001") && ambiguous.getMessage().contains("r0002"),
                    ambiguous.getMessage());
            assertThrows(NoSuchRunException.class, () -> db.resolve("python"));
            assertThrows(NoSuchRunException.class, () -> db.resolve("perl"));
            assertThrows(NoSuchRunException.class, () -> db.resolve("r0009"));
            assertThrows(NoSuchRunException.class, () -> db.openRun(new RunId(9)));
        }
    }

    @Test
    void seeksByBlockEventAndInstruction() {
        int total = 100_003;
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("seek", started("/bin/seek"), 1000, BatchEncoding.DEFAULT)) {
                id = w.id();
                defineBlocks(w, 256);
                InterpreterStream s = new InterpreterStream(42, 256);
                int[] buf = new int[777];
                for (int done = 0; done < total; done += buf.length) {
                    int n = Math.min(buf.length, total - done);
                    s.fill(buf, 0, n);
                    w.appendExec(buf, 0, n);
                }
                w.end(ExitStatus.exited(0));
            }
            int[] expected = new int[total];
            new InterpreterStream(42, 256).fill(expected, 0, total);
            long[] instructionAt = new long[total + 1];
            for (int i = 0; i < total; i++) instructionAt[i + 1] = instructionAt[i] + instructionsOf(expected[i]);
            try (RunReader r = db.openRun(id)) {
                assertEquals(101, r.batches().size());
                assertEquals(instructionAt[total], r.instructionCount());
                int[] ids = new int[r.maxBatchEvents()];
                for (long e : new long[] {0, 1, 999, 1000, 54_321, total - 1}) {
                    ExecBatchHeader h = r.batchAtBlockEvent(e).orElseThrow();
                    assertTrue(h.containsBlockEvent(e));
                    r.readBatch(h, ids);
                    assertEquals(expected[(int) e], ids[(int) (e - h.firstBlockEvent())]);
                    // the instruction index of that event's first instruction lands in the same batch
                    ExecBatchHeader byInsn = r.batchAtInstruction(instructionAt[(int) e]).orElseThrow();
                    assertEquals(h, byInsn);
                }
                assertTrue(r.batchAtBlockEvent(total).isEmpty());
                assertTrue(r.batchAtInstruction(instructionAt[total]).isEmpty());
                assertTrue(r.batchAtInstruction(-1).isEmpty());

                ExecBatchHeader from = r.batches().get(50);
                long[] seen = {0, -1};
                List<Integer> defs = new ArrayList<>();
                r.replayFrom(from, new EventVisitor() {
                    @Override public void blockDefined(BlockDefined b) { defs.add(b.blockId()); }
                    @Override public void execBatch(ExecBatchHeader h, int[] b) {
                        if (seen[1] < 0) seen[1] = h.firstBlockEvent();
                        for (int i = 0; i < h.eventCount(); i++) {
                            assertEquals(expected[(int) (h.firstBlockEvent() + i)], b[i]);
                        }
                        seen[0] += h.eventCount();
                    }
                });
                assertEquals(256, defs.size());
                assertEquals(from.firstBlockEvent(), seen[1]);
                assertEquals(total - from.firstBlockEvent(), seen[0]);
            }
        }
    }

    @Test
    void infoSummarisesTheLog() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("info", started("/bin/info"))) {
                id = w.id();
                defineBlocks(w, 10);
                for (int i = 0; i < 10; i++) w.appendExec(i);
                w.syscall(60, new long[6], 0);
            }
            try (RunReader r = db.openRun(id)) {
                RunInfo info = r.info();
                assertFalse(info.complete());
                assertEquals(10, info.blocksDefined());
                assertEquals(10, info.blockEvents());
                assertEquals(1, info.batches());
                assertEquals(1, info.syscalls());
                assertEquals(1, info.modules().size());
                assertEquals(List.of("/bin/info", "-e", "print(1)"), info.started().argv());
                assertTrue(info.encodedBytes() > 0);
            }
        }
    }

    @Test
    void everyBatchEncodingReadsBack() {
        try (ChronicleTraceDatabase db = openDb()) {
            for (BatchEncoding enc : BatchEncoding.values()) {
                RunId id;
                try (RunWriter w = db.createRun(enc.name(), started("/bin/x"), 4096, enc)) {
                    id = w.id();
                    defineBlocks(w, 5000);
                    int[] ids = new int[10_000];
                    new InterpreterStream(enc.ordinal(), 5000).fill(ids, 0, ids.length);
                    ids[17] = 4999;
                    ids[18] = 0;
                    w.appendExec(ids, 0, ids.length);
                    w.end(ExitStatus.exited(0));
                }
                int[] expected = new int[10_000];
                new InterpreterStream(enc.ordinal(), 5000).fill(expected, 0, expected.length);
                expected[17] = 4999;
                expected[18] = 0;
                int[] got = new int[10_000];
                try (RunReader r = db.openRun(id)) {
                    r.replay(new EventVisitor() {
                        @Override public void execBatch(ExecBatchHeader h, int[] b) {
                            System.arraycopy(b, 0, got, (int) h.firstBlockEvent(), h.eventCount());
                        }
                    });
                }
                assertArrayEquals(expected, got, enc.name());
            }
        }
    }
}
