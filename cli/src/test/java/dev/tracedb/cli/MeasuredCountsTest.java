package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoader;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb run --stats} runs the cache's counting code: per trace its entries, completions
 * and side exits. Real programs, recorded and then run with {@code --stats} on the <em>same</em>
 * input, so that what was measured can be held against the compiler's forecast:
 * <ul>
 * <li>the output equals a plain run's;</li>
 * <li>every trace obeys the counters' invariant exactly: every pass through a trace ends in one
 *     completion or one side exit, so {@code entries == completions + exits} — except for a loop
 *     trace that jumps back to its own start, whose iterations are not entries:
 *     {@code entries == exits} (it leaves only by side exits);</li>
 * <li>traces in the program's own module count what the forecast says, within 1 + 0.1% for the
 *     C program (the forecast switches traces on at the program's entry point, the shim a little
 *     earlier, in its constructor) and 2 + 2% for lua5.4, which seeds its string hashes from
 *     addresses (ASLR), so table layouts and collections differ slightly from the recording.
 *     A loop trace whose path ends in a native call or return re-enters through its patched
 *     head: the forecast counts that as an iteration, the counters as a completion and an entry,
 *     so its expected entries are the forecast's entries plus completions. Traces in libc are
 *     not compared: malloc's branches follow the heap's state, which differs between a recording
 *     under the translator and a native run.</li>
 * </ul>
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class MeasuredCountsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "hotloops {0}")
    @ValueSource(strings = {"switch", "pointers", "recursion"})
    void aCProgramCountsWhatTheForecastSaysOnTheSameInput(String workload) throws Exception {
        List<String> argv = List.of(Programs.path("hotloops"), workload, workload.equals("recursion") ? "2000" : "20000");
        int compared = measureAndCompare(dir, argv, "hotloops", 1, 0.001, 100, false);
        assertTrue(compared >= 2, "at least two hot traces in hotloops were compared: " + compared);
    }

    @Test
    void lua54CountsWhatTheForecastSaysOnTheSameInput() throws Exception {
        Path script = InterpreterCachesIT.workloadDirectory().resolve("lua/numeric.lua");
        assertTrue(Files.isRegularFile(script), script.toString());
        int compared = measureAndCompare(dir, List.of("/usr/bin/lua5.4", script.toString(), "40"), "lua5.4", 2, 0.02, 1000, false);
        assertTrue(compared >= 2, "at least two hot traces in lua5.4 were compared: " + compared);
    }

    /**
     * Records {@code argv}, compiles it, runs it plain and with {@code --stats}, checks the output
     * and every trace's invariant, and compares the traces of {@code module} that the forecast
     * enters at least {@code hot} times. Returns how many were compared. {@code launcher}: through
     * {@code tracedb run} (static programs go on to the ptrace path), else the native runner.
     */
    static int measureAndCompare(Path dir, List<String> argv, String module, long slack, double share, long hot,
                                 boolean launcher) throws Exception {
        Path db = dir.resolve("db");
        EndToEnd.record(db, dir, argv);
        Path cache = EndToEnd.compile(db, "r0001", dir.resolve("t.tcache"));
        EndToEnd.Outcome plain = EndToEnd.execute(dir, argv);
        List<String> command = new ArrayList<>();
        if (launcher) {
            command.addAll(List.of(EndToEnd.launcher(), "run", "--cache", cache.toString(), "--stats", "--db", db.toString(), "--"));
            command.addAll(argv);
        } else {
            command.addAll(NativeLoader.locate().command(cache, true, db, false, argv));
        }
        EndToEnd.Outcome measured = EndToEnd.execute(dir, command);
        assertEquals(plain.out(), measured.out(), measured::toString);
        assertEquals(plain.status(), measured.status(), measured::toString);
        assertTrue(measured.err().contains("tracedb: trace stats saved as s0001"), measured::toString);

        TraceCache traceCache = TraceCacheFile.read(cache);
        Map<Integer, ModuleCode.Counter> ends = new HashMap<>();
        Map<Integer, Long> heads = new HashMap<>();
        for (ModuleCode code : traceCache.code()) {
            code.entries().forEach(e -> heads.put(e.traceId(), e.headOffset()));
            code.counting().counters().stream()
                    .filter(c -> c.kind() == ModuleCode.CounterKind.COMPLETION || c.kind() == ModuleCode.CounterKind.ITERATION)
                    .forEach(c -> ends.put(c.traceId(), c));
        }
        Map<Integer, Forecast.TraceForecast> forecast = new HashMap<>();
        traceCache.forecast().traces().forEach(f -> forecast.put(f.traceId(), f));

        TraceStats stats = TraceStatsDirectory.of(db).find("s0001");
        List<String> report = new ArrayList<>();
        int compared = 0;
        long entered = 0;
        for (TraceStats.Measured t : stats.traces()) {
            assertTrue(t.applied(), () -> "trace " + t.traceId() + " applied: " + measured);
            ModuleCode.Counter end = ends.get(t.traceId());
            boolean iterates = end.kind() == ModuleCode.CounterKind.ITERATION;
            String row = "trace " + t.traceId() + " " + t.module() + ": measured " + t.entries() + "/" + t.completions()
                    + "/" + t.exits() + ", forecast " + forecast.get(t.traceId());
            report.add(row);
            // the invariant, exactly
            assertEquals(t.entries(), (iterates ? 0 : t.completions()) + t.exits(), row);
            assertEquals(t.exits(), t.exitCounts().stream().mapToLong(TraceStats.ExitCount::count).sum(), row);
            entered += t.entries() > 0 ? 1 : 0;
            Forecast.TraceForecast f = forecast.get(t.traceId());
            if (!t.module().endsWith("/" + module) || f.entries() < hot) continue;
            boolean reenters = !iterates && end.target() == heads.get(t.traceId());
            long forecastExits = f.exits().stream().mapToLong(Forecast.ExitCount::count).sum();
            assertClose(f.entries() + (reenters ? f.completions() : 0), t.entries(), slack, share, "entries of " + row);
            assertClose(f.completions(), t.completions(), slack, share, "completions of " + row);
            assertClose(forecastExits, t.exits(), slack, share, "side exits of " + row);
            compared++;
        }
        assertTrue(entered > 0, () -> String.join("\n", report));
        return compared;
    }

    private static void assertClose(long expected, long actual, long slack, double share, String what) {
        long tolerance = slack + (long) (share * expected);
        assertTrue(Math.abs(expected - actual) <= tolerance,
                what + ": expected " + expected + " ± " + tolerance + ", measured " + actual);
    }

    @Test
    void damagedOrOldStatsFilesAreRefusedWithOneLine() throws Exception {
        Path db = dir.resolve("db");
        List<String> argv = List.of(Programs.path("loops"), "300");
        EndToEnd.record(db, dir, argv);
        Path cache = EndToEnd.compile(db, "r0001", dir.resolve("loops.tcache"));
        EndToEnd.Outcome measured = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, db, false, argv));
        assertEquals(0, measured.status(), measured::toString);
        Path kept = db.resolve("trace-stats/s0001.tstats");
        List<String> good = Files.readAllLines(kept);
        assertEquals(0, tracedb(db, "runs").status());

        Path bad = db.resolve("trace-stats/s0002.tstats");
        // version 1 files (entries only) are from before completions and exits were counted
        List<String> old = new ArrayList<>(good);
        old.set(0, "tracedb-trace-stats 1");
        Files.write(bad, old);
        CliRun runs = tracedb(db, "runs");
        assertEquals(1, runs.status(), runs::toString);
        assertEquals("tracedb: trace stats " + bad + ": format version 1, this tracedb reads version 2 (stats measured"
                + " before completions and side exits were counted)\n", runs.err());

        // a trace whose side exits do not add up: some line was changed
        int traceLine = -1;
        for (int i = 0; i < good.size() && traceLine < 0; i++) {
            String[] parts = good.get(i).split(" ");
            if (parts[0].equals("trace") && Long.parseLong(parts[6]) > 0) traceLine = i;
        }
        assertTrue(traceLine > 0, "a trace with side exits: " + good);
        List<String> tampered = new ArrayList<>(good);
        String[] parts = tampered.get(traceLine).split(" ", 8);
        parts[6] = Long.toString(Long.parseLong(parts[6]) + 1);
        tampered.set(traceLine, String.join(" ", parts));
        Files.write(bad, tampered);
        runs = tracedb(db, "runs");
        assertEquals(1, runs.status(), runs::toString);
        assertEquals(1, runs.err().lines().count(), runs::toString);
        assertTrue(runs.err().startsWith("tracedb: trace stats " + bad + ": line " + (traceLine + 1)
                + ": the trace's exit lines add up to "), runs::toString);
        assertEquals(good, Files.readAllLines(kept), "the good file is untouched");
    }
}
