package dev.tracedb.loader;

import static dev.tracedb.loader.NativeLoaderTest.run;
import static dev.tracedb.loader.NativeLoaderTest.testProgram;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoaderTest.Result;
import dev.tracedb.loader.stats.CacheId;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb-run --stats --db DIR} on real processes: the shim keeps its counts as
 * {@code DIR/trace-stats/sNNNN.tstats}, which {@link TraceStatsDirectory} reads back.
 */
class KeptStatsTest {
    @TempDir
    Path dir;

    @Test
    void eachRunKeepsItsCountsUnderTheNextId() throws Exception {
        HandBuiltTraces traces = new HandBuiltTraces(testProgram("loader-target"));
        Path cache = write(traces.transparent(), "t.tcache");
        Path db = dir.resolve("db");
        List<String> program = List.of(traces.program.toString(), "1000");
        Result first = run(loader().command(cache, true, db, false, program), null);
        Result second = run(loader().command(cache, true, db, false, List.of(traces.program.toString(), "2500")), null);
        assertTrue(first.stderr().endsWith("tracedb: trace stats saved as s0001 in " + db.toRealPath().resolve("trace-stats") + "\n"),
                first.stderr());
        assertTrue(second.stderr().contains("saved as s0002 "), second.stderr());

        List<TraceStats> all = TraceStatsDirectory.of(db).all();
        assertEquals(List.of("s0001", "s0002"), all.stream().map(TraceStats::id).toList());
        TraceStats s = all.get(0);
        assertEquals(cache.toRealPath(), s.cache());
        assertEquals(CacheId.of(cache), s.cacheId());
        assertEquals(program, s.args());
        assertEquals(traces.program.toRealPath().toString(), s.program());
        assertFalse(s.ended().isBefore(s.started()), s::toString);
        // a transparent trace runs to its end on every entry: as many completions, no side exit
        assertEquals(List.of(new TraceStats.Measured(1, traces.headOffset, traces.program.toRealPath().toString(), true, 1000,
                        1000, 0, List.of())), s.traces());
        assertEquals(2500, all.get(1).traces().get(0).entries());
        assertEquals(List.of("s0001.tstats", "s0002.tstats"),
                Files.list(db.resolve("trace-stats")).map(p -> p.getFileName().toString()).sorted().toList(),
                "no partial file is left behind");
    }

    @Test
    void tracesOfAModuleThatWasNotAppliedAreListedAsSuch() throws Exception {
        HandBuiltTraces traces = new HandBuiltTraces(testProgram("loader-target"));
        Path cache = write(traces.forAnotherBuild(), "other.tcache");
        Path db = dir.resolve("db");
        Result r = run(loader().command(cache, true, db, false, List.of(traces.program.toString(), "10")), null);
        assertTrue(r.stderr().contains("not applied"), r.stderr());
        TraceStats s = TraceStatsDirectory.of(db).find("s0001");
        assertEquals(1, s.traces().size());
        assertFalse(s.traces().get(0).applied());
        assertEquals(0, s.appliedCount());
    }

    @Test
    void aForkedChildThatExitsDoesNotWriteAndOddArgumentsRoundTrip() throws Exception {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath();
        Path cache = write(HandBuiltTraces.manyTransparent(libc, 50), "libc.tcache");
        Path db = dir.resolve("db");
        // the child leaves through sys.exit, i.e. exit(3): the shim's destructor runs in it too
        String script = "import os, sys\npid = os.fork()\nif pid == 0:\n    sys.exit(0)\nos.waitpid(pid, 0)\nprint('a\\\\b')\n";
        List<String> program = List.of("/usr/bin/python3", "-c", script);
        Result r = run(loader().command(cache, true, db, false, program), null);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("a\\b\n", r.stdout());
        assertEquals(1, r.stderr().lines().filter(l -> l.startsWith("tracedb: trace stats saved as")).count(), r.stderr());
        List<TraceStats> all = TraceStatsDirectory.of(db).all();
        assertEquals(1, all.size(), "only the process the shim started in writes");
        assertEquals(program, all.get(0).args(), "newlines and backslashes in arguments survive");
        assertEquals(50, all.get(0).appliedCount());
    }

    @Test
    void statsStderrKeepsNothing() throws Exception {
        HandBuiltTraces traces = new HandBuiltTraces(testProgram("loader-target"));
        Path cache = write(traces.transparent(), "t.tcache");
        Path work = Files.createDirectory(dir.resolve("work"));
        ProcessBuilder pb = new ProcessBuilder(loader().command(cache, true, false, List.of(traces.program.toString(), "10")))
                .directory(work.toFile());
        pb.environment().remove("TRACEDB_HOME");
        Result r = run(pb, null);
        assertTrue(r.stderr().contains("entered 10, completed 10, side exits 0\n"), r.stderr());
        assertFalse(r.stderr().contains("saved"), r.stderr());
        assertTrue(Files.notExists(work.resolve("tracedb-data")), "no database created");
    }

    private static NativeLoader loader() {
        return NativeLoader.locate();
    }

    private Path write(TraceCache cache, String name) {
        Path file = dir.resolve(name);
        TraceCacheFile.write(cache, file);
        return file;
    }
}
