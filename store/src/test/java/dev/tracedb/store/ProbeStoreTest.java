package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Value probes through the store: sites, samples and window written, read back in order and clipped. */
class ProbeStoreTest extends StoreTestSupport {
    private static final List<ProbeSite> SITES = List.of(ProbeSite.parse("lua5.4+0x1c479"), ProbeSite.parse("libc.so.6+16"));

    @Test
    void sitesParseAndPrint() {
        ProbeSite s = ProbeSite.parse("lua5.4+0x1c479");
        assertEquals(new ProbeSite("lua5.4", 0x1c479), s);
        assertEquals("lua5.4+0x1c479", s.toString());
        assertEquals(new ProbeSite("a+b", 16), ProbeSite.parse("a+b+16"));
        assertTrue(s.inModule("/usr/bin/lua5.4"));
        assertFalse(s.inModule("/usr/bin/lua5.3"));
        assertThrows(IllegalArgumentException.class, () -> ProbeSite.parse("lua5.4"));
        assertThrows(IllegalArgumentException.class, () -> ProbeSite.parse("lua5.4+0xzz"));
    }

    @Test
    void samplesRoundTripInOrderWithTheirWindow() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            List<long[]> expected = new ArrayList<>();
            try (RunWriter w = db.createRun("probed", started("/usr/bin/lua5.4"), 1000, dev.tracedb.store.format.BatchEncoding.DEFAULT)) {
                id = w.id();
                defineBlocks(w, 64);
                w.probeSites(SITES, 0);
                int[] ids = new int[2500];
                new InterpreterStream(1, 64).fill(ids, 0, ids.length);
                w.appendExec(ids, 0, ids.length);
                // Samples in block events 3, 3, 10, ..., values spanning all 64 bits.
                int n = 70_000; // more than one frame
                long[] events = new long[n];
                int[] sites = new int[n];
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    events[i] = 3 + i / 30;
                    sites[i] = i % 2;
                    values[i] = i % 3 == 0 ? -1L - i : (long) i * 0x9E3779B97F4A7C15L;
                    expected.add(new long[] {events[i], sites[i], values[i]});
                }
                w.probeSamples(events, sites, values, n, 2500);
                w.probeWindowEnd(2500, false);
                w.end(ExitStatus.exited(0));
            }
            try (RunReader r = db.openRun(id)) {
                ProbeWindow window = r.probes().orElseThrow();
                assertEquals(SITES, window.sites());
                assertEquals(0, window.firstEvent());
                assertEquals(2500, window.endEvent());
                assertFalse(window.cutOff());
                assertEquals(expected.size(), window.samples());
                List<long[]> read = new ArrayList<>();
                r.probedValues((e, s, v) -> read.add(new long[] {e, s, v}));
                assertEquals(expected.size(), read.size());
                for (int i = 0; i < read.size(); i++) {
                    assertTrue(java.util.Arrays.equals(expected.get(i), read.get(i)), "sample " + i);
                }
                long[] seen = {0};
                r.replay(new EventVisitor() {
                    @Override
                    public void execBatch(ExecBatchHeader h, int[] ids) {
                        seen[0] += h.eventCount();
                    }
                });
                assertEquals(2500, seen[0], "a replay skips the probe events");
            }
        }
    }

    @Test
    void aCutOffWindowAndAnIncompleteRunAreClippedToWhatTheLogCovers() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId cut;
            RunId killed;
            try (RunWriter w = db.createRun("cut", started("/usr/bin/lua5.4"), 1000, dev.tracedb.store.format.BatchEncoding.DEFAULT)) {
                cut = w.id();
                defineBlocks(w, 64);
                w.probeSites(SITES, 0);
                int[] ids = new int[2000];
                new InterpreterStream(1, 64).fill(ids, 0, ids.length);
                w.appendExec(ids, 0, ids.length);
                w.probeSamples(new long[] {1, 2, 5}, new int[] {0, 0, 0}, new long[] {10, 20, 50}, 3, 6);
                w.probeWindowEnd(6, true);
                w.end(ExitStatus.exited(0));
            }
            try (RunWriter w = db.createRun("killed", started("/usr/bin/lua5.4"), 1000, dev.tracedb.store.format.BatchEncoding.DEFAULT)) {
                killed = w.id();
                defineBlocks(w, 64);
                w.probeSites(SITES, 0);
                int[] ids = new int[2500]; // two whole batches and a pending one that a close writes
                new InterpreterStream(1, 64).fill(ids, 0, ids.length);
                w.appendExec(ids, 0, 2000);
                w.probeSamples(new long[] {100, 1500, 1999}, new int[] {1, 1, 1}, new long[] {1, 2, 3}, 3, 1800);
                // closed without an end: incomplete; the samples cover block events up to 1800 only
            }
            try (RunReader r = db.openRun(cut)) {
                ProbeWindow w = r.probes().orElseThrow();
                assertEquals(new ProbeWindow(SITES, 0, 6, true, 3), w);
            }
            try (RunReader r = db.openRun(killed)) {
                ProbeWindow w = r.probes().orElseThrow();
                assertEquals(new ProbeWindow(SITES, 0, 1800, false, 2), w);
                List<Long> events = new ArrayList<>();
                r.probedValues((e, s, v) -> events.add(e));
                assertEquals(List.of(100L, 1500L), events);
            }
        }
    }

    @Test
    void aRunWithoutProbesHasNone() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter w = db.createRun("plain", started("/bin/true"))) {
                id = w.id();
                defineBlocks(w, 4);
                w.appendExec(1);
                w.end(ExitStatus.exited(0));
            }
            try (RunReader r = db.openRun(id)) {
                assertTrue(r.probes().isEmpty());
                r.probedValues((e, s, v) -> {
                    throw new AssertionError("no samples");
                });
            }
        }
    }
}
