package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module rule of the cost model ({@link SelectionOptions#minModuleSavedShare}) on real
 * interpreters: python3's recursion (bench/workloads/python/recursion.py's shape), whose traces
 * each pass their own rules but together remove a few taken branches per 10,000 instructions, and
 * lua5.4's, whose traces at luaD_precall pay (docs/compiling.md, Thirteenth and Fourteenth (b) rounds).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ModuleSavingSelectionTest {
    static final String PY_RECURSION = "def fib(k):\n    return k if k < 2 else fib(k - 1) + fib(k - 2)\n"
            + "def perms(items):\n    if len(items) <= 1:\n        return 1\n"
            + "    return sum(perms(items[:i] + items[i + 1:]) for i in range(len(items)))\n"
            + "print(fib(15), perms(list(range(5))))\n";

    @TempDir
    Path tmp;

    @Test
    void python3sRecursionTracesAreDroppedTogetherForTheirModuleAndNoneIsKept() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/python3", "-c", PY_RECURSION);
            assertEquals("610 120\n", recorded.stdout());
            try (RunReader run = db.openRun(recorded.run())) {
                SelectionResult without = TraceSelector.select(List.of(run),
                        SelectionOptions.builder().minModuleSavedShare(0).build());
                assertTrue(!without.selection().traces().isEmpty(),
                        "without the module rule traces pass their own rules: " + without.summary());
                assertTrue(without.forecast().coverage() < 0.1, "they run few instructions: " + without.forecast().coverage());

                SelectionResult result = TraceSelector.select(List.of(run), SelectionOptions.defaults());
                assertEquals(List.of(), result.selection().traces(), SelectionReport.format(result, 10));
                Set<Long> byModuleRule = result.summary().tracesDropped().stream()
                        .filter(d -> d.reason().startsWith("its module's traces would save "))
                        .map(d -> d.head().offset()).collect(Collectors.toSet());
                Set<Long> keptWithout = without.selection().traces().stream()
                        .map(t -> t.head().at().offset()).collect(Collectors.toSet());
                assertEquals(keptWithout, byModuleRule,
                        "the traces the rule drops are those kept without it: " + result.summary());
                assertEquals(0.0, result.forecast().coverage());
            }
        }
    }

    @Test
    void lua5sModuleKeepsItsTracesAndModulesUnderTheShareLoseAllOfTheirs() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                    "local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end print(fib(18))");
            assertEquals("2584\n", recorded.stdout());
            try (RunReader run = db.openRun(recorded.run())) {
                SelectionResult without = TraceSelector.select(List.of(run),
                        SelectionOptions.builder().minModuleSavedShare(0).build());
                SelectionResult result = TraceSelector.select(List.of(run), SelectionOptions.defaults());
                List<TracePath> lua = result.selection().traces().stream()
                        .filter(t -> result.selection().modules().get(t.head().at().moduleIndex()).path().equals("/usr/bin/lua5.4"))
                        .toList();
                long luaWithout = without.selection().traces().stream()
                        .filter(t -> without.selection().modules().get(t.head().at().moduleIndex()).path().equals("/usr/bin/lua5.4"))
                        .count();
                assertEquals(luaWithout, lua.size(), "lua5.4's traces pay together: all kept\n" + SelectionReport.format(result, 30));
                // fib(18) makes 8,361 calls, each through luaD_precall's entry: its trace stays
                var forecast = result.forecast().traces();
                assertTrue(lua.stream().anyMatch(t -> forecast.get(t.traceId()).entries() > 8_000), SelectionReport.format(result, 30));
                // what the rule drops here (libc's start-up traces: fib(18) is a short run) runs little
                assertTrue(result.forecast().coverage() > without.forecast().coverage() - 0.03,
                        "coverage " + without.forecast().coverage() + " -> " + result.forecast().coverage());
                assertTrue(result.forecast().coverage() > 0.4, "coverage " + result.forecast().coverage());
                assertTrue(without.selection().traces().size() >= result.selection().traces().size());
                // an unreachable share drops every module's traces
                SelectionResult none = TraceSelector.select(List.of(run), SelectionOptions.builder().minModuleSavedShare(1).build());
                assertEquals(List.of(), none.selection().traces());
                assertTrue(none.summary().tracesDropped().stream().anyMatch(d -> d.reason().startsWith("its module's traces would save ")),
                        none.summary().toString());
                TraceChecks.assertTraceRules(result.selection(), SelectionOptions.defaults().maxBlocks());
                TraceChecks.assertForecastAddsUp(List.of(run), result.selection(), result.forecast());
                TraceChecks.assertHeadPatchesAreSafe(List.of(run), result.selection());
            }
        }
    }
}
