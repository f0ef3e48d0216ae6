package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * record → compile → run, end to end: a program recorded with the DBI engine on a small input,
 * compiled with {@code tracedb compile}, listed with {@code tracedb traces}, and run natively
 * with the cache on a larger input by the native loader: same output and status as a plain run,
 * and the traces were entered.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CompileCommandTest {
    private static final Pattern ENTERED = Pattern.compile("tracedb: trace (\\d+) (\\S+) entered (\\d+)");

    @TempDir
    Path dir;

    @Test
    void aCompiledLoopProgramRunsWithItsTracesAndTheSameOutput() throws Exception {
        String program = Programs.path("loops");
        record(program, "300");
        Path cache = dir.resolve("loops.tcache");
        // --keep-unprofitable: the program's inner loop is one block, whose trace saves no taken
        // branch (its back edge becomes a not-taken guard plus the trace's jmp back), so the cost
        // model drops it; kept here so that a loop trace runs end to end.
        CliRun compile = tracedb(dir.resolve("db"), "compile", "--keep-unprofitable", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        assertTrue(compile.out().startsWith("mined 1 run: "), compile::toString);
        assertTrue(compile.out().contains("; forecast: "), compile::toString);
        assertTrue(compile.out().contains("wrote " + cache + ": "), compile::toString);
        assertTrue(compile.err().contains("tracedb: profile pass: "), "progress on stderr: " + compile);

        TraceCache read = TraceCacheFile.read(cache);
        int traces = read.code().stream().mapToInt(c -> c.entries().size()).sum();
        assertTrue(traces > 0, compile::toString);
        CliRun list = tracedb(null, "traces", cache.toString());
        assertEquals(0, list.status(), list::toString);
        assertTrue(list.out().contains(traces + (traces == 1 ? " trace," : " traces,")), list::toString);

        EndToEnd.Outcome plain = EndToEnd.execute(dir, List.of(program, "5000"));
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, false, List.of(program, "5000")));
        assertEquals(plain.out(), cached.out());
        assertEquals(plain.status(), cached.status());
        assertTrue(entries(cached.err(), "loops+") >= 5000, "the loop trace runs once per outer round: " + cached.err());
    }

    @Test
    void luaCompiledFromOneInputRunsAnotherWithTheSameOutput() throws Exception {
        Path lua = Path.of("/usr/bin/lua5.4");
        assertTrue(Files.isExecutable(lua), "needs Debian's lua5.4");
        Path script = dir.resolve("work.lua");
        Files.writeString(script, String.join("\n",
                "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end",
                "local t, s = {}, 0",
                "for i = 1, tonumber(arg[1]) do t[#t % 100 + 1] = (i * 7) % 13; s = s + #tostring(i) end",
                "for i = 1, #t do s = s + t[i] end",
                "print(s, fib(tonumber(arg[2])))", ""));
        record(lua.toString(), script.toString(), "20000", "18");
        Path cache = dir.resolve("lua.tcache");
        CliRun compile = tracedb(dir.resolve("db"), "compile", "--quiet", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);

        List<String> other = List.of(lua.toString(), script.toString(), "300000", "25");
        EndToEnd.Outcome plain = EndToEnd.execute(dir, other);
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, false, other));
        assertEquals(plain.out(), cached.out());
        assertEquals(0, cached.status(), cached::toString);
        assertTrue(entries(cached.err(), "lua5.4+") > 10_000, "traces in lua5.4 were entered: " + cached.err());
    }

    /**
     * The default ({@code --callee-entries}) keeps the straight trace at lua5.4's
     * {@code luaD_precall} (a C function every Lua call enters by a {@code call}): its code runs
     * exactly, and it is entered once more per Lua call than {@code --no-callee-entries}' traces are.
     */
    @Test
    void luaCalleeEntriesRunTheTraceAtEveryCallsPrecallWithTheSameOutput() throws Exception {
        Path script = dir.resolve("fib.lua");
        Files.writeString(script, "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end\n"
                + "print(fib(tonumber(arg[1])))\n");
        record("/usr/bin/lua5.4", script.toString(), "18");
        Path plainCache = dir.resolve("default.tcache");
        Path calleeCache = dir.resolve("callee.tcache");
        CliRun compile = tracedb(dir.resolve("db"), "compile", "--quiet", "--no-callee-entries", "r0001",
                "-o", plainCache.toString());
        assertEquals(0, compile.status(), compile::toString);
        CliRun compileCallee = tracedb(dir.resolve("db"), "compile", "--quiet", "r0001",
                "-o", calleeCache.toString());
        assertEquals(0, compileCallee.status(), compileCallee::toString);

        List<String> other = List.of("/usr/bin/lua5.4", script.toString(), "25");
        EndToEnd.Outcome plain = EndToEnd.execute(dir, other);
        assertEquals("75025\n", plain.out());
        EndToEnd.Outcome before = EndToEnd.execute(dir, NativeLoader.locate().command(plainCache, true, false, other));
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(calleeCache, true, false, other));
        assertEquals(plain.out(), before.out());
        assertEquals(plain.out(), cached.out());
        assertEquals(0, cached.status(), cached::toString);
        long calls = 242_785; // fib(25)'s calls of fib, each through luaD_precall
        assertTrue(entries(cached.err(), "lua5.4+") >= entries(before.err(), "lua5.4+") + calls * 9 / 10,
                "luaD_precall's trace entered about once per call: " + before.err() + "\n" + cached.err());
    }

    @Test
    void python3CompiledFromOneInputRunsAnotherWithTheSameOutput() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assertTrue(Files.isExecutable(python), "needs Debian's python3");
        Path script = dir.resolve("work.py");
        Files.writeString(script, String.join("\n",
                "import sys, json",
                "n = int(sys.argv[1])",
                "d, s = {}, 0",
                "for i in range(n):",
                "    d[i % 97] = d.get(i % 97, 0) + i",
                "    s += len(str(i)) * (i & 7)",
                "print(s, sum(d.values()), json.dumps(sorted(d.items())[:3]))", ""));
        record(python.toString(), script.toString(), "3000");
        List<String> other = List.of(python.toString(), script.toString(), "200000");
        EndToEnd.Outcome plain = EndToEnd.execute(dir, other);

        // python3's traces remove too few taken branches to pay for applying them (the cost
        // model's module rule): by default the cache is empty, and the program runs as it is
        Path empty = dir.resolve("python.tcache");
        CliRun compile = tracedb(dir.resolve("db"), "compile", "r0001", "-o", empty.toString());
        assertEquals(0, compile.status(), compile::toString);
        assertTrue(compile.out().contains("its module's traces would save ") && compile.out().contains(
                "0 traces in 0 modules, 0 B of code (empty: applying it changes nothing)"), compile::toString);
        EndToEnd.Outcome unchanged = EndToEnd.execute(dir, NativeLoader.locate().command(empty, false, false, other));
        assertEquals(plain.out(), unchanged.out());
        assertEquals(0, unchanged.status(), unchanged::toString);

        // without the module rule (the traces the other rules keep, as before it): their code runs, exactly
        Path cache = dir.resolve("python-kept.tcache");
        CliRun all = tracedb(dir.resolve("db"), "compile", "--quiet", "--min-module-saving", "0", "r0001", "-o",
                cache.toString());
        assertEquals(0, all.status(), all::toString);
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, false, other));
        assertEquals(plain.out(), cached.out());
        assertEquals(0, cached.status(), cached::toString);
        assertTrue(entries(cached.err(), "") > 1_000, "traces were entered: " + cached.err());
    }

    @Test
    void badInputIsOneErrorLine() throws Exception {
        record(Programs.path("loops"), "3");
        CliRun unknown = tracedb(dir.resolve("db"), "compile", "r0099", "-o", dir.resolve("x.tcache").toString());
        assertEquals(1, unknown.status(), unknown::toString);
        assertEquals(1, unknown.err().lines().count(), unknown::toString);

        CliRun nowhere = tracedb(dir.resolve("db"), "compile", "--quiet", "r0001", "-o",
                dir.resolve("no/such/dir/x.tcache").toString());
        assertEquals(1, nowhere.status(), nowhere::toString);
        assertEquals("tracedb: cannot write " + dir.resolve("no/such/dir/x.tcache") + ": " + dir.resolve("no/such/dir")
                + " is not a writable directory\n", nowhere.err(), "said before any pass over the runs");

        record(Programs.path("interp"), "3");
        CliRun mixed = tracedb(dir.resolve("db"), "compile", "--quiet", "r0001", "r0002", "-o",
                dir.resolve("x.tcache").toString());
        assertEquals(1, mixed.status(), mixed::toString);
        assertEquals(1, mixed.err().lines().count(), mixed::toString);
        assertTrue(mixed.err().contains("compile runs of one program only"), mixed::toString);
        assertTrue(Files.notExists(dir.resolve("x.tcache")), "nothing written");

        CliRun noOutput = tracedb(dir.resolve("db"), "compile", "r0001");
        assertEquals(2, noOutput.status(), noOutput::toString);
    }

    /** Records with the DBI engine, the tests' fixed environment, stdout to a file. */
    private void record(String... argv) throws IOException {
        EndToEnd.record(dir.resolve("db"), dir, List.of(argv));
    }


    /** Entries of the traces whose head starts with {@code headPrefix}, from --stats. */
    private static long entries(String stats, String headPrefix) {
        long sum = 0;
        Matcher m = ENTERED.matcher(stats);
        while (m.find()) {
            if (m.group(2).startsWith(headPrefix)) {
                sum += Long.parseLong(m.group(3));
            }
        }
        return sum;
    }
}
