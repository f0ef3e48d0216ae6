package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Trace selection on recordings of testprograms/src/loops.c (nested counted loops, PIE, dynamic). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopsSelectionTest {
    /**
     * These tests check mining, stop rules and merging on small C loops, whose traces mostly just
     * straighten their own loop and would be dropped as not paying (see SyscallLoopSelectionTest).
     */
    private static final SelectionOptions EVERY_TRACE = SelectionOptions.builder().minBranchesSavedPerEntry(0).minModuleSavedShare(0).build();

    @TempDir
    static Path tmp;
    static TraceDatabase db;
    static RunId small;
    static RunId large;
    static RunId other;

    @BeforeAll
    static void record() {
        db = TraceDatabase.open(tmp.resolve("db"));
        String loops = Recordings.testProgram("loops").toString();
        small = Recordings.record(db, tmp, loops, "200").run();
        large = Recordings.record(db, tmp, loops, "2000").run();
        other = Recordings.record(db, tmp, Recordings.testProgram("syscall-loop").toString(), "10").run();
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void theHotLoopsTraceClosesOnItsHeadAndCoversMostInstructions() {
        try (RunReader run = db.openRun(large)) {
            SelectionResult result = TraceSelector.select(List.of(run), EVERY_TRACE);
            TracePath hottest = result.selection().traces().get(0);
            Forecast.TraceForecast forecast = result.forecast().traces().get(0);
            assertTrue(result.selection().modules().get(hottest.head().at().moduleIndex()).path().endsWith("/loops"),
                    "the hottest trace is in the program, not in a library: " + result.selection().modules());
            assertTrue(hottest.loopsToHead(), "the inner loop's trace closes on its head: " + hottest);
            // 2000 rounds of 100 inner iterations: every iteration but the last of each round runs inside
            assertTrue(forecast.completions() >= 2000 * 98, "completions " + forecast.completions());
            assertTrue(result.forecast().coverage() > 0.5, "coverage " + result.forecast().coverage());
            TraceChecks.assertTraceRules(result.selection(), SelectionOptions.defaults().maxBlocks());
            TraceChecks.assertPathsAreRecordedEdges(List.of(run), result.selection());
            TraceChecks.assertForecastAddsUp(List.of(run), result.selection(), result.forecast());
            TraceChecks.assertHeadPatchesAreSafe(List.of(run), result.selection());
        }
    }

    /** Mining keeps per-block and per-path state, never the stream: 10x the events, the same state. */
    @Test
    void miningMemoryFollowsDistinctCodeNotRunLength() {
        try (RunReader smallRun = db.openRun(small); RunReader largeRun = db.openRun(large)) {
            SelectionSummary s = TraceSelector.select(List.of(smallRun), EVERY_TRACE).summary();
            SelectionSummary l = TraceSelector.select(List.of(largeRun), EVERY_TRACE).summary();
            assertTrue(l.instructions() > 5 * s.instructions(), l.instructions() + " vs " + s.instructions());
            assertTrue(l.distinctBlocks() <= s.distinctBlocks() + 8, l.distinctBlocks() + " vs " + s.distinctBlocks());
            assertTrue(l.distinctEdges() <= s.distinctEdges() + 16, l.distinctEdges() + " vs " + s.distinctEdges());
            assertTrue(l.maxPathNodes() <= s.maxPathNodes() * 1.2 + 100, l.maxPathNodes() + " vs " + s.maxPathNodes());
        }
    }

    /** Two runs of one program mine as one: blocks match by address, counts and forecast add up. */
    @Test
    void runsOfOneProgramMergeByModuleAndOffset() {
        try (RunReader smallRun = db.openRun(small); RunReader largeRun = db.openRun(large)) {
            SelectionResult one = TraceSelector.select(List.of(largeRun), EVERY_TRACE);
            SelectionResult both = TraceSelector.select(List.of(smallRun, largeRun), EVERY_TRACE);
            assertEquals(smallRun.blockEventCount() + largeRun.blockEventCount(), both.summary().blockEvents());
            assertTrue(both.summary().distinctBlocks() <= one.summary().distinctBlocks() + 8,
                    both.summary().distinctBlocks() + " vs " + one.summary().distinctBlocks());
            assertEquals(one.selection().traces().get(0).head(), both.selection().traces().get(0).head());
            TraceChecks.assertForecastAddsUp(List.of(smallRun, largeRun), both.selection(), both.forecast());
            assertEquals(2200 * 98, both.forecast().traces().get(0).completions(), 2200 * 2);
        }
    }

    @Test
    void runsOfDifferentProgramsAreRefused() {
        try (RunReader loops = db.openRun(small); RunReader syscalls = db.openRun(other)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TraceSelector.select(List.of(loops, syscalls), SelectionOptions.defaults()));
            assertTrue(e.getMessage().contains("compile runs of one program only"), e.getMessage());
            assertTrue(e.getMessage().contains("/loops") && e.getMessage().contains("/syscall-loop"), e.getMessage());
        }
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TraceSelector.select(List.of(), SelectionOptions.defaults()));
        assertEquals("no runs given", none.getMessage());
    }
}
