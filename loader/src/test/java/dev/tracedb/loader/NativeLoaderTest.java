package dev.tracedb.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracedb-run} and its shim on real processes, with hand-built traces (see HandBuiltTraces). */
class NativeLoaderTest {
    static final String ITERATIONS = "100000";

    static NativeLoader loader;
    static HandBuiltTraces traces;
    static Result plain;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        loader = NativeLoader.locate();
        traces = new HandBuiltTraces(testProgram("loader-target"));
        plain = run(List.of(traces.program.toString(), ITERATIONS), null);
        assertTrue(plain.stdout.contains("marker 0\n"), plain.stdout);
        assertTrue(plain.exit >= 3 && plain.exit < 10, "the program's own status: " + plain.exit);
    }

    @Test
    void aTransparentTraceIsEnteredOnEveryCallAndChangesNothing() throws Exception {
        Result r = runWith(traces.transparent(), true);
        assertEquals(plain.stdout, r.stdout);
        assertEquals(plain.exit, r.exit);
        assertTrue(r.stderr.contains(": 1 traces applied, 1 entered; " + ITERATIONS + " entries, " + ITERATIONS
                + " completions, 0 side exits\n"), r.stderr);
        assertTrue(r.stderr.contains("tracedb: trace 1 loader-target+0x" + Long.toHexString(traces.headOffset)
                + " entered " + ITERATIONS + ", completed " + ITERATIONS + ", side exits 0\n"), r.stderr);
    }

    @Test
    void aTraceThatCountsItselfRunsOnEveryCall() throws Exception {
        Result r = runWith(traces.marker(), false);
        assertEquals(plain.stdout.replace("marker 0\n", "marker " + ITERATIONS + "\n"), r.stdout);
        assertEquals(plain.exit, r.exit);
        assertEquals("", r.stderr);
    }

    @Test
    void aTraceInLibcUnderLuaIsEnteredAndChangesNothing() throws Exception {
        Path lua = Path.of("/usr/bin/lua5.4");
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
        assertTrue(Files.isExecutable(lua) && Files.exists(libc), "needs Debian's lua5.4 and libc");
        HandBuiltTraces fwrite = new HandBuiltTraces(libc.toRealPath(), "fwrite", null);
        List<String> program = List.of(lua.toString(), "-e",
                "local s = 0; for i = 1, 1000 do s = s + i * i; io.write(tostring(s), '\\n') end; os.exit(s % 200)");
        Result luaPlain = run(program, null);
        Path cache = write(fwrite.transparent());
        Result traced = run(loader.command(cache, true, false, program), null);
        assertEquals(luaPlain.stdout, traced.stdout);
        assertEquals(luaPlain.exit, traced.exit);
        assertTrue(luaPlain.exit > 0, "a status that shows it passes through: " + luaPlain.exit);
        // io.write writes each of its two arguments with one fwrite
        assertTrue(traced.stderr.contains("libc.so.6+0x" + Long.toHexString(fwrite.headOffset) + " entered 2000, completed 2000, side exits 0\n"),
                traced.stderr);
    }

    @Test
    void python3RunsUnchangedWithAThousandTracesInLibc() throws Exception {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath();
        Path cache = write(HandBuiltTraces.manyTransparent(libc, 1000));
        List<String> program = List.of("/usr/bin/python3", "-c",
                "import json, re, sys\n"
                + "data = [{'k': i, 's': str(i) * 3} for i in range(20000)]\n"
                + "text = json.dumps(data)\n"
                + "print(len(text), len(re.findall(r'\\d+', text)), sum(d['k'] for d in json.loads(text)))\n"
                + "sys.exit(len(text) % 100)");
        Result pythonPlain = run(program, null);
        Result traced = run(loader.command(cache, true, false, program), null);
        assertEquals(pythonPlain.stdout, traced.stdout);
        assertEquals(pythonPlain.exit, traced.exit);
        assertTrue(traced.stderr.matches("(?s)tracedb: stats for \\S+: 1000 traces applied, [1-9]\\d* entered; .*"), traced.stderr);
    }

    @Test
    void verboseSaysWhatWasApplied() throws Exception {
        Path cache = write(traces.transparent());
        Result r = run(loader.command(cache, false, true, List.of(traces.program.toString(), "3")), null);
        assertTrue(r.stderr.matches("tracedb: \\S*loader-target: applied 1 traces \\(\\d+ bytes of code at 0x[0-9a-f]+\\)\n"),
                r.stderr);
    }

    @Test
    void anotherBuildIsRefusedWithOneLineAndTheProgramRunsPlain() throws Exception {
        Result r = runWith(traces.forAnotherBuild(), true);
        assertEquals(plain.stdout, r.stdout);
        assertEquals(plain.exit, r.exit);
        assertEquals(1, r.stderr.lines().filter(l -> l.contains("not applied")).count(), r.stderr);
        assertTrue(r.stderr.contains("has build-id " + traces.buildId + ", the cache was compiled for build-id"), r.stderr);
        assertTrue(r.stderr.contains(": 0 traces applied, 0 entered; 0 entries, 0 completions, 0 side exits\n"),
                "no trace may be applied: " + r.stderr);
    }

    @Test
    void aChangedReliedOnByteIsRefusedWithOneLine() throws Exception {
        Result r = runWith(traces.fromChangedBytes(), false);
        assertEquals(plain.stdout, r.stdout);
        assertEquals(plain.exit, r.exit);
        assertTrue(r.stderr.matches("tracedb: \\S+: not applied: the bytes the traces rely on differ in \\S+ "
                + "\\(hash [0-9a-f]{16}, the cache's [0-9a-f]{16}\\)\n"), r.stderr);
    }

    @Test
    void aCorruptCacheStopsBeforeTheProgramRuns() throws Exception {
        Path cache = write(traces.transparent());
        byte[] bytes = Files.readAllBytes(cache);
        for (int at : new int[] {9, 70, bytes.length - 3}) {
            byte[] bad = bytes.clone();
            bad[at] ^= 0x40;
            Files.write(cache, bad);
            Result r = run(loader.command(cache, false, false, List.of(traces.program.toString(), "3")), null);
            assertEquals(1, r.exit, "at " + at + ": " + r.stderr);
            assertEquals("", r.stdout, "the program must not run");
            assertEquals(1, r.stderr.lines().count(), r.stderr);
            assertTrue(r.stderr.startsWith("tracedb: trace cache " + cache.toRealPath() + ": "), r.stderr);
            assertTrue(r.stderr.contains("checksum mismatch"), r.stderr);
        }
        Files.write(cache, Arrays.copyOf(bytes, bytes.length - 1));
        Result r = run(loader.command(cache, false, false, List.of(traces.program.toString())), null);
        assertEquals(1, r.exit);
        assertEquals("", r.stdout);
        assertTrue(r.stderr.contains("truncated"), r.stderr);
    }

    @Test
    void anImageWithConsistentChecksumsButBadTablesIsRefused() throws Exception {
        Path cache = write(traces.transparent());
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(cache)).order(ByteOrder.LITTLE_ENDIAN);
        int image = (int) file.getLong(32);
        // module 0's relocation count (image header 16 bytes, then the module record; count at +44)
        file.putInt(image + 16 + 44, 1 << 30);
        Files.write(cache, resealed(file, true));
        Result r = run(loader.command(cache, false, false, List.of(traces.program.toString(), "3")), null);
        assertEquals(1, r.exit, r.stderr);
        assertEquals("", r.stdout);
        assertTrue(r.stderr.endsWith(": the image is malformed (a module's tables are out of bounds)\n"), r.stderr);
    }

    @Test
    void aCacheOfTheFormerFormatVersionIsRefusedWithOneLine() throws Exception {
        Path cache = write(traces.transparent());
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(cache)).order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(8, 1); // version 1: no counting code, 64-byte module records
        Files.write(cache, resealed(file, false));
        for (boolean stats : new boolean[] {false, true}) {
            Result r = run(loader.command(cache, stats, false, List.of(traces.program.toString(), "3")), null);
            assertEquals(1, r.exit, r.stderr);
            assertEquals("", r.stdout, "the program must not run");
            assertEquals("tracedb: trace cache " + cache.toRealPath() + ": format version 1, this tracedb reads version " + TraceCache.FORMAT_VERSION
                    + " (recompile the cache)\n", r.stderr);
        }
    }

    @Test
    void countingCodeThatNamesAMissingCounterIsRefused() throws Exception {
        Path cache = write(traces.transparent());
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(cache)).order(ByteOrder.LITTLE_ENDIAN);
        int image = (int) file.getLong(32);
        // module 0's counter count (image header 16 bytes, then the module record; count at +92)
        assertEquals(2, file.getInt(image + 16 + 92), "the transparent trace counts entries and completions");
        file.putInt(image + 16 + 92, 1);
        Files.write(cache, resealed(file, true));
        Result r = run(loader.command(cache, true, false, List.of(traces.program.toString(), "3")), null);
        assertEquals(1, r.exit, r.stderr);
        assertEquals("", r.stdout);
        assertTrue(r.stderr.endsWith(": the image is malformed (a module's tables are out of bounds)\n"), r.stderr);
    }

    /**
     * The cache file's bytes with its checksums made right again after an edit: the image's CRC32C
     * (when the image was edited) and the header's, so that only the edit itself can be refused.
     */
    private static byte[] resealed(ByteBuffer file, boolean imageEdited) {
        CRC32C crc = new CRC32C();
        if (imageEdited) {
            crc.update(file.array(), (int) file.getLong(32), (int) file.getLong(40));
            file.putInt(52, (int) crc.getValue());
            crc.reset();
        }
        crc.update(file.array(), 0, 56);
        file.putInt(56, (int) crc.getValue());
        return file.array();
    }

    @Test
    void aMissingCacheOrProgramIsOneClearLine() throws Exception {
        Result noCache = run(loader.command(dir.resolve("none.tcache"), false, false, List.of("/bin/true")), null);
        assertEquals(1, noCache.exit);
        assertEquals("tracedb: trace cache " + dir.resolve("none.tcache") + ": no such file\n", noCache.stderr);

        Path cache = write(traces.transparent());
        Result noProgram = run(loader.command(cache, false, false, List.of("no-such-program-xyz", "a")), null);
        assertEquals(127, noProgram.exit);
        assertEquals("tracedb: no-such-program-xyz: no such program\n", noProgram.stderr);
    }

    @Test
    void staticProgramsAreRefusedClearly() throws Exception {
        Path cache = write(traces.transparent());
        Result r = run(loader.command(cache, false, false, List.of(testProgram("loops-static").toString(), "3")), null);
        assertEquals(1, r.exit);
        assertEquals("", r.stdout);
        assertTrue(r.stderr.contains("is statically linked"), r.stderr);
    }

    @Test
    void childrenDoNotInheritTheShimAndStdinPassesThrough() throws Exception {
        Path cache = write(traces.transparent());
        Result r = run(loader.command(cache, false, false, List.of("/bin/sh", "-c",
                "printf '[%s|%s]' \"$LD_PRELOAD\" \"$TRACEDB_CACHE\"; cat; exit 42")), "from stdin\n");
        assertEquals("[|]from stdin\n", r.stdout);
        assertEquals(42, r.exit);
        // the cache is for loader-target, not sh: one line says so, nothing else
        assertTrue(r.stderr.matches("tracedb: \\S+loader-target: not applied: no such module was loaded at start-up.*\n"),
                r.stderr);
    }

    @Test
    void anExistingPreloadIsKeptForTheProgramAndItsChildren() throws Exception {
        Path cache = write(traces.transparent());
        ProcessBuilder pb = new ProcessBuilder(loader.command(cache, false, false,
                List.of("/bin/sh", "-c", "printf '%s' \"$LD_PRELOAD\"")));
        pb.environment().put("LD_PRELOAD", "libc.so.6");
        Result r = run(pb, null);
        assertEquals("libc.so.6", r.stdout);
    }

    @Test
    void aCacheWithNoTracesRunsTheProgramWithoutTheShimUnlessCounting() throws Exception {
        // what compile writes when its cost model drops every trace: no head to patch anywhere
        Path empty = write(new TraceCache(TraceCache.FORMAT_VERSION, List.of(), List.of(),
                new dev.tracedb.compiler.cache.Forecast(0, 0, List.of())));
        List<String> maps = List.of("/bin/cat", "/proc/self/maps");
        Result none = run(loader.command(empty, false, false, maps), null);
        assertEquals(0, none.exit, none.stderr);
        assertEquals("", none.stderr);
        assertTrue(none.stdout.contains("/libc.so.6"), none.stdout);
        assertFalse(none.stdout.contains("libtracedb-preload"), "the shim was loaded for nothing:\n" + none.stdout);
        // the shim's variables, inherited from somewhere, are not passed on (the shim would consume them)
        ProcessBuilder inherited = new ProcessBuilder(new ArrayList<>(loader.command(empty, false, false,
                List.of("/bin/sh", "-c", "printf '[%s|%s|%s]' \"$LD_PRELOAD\" \"$TRACEDB_CACHE\" \"$TRACEDB_STATS\""))));
        inherited.environment().put("TRACEDB_CACHE", "/stale.tcache");
        inherited.environment().put("TRACEDB_STATS", "1");
        inherited.environment().remove("LD_PRELOAD");
        assertEquals("[||]", run(inherited, null).stdout);
        // --stats-stderr still goes through the shim, which reports that nothing was applied
        Result counted = run(loader.command(empty, true, false, maps), null);
        assertEquals(0, counted.exit, counted.stderr);
        assertTrue(counted.stdout.contains("libtracedb-preload"), counted.stdout);
        // a cache with a head (for another program here) still loads the shim
        Result withTraces = run(loader.command(write(traces.transparent()), false, false, maps), null);
        assertTrue(withTraces.stdout.contains("libtracedb-preload"), withTraces.stdout);
        assertEquals(plain.stdout, runWith(traces.transparent(), false).stdout);
    }

    private Result runWith(TraceCache cache, boolean stats) throws Exception {
        return run(loader.command(write(cache), stats, false, List.of(traces.program.toString(), ITERATIONS)), null);
    }

    private Path write(TraceCache cache) {
        Path file = dir.resolve("test.tcache");
        TraceCacheFile.write(cache, file);
        return file;
    }

    static Path testProgram(String name) {
        Path p = Path.of(System.getProperty("tracedb.testprograms"), name);
        assertTrue(Files.isExecutable(p), p + " is missing: build the testprograms module");
        return p;
    }

    record Result(int exit, String stdout, String stderr) {
    }

    static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        return run(new ProcessBuilder(new ArrayList<>(command)), stdin);
    }

    static Result run(ProcessBuilder pb, String stdin) throws IOException, InterruptedException {
        Path out = Files.createTempFile("loader-out", ".txt");
        Path err = Files.createTempFile("loader-err", ".txt");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + pb.command());
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
