package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoader;
import dev.tracedb.loader.stats.CacheId;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measured against predicted trace behaviour, on real runs of lua5.4: recorded on one input,
 * compiled, run with {@code --stats} on another; the counts land in the database as trace stats
 * ({@code tracedb runs} lists them) and {@code tracedb export --table traces} joins them with the
 * cache's forecast, read back with Arrow's own Java reader and as CSV.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TraceStatsTest {
    private static final Pattern ENTERED = Pattern.compile(
            "tracedb: trace (\\d+) (\\S+) entered (\\d+), completed (\\d+), side exits (\\d+)\n");
    private static final String SCRIPT = String.join("\n",
            "local n, t, s = tonumber(arg[1]), {}, 0",
            "for i = 1, n do t[i % 64 + 1] = (i * 7) % 13 end",
            "for i = 1, n do s = s + t[i % 64 + 1] * 2 end",
            "print(s)", "");

    @TempDir
    Path dir;

    @Test
    void statsOfALuaRunAreKeptListedAndExportedBesideTheForecast() throws Exception {
        Path db = dir.resolve("db");
        Path script = dir.resolve("work.lua");
        Files.writeString(script, SCRIPT);
        record(db, "/usr/bin/lua5.4", script.toString(), "20000");
        Path cache = dir.resolve("lua.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);

        List<String> other = List.of("/usr/bin/lua5.4", script.toString(), "60000");
        EndToEnd.Outcome plain = EndToEnd.execute(dir, other);
        EndToEnd.Outcome measured = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, db, false, other));
        assertEquals(plain.out(), measured.out());
        assertEquals(0, measured.status(), measured::toString);
        assertTrue(measured.err().contains("tracedb: trace stats saved as s0001 in " + db.toRealPath().resolve("trace-stats") + "\n"),
                measured::toString);

        // the file holds what the shim printed, for the cache it ran with
        List<TraceStats> all = TraceStatsDirectory.of(db).all();
        assertEquals(1, all.size());
        TraceStats stats = all.get(0);
        assertEquals("s0001", stats.id());
        assertEquals(CacheId.of(cache), stats.cacheId());
        assertEquals(List.of("/usr/bin/lua5.4", script.toString(), "60000"), stats.args());
        TraceCache traceCache = TraceCacheFile.read(cache);
        int traces = traceCache.code().stream().mapToInt(c -> c.entries().size()).sum();
        assertEquals(traces, stats.traces().size(), "every trace of the cache, applied or not");
        Map<Integer, List<Long>> printed = new HashMap<>();
        Matcher m = ENTERED.matcher(measured.err());
        while (m.find()) {
            printed.put(Integer.parseInt(m.group(1)),
                    List.of(Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5))));
        }
        Map<Integer, List<Long>> kept = new HashMap<>();
        stats.traces().stream().filter(t -> t.entries() > 0)
                .forEach(t -> kept.put(t.traceId(), List.of(t.entries(), t.completions(), t.exits())));
        assertEquals(printed, kept);
        assertTrue(measured.err().contains(": " + stats.appliedCount() + " traces applied, " + stats.enteredCount()
                + " entered; " + stats.totalEntries() + " entries, " + stats.totalCompletions() + " completions, "
                + stats.totalExits() + " side exits\n"), measured::toString);
        long luaEntries = stats.traces().stream().filter(t -> t.module().endsWith("/lua5.4")).mapToLong(TraceStats.Measured::entries).sum();
        assertTrue(luaEntries > 60_000, "the user loops enter their traces at least once per iteration of one loop: " + luaEntries);

        CliRun runs = tracedb(db, "runs");
        assertEquals(0, runs.status(), runs::toString);
        assertTrue(runs.out().contains("trace stats (tracedb run --stats):"), runs::toString);
        assertTrue(runs.out().lines().anyMatch(l -> l.startsWith("s0001 ") && l.contains(cache.toString())
                && l.endsWith("/usr/bin/lua5.4 " + script + " 60000")), runs::toString);

        // Arrow, read back with Arrow's own reader: the forecast from the cache, the entries from the stats
        Path arrow = dir.resolve("traces.arrow");
        CliRun export = tracedb(db, "export", "--table", "traces", "--cache", cache.toString(), "-o", arrow.toString());
        assertEquals(0, export.status(), export::toString);
        assertTrue(export.out().endsWith("; measured entries, completions and side exits from s0001\n"), export::toString);
        Map<String, String> metadata = new HashMap<>();
        Map<String, List<Object>> columns = ArrowColumns.read(arrow, metadata);
        assertEquals("traces", metadata.get("tracedb.table"));
        assertEquals("s0001", metadata.get("tracedb.stats"));
        assertEquals(CacheId.hex(CacheId.of(cache)), metadata.get("tracedb.cache_id"));
        assertEquals(traces, columns.get("trace_id").size());
        Map<Integer, Forecast.TraceForecast> forecast = new HashMap<>();
        traceCache.forecast().traces().forEach(f -> forecast.put(f.traceId(), f));
        Map<Integer, TraceStats.Measured> byId = new HashMap<>();
        stats.traces().forEach(t -> byId.put(t.traceId(), t));
        for (int row = 0; row < traces; row++) {
            int id = (Integer) columns.get("trace_id").get(row);
            Forecast.TraceForecast f = forecast.get(id);
            assertEquals(f.entries(), columns.get("forecast_entries").get(row), "trace " + id);
            assertEquals(f.completions(), columns.get("forecast_completions").get(row), "trace " + id);
            assertEquals(f.instructionsInside(), columns.get("forecast_instructions").get(row), "trace " + id);
            TraceStats.Measured t = byId.get(id);
            assertEquals(t.applied() ? t.entries() : -1L, columns.get("measured_entries").get(row), "trace " + id);
            assertEquals(t.applied() ? t.completions() : -1L, columns.get("measured_completions").get(row), "trace " + id);
            assertEquals(t.applied() ? t.exits() : -1L, columns.get("measured_exits").get(row), "trace " + id);
            assertEquals(t.applied() ? t.guardExits() : -1L, columns.get("measured_guard_exits").get(row), "trace " + id);
            assertEquals(f.exits().stream().mapToLong(Forecast.ExitCount::count).sum(), columns.get("forecast_exits").get(row),
                    "trace " + id);
            assertEquals("s0001", columns.get("stats").get(row));
        }

        // CSV: the same rows
        Path csv = dir.resolve("traces.csv");
        assertEquals(0, tracedb(db, "export", "--table", "traces", "--cache", cache.toString(), "--stats", "s0001",
                "--format", "csv", "-o", csv.toString()).status());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(traces + 1, lines.size());
        List<String> header = List.of(lines.get(0).split(","));
        int entriesColumn = header.indexOf("measured_entries");
        for (int row = 0; row < traces; row++) {
            String[] cells = lines.get(row + 1).split(",", -1);
            assertEquals(columns.get("trace_id").get(row).toString(), cells[0]);
            assertEquals(columns.get("measured_entries").get(row).toString(), cells[entriesColumn]);
        }
    }

    @Test
    void theJavaRunPathKeepsStatsInItsDatabaseAndStatsOfAnotherCacheAreRefused() throws Exception {
        Path db = dir.resolve("db");
        record(db, "/usr/bin/lua5.4", "-e", "local s = 0 for i = 1, 20000 do s = s + i % 3 end print(s)");
        record(db, Programs.path("loops"), "30");
        Path lua = dir.resolve("lua.tcache");
        Path loops = dir.resolve("loops.tcache");
        assertEquals(0, tracedb(db, "compile", "--quiet", "r0001", "-o", lua.toString()).status());
        // loops' traces save too few taken branches for the cost model: kept, for an export with rows
        assertEquals(0, tracedb(db, "compile", "--quiet", "--keep-unprofitable", "r0002", "-o", loops.toString()).status());

        // through the Java command (tracedb --db DB run …): the runner is told the database
        CliRun run = tracedb(db, "run", "--cache", lua.toString(), "--stats", "--", "/usr/bin/lua5.4", "-e",
                "local s = 0 for i = 1, 50000 do s = s + i % 3 end");
        assertEquals(0, run.status(), run::toString);
        TraceStats stats = TraceStatsDirectory.of(db).find("s0001");
        assertEquals(CacheId.of(lua), stats.cacheId());
        assertTrue(stats.totalEntries() > 0, stats::toString);

        Path target = dir.resolve("t.csv");
        Files.writeString(target, "precious");
        CliRun other = tracedb(db, "export", "--table", "traces", "--cache", loops.toString(), "--stats", "s0001",
                "--format", "csv", "-o", target.toString());
        assertEquals(1, other.status(), other::toString);
        assertEquals(1, other.err().lines().count(), other::toString);
        assertTrue(other.err().startsWith("tracedb: trace stats s0001 were measured with another cache (" + lua.toRealPath()),
                other::toString);
        assertEquals("precious", Files.readString(target), "a refused export leaves the target alone");

        // no stats for this cache: exported, nothing measured
        CliRun unmeasured = tracedb(db, "export", "--table", "traces", "--cache", loops.toString(), "--format", "csv",
                "-o", target.toString());
        assertEquals(0, unmeasured.status(), unmeasured::toString);
        assertTrue(unmeasured.out().endsWith("no trace stats of this cache: nothing measured\n"), unmeasured::toString);
        List<String> lines = Files.readAllLines(target);
        assertTrue(lines.size() > 1, lines::toString);
        assertTrue(lines.stream().skip(1).allMatch(l -> l.endsWith(",,0,-1,-1,-1,-1,-1")), lines::toString);

        CliRun missing = tracedb(db, "export", "--table", "traces", "--cache", dir.resolve("none.tcache").toString(),
                "-o", target.toString());
        assertEquals(1, missing.status(), missing::toString);
        assertEquals("tracedb: trace cache " + dir.resolve("none.tcache") + ": no such file\n", missing.err());
        CliRun noCache = tracedb(db, "export", "--table", "traces", "-o", target.toString());
        assertEquals(2, noCache.status(), noCache::toString);
        assertTrue(noCache.err().startsWith("tracedb: table traces needs --cache FILE.tcache\n"), noCache::toString);
        CliRun unknown = tracedb(db, "export", "--table", "traces", "--cache", lua.toString(), "--stats", "s0042", "-o", target.toString());
        assertEquals(1, unknown.status(), unknown::toString);
        assertEquals("tracedb: no trace stats s0042 in " + db.resolve("trace-stats") + "\n", unknown.err());

        // a damaged stats file is one line naming it
        Path damaged = db.resolve("trace-stats/s0002.tstats");
        List<String> content = Files.readAllLines(db.resolve("trace-stats/s0001.tstats"));
        Files.write(damaged, content.subList(0, content.size() - 1));
        CliRun runs = tracedb(db, "runs");
        assertEquals(1, runs.status(), runs::toString);
        assertEquals("tracedb: trace stats " + damaged + ": missing its last line 'end' (line " + content.size() + ")\n", runs.err());
    }

    private void record(Path db, String... argv) throws IOException {
        EndToEnd.record(db, dir, List.of(argv));
    }
}
