package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10^8 block events through one run, written and read back, verified by an order-sensitive hash.
 * Memory stays bounded: the stream is generated on the fly and never held (the test runs in the
 * surefire JVM's 2 GiB heap alongside everything else). Override the size with
 * {@code -Dtracedb.test.largeEvents=N}.
 */
class LargeRoundTripTest extends StoreTestSupport {
    private static final long EVENTS = Long.getLong("tracedb.test.largeEvents", 100_000_000L);

    private static long mix(long h, int id) {
        return (h ^ id) * 0x100000001B3L;
    }

    @Test
    void hundredMillionBlockEventsRoundTrip() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            long writtenHash = 0xCBF29CE484222325L;
            long writtenInstructions = 0;
            long t0 = System.nanoTime();
            try (RunWriter w = db.createRun("large", started("/bin/large"))) {
                id = w.id();
                defineBlocks(w, 4096);
                InterpreterStream s = new InterpreterStream(2024, 4096);
                int[] buf = new int[1 << 14];
                for (long done = 0; done < EVENTS; done += buf.length) {
                    int n = (int) Math.min(buf.length, EVENTS - done);
                    s.fill(buf, 0, n);
                    for (int i = 0; i < n; i++) {
                        writtenHash = mix(writtenHash, buf[i]);
                        writtenInstructions += instructionsOf(buf[i]);
                    }
                    w.appendExec(buf, 0, n);
                }
                w.end(ExitStatus.exited(0));
            }
            long t1 = System.nanoTime();
            long[] read = {0xCBF29CE484222325L, 0, 0};
            try (RunReader r = db.openRun(id)) {
                assertTrue(r.isComplete());
                assertEquals(EVENTS, r.blockEventCount());
                assertEquals(writtenInstructions, r.instructionCount());
                r.replay(new EventVisitor() {
                    @Override
                    public void execBatch(ExecBatchHeader h, int[] ids) {
                        long hash = read[0];
                        for (int i = 0, n = h.eventCount(); i < n; i++) hash = mix(hash, ids[i]);
                        read[0] = hash;
                        read[1] += h.eventCount();
                    }
                });
                read[2] = r.info().encodedBytes();
            }
            long t2 = System.nanoTime();
            System.out.printf("%,d block events: write+generate %.2f s, read %.2f s, %.3f bytes/event%n", EVENTS,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, (double) read[2] / EVENTS);
            assertEquals(EVENTS, read[1]);
            assertEquals(writtenHash, read[0]);
        }
    }
}
