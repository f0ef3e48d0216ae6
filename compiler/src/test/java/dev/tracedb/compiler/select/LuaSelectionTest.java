package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Trace selection on a real interpreter: lua5.4 running a numeric loop. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LuaSelectionTest {
    @TempDir
    Path tmp;

    @Test
    void oneTraceFollowsTheUserLoopThroughSeveralDispatches() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                    String.format(Recordings.LUA_LOOP, 300_000));
            assertEquals("1799996\n", recorded.stdout());
            List<String> progress = new ArrayList<>();
            try (RunReader run = db.openRun(recorded.run())) {
                SelectionResult result = TraceSelector.select(List.of(run), SelectionOptions.defaults(),
                        (phase, done, total) -> {
                            if (done == total && (progress.isEmpty() || !progress.get(progress.size() - 1).equals(phase))) {
                                progress.add(phase);
                            }
                        });
                TracePath hottest = result.selection().traces().get(0);
                assertEquals("/usr/bin/lua5.4", result.selection().modules().get(hottest.head().at().moduleIndex()).path());
                long dispatches = hottest.blocks().stream().map(PathBlock::terminator)
                        .filter(t -> t == Terminator.INDIRECT_JUMP).count();
                assertTrue(dispatches >= 3, "the loop trace goes through the interpreter's dispatch " + dispatches
                        + " times: " + hottest);
                assertTrue(hottest.loopsToHead(), "one user-level iteration closes the trace: " + hottest);
                // The loop's hot side exit (one iteration in seven) heads a trace of its own that links back.
                var hotExit = result.forecast().traces().get(0).exits().get(0);
                assertTrue(hotExit.count() > 40_000, "the loop trace's hottest exit " + hotExit);
                TracePath sideExitTrace = result.selection().traces().stream()
                        .filter(t -> t.head().at().equals(hotExit.to())).findFirst()
                        .orElseThrow(() -> new AssertionError("no trace at the hot side exit " + hotExit.to()));
                assertEquals(hottest.head().at(), sideExitTrace.continuation(), "the side-exit trace links back");
                long inside = result.forecast().traces().get(0).instructionsInside();
                assertTrue(inside > result.forecast().totalInstructions() / 2,
                        "the loop trace alone runs most instructions: " + inside);
                assertTrue(result.forecast().coverage() > 0.8, "coverage " + result.forecast().coverage());
                TraceChecks.assertTraceRules(result.selection(), SelectionOptions.defaults().maxBlocks());
                TraceChecks.assertPathsAreRecordedEdges(List.of(run), result.selection());
                TraceChecks.assertForecastAddsUp(List.of(run), result.selection(), result.forecast());
                TraceChecks.assertHeadPatchesAreSafe(List.of(run), result.selection());
                TraceChecks.straightTracesAtCallTargetsNoneAtReturnTargets(List.of(run), result.selection());
                assertEquals(List.of("profile", "paths", "forecast"), progress.subList(0, 3));
                // The sites a value probe would record: lua5.4's dispatch load of the instruction word
                // (mov r12d, [r13] at +0x1c479, Debian's build), found in the loop trace.
                var sites = dev.tracedb.compiler.codegen.ValueSites.of(result.selection());
                System.out.println("value sites: " + sites);
                assertTrue(sites.stream().anyMatch(s -> s.traceId() == hottest.traceId() && s.at().offset() == 0x1c479),
                        "the dispatch's word load is not a value site: " + sites);
                String report = SelectionReport.format(result, 5);
                System.out.println(report);
                assertTrue(report.contains("#0   lua5.4+0x" + Long.toHexString(hottest.head().at().offset()) + "  "
                        + hottest.blocks().size() + " blocks, " + hottest.instructionCount() + " instructions, loop"), report);
            }
        }
    }
    /**
     * lua5.4's calls of Lua functions go through {@code luaD_precall}, a C function entered by a
     * {@code call} from the OP_CALL handler. With callee entries dropped (before the thirteenth
     * round) no straight trace starts at a call target; by default the cost model keeps the one
     * there (the thirteenth round measured it paying on lua-recursion) and still drops those headed
     * at a return point.
     */
    @Test
    void theTraceAtLuaDPrecallIsKeptAndReturnPointsAreStillDropped() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                    "local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end print(fib(18))");
            assertEquals("2584\n", recorded.stdout());
            try (RunReader run = db.openRun(recorded.run())) {
                SelectionResult before = TraceSelector.select(List.of(run),
                        SelectionOptions.builder().calleeEntries(false).build());
                TraceChecks.assertNoStraightTraceAtCallOrReturnTargets(List.of(run), before.selection());

                SelectionOptions keep = SelectionOptions.defaults();
                SelectionResult result = TraceSelector.select(List.of(run), keep);
                List<TracePath> atCallTargets =
                        TraceChecks.straightTracesAtCallTargetsNoneAtReturnTargets(List.of(run), result.selection());
                // fib(18) makes 8,361 calls, each through luaD_precall's entry.
                var forecast = result.forecast().traces();
                assertTrue(atCallTargets.stream().anyMatch(t -> forecast.get(t.traceId()).entries() > 8_000),
                        "a trace at a function entry entered once per Lua call: " + atCallTargets + "\n"
                                + SelectionReport.format(result, 10));
                assertTrue(result.forecast().coverage() > before.forecast().coverage(),
                        "coverage " + before.forecast().coverage() + " -> " + result.forecast().coverage());
                assertTrue(result.summary().tracesDropped().stream()
                                .noneMatch(d -> d.reason().startsWith("entered by a call or a return")),
                        "the rule names returns only now: " + result.summary());
                TraceChecks.assertTraceRules(result.selection(), keep.maxBlocks());
                TraceChecks.assertPathsAreRecordedEdges(List.of(run), result.selection());
                TraceChecks.assertForecastAddsUp(List.of(run), result.selection(), result.forecast());
                TraceChecks.assertHeadPatchesAreSafe(List.of(run), result.selection());
            }
        }
    }
}
