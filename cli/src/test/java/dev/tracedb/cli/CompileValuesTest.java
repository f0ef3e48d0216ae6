package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.GuardedLoad;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Value guards end to end on lua5.4 and on a C bytecode interpreter ({@code valueloop}): recorded,
 * compiled with the instruction words the runs sampled, and run with the cache on another input
 * (guards hold: output equal to a plain run's) and on a bytecode with the same opcodes and other
 * operands (every guard fails and side-exits: output still equal).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CompileValuesTest {
    private static final Pattern APPLIED = Pattern.compile("value guards: .*, (\\d+) applied in (\\d+) traces?\\n");
    private static final Pattern SIDE_EXITS = Pattern.compile("tracedb: stats for .*; (\\d+) entries, (\\d+) completions, (\\d+) side exits");
    private static final Pattern NOTE = Pattern.compile("tracedb: note: r0001 has no value samples at the traces' \\d+"
            + " guardable loads, so it gives no value guards; a recording with value probes has them: tracedb record (.*)"
            + " -- (.*) \\(--no-values silences this\\)\\n");
    private static final Pattern TRACE = Pattern.compile(
            "tracedb: trace (\\d+) (\\S+) entered (\\d+), completed (\\d+), side exits (\\d+)");
    private static final String LUA = "/usr/bin/lua5.4";
    /** A --show-values line of a load guarded with several values: its trace id. */
    private static final Pattern POLYMORPHIC = Pattern.compile("\n  trace (\\d+) block \\d+ insn \\d+ .*, guarded [2-9] values:");

    @TempDir
    Path dir;
    private Path db;
    private Path loop;
    private Path shifted;

    @BeforeEach
    void scripts() throws Exception {
        assertTrue(Files.isExecutable(Path.of(LUA)), "needs Debian's lua5.4");
        db = dir.resolve("db");
        loop = dir.resolve("loop.lua");
        Files.writeString(loop, String.join("\n",
                "local s, t = 0, 0",
                "for i = 1, tonumber(arg[1]) do s = s + i * 2; t = t ~ (i & 7) end",
                "print(s, t)", ""));
        // One more local first: every register operand of the loop moves up by one, so the loop's
        // instruction words differ from the recorded ones while its opcodes are the same.
        shifted = dir.resolve("shifted.lua");
        Files.writeString(shifted, String.join("\n",
                "local pad, s, t = 5, 0, 0",
                "for i = 1, tonumber(arg[1]) do s = s + i * 2; t = t ~ (i & 7) end",
                "print(s, t, pad)", ""));
    }

    @Test
    void anInputsRunIsExpandedWithProbesOnceAndItsLoopRunsGuarded() throws Exception {
        recordInputs(LUA, loop.toString(), "20000");

        Path cache = dir.resolve("loop.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        assertTrue(compile.err().contains("expanding r0001 again with probes there"), compile::toString);
        int applied = applied(compile);
        assertTrue(applied >= 3, "the loop's dispatches are guarded: " + compile);
        TraceCache read = TraceCacheFile.read(cache);
        assertEquals(applied, read.valueGuards().size(), compile::toString);
        for (GuardedLoad g : read.valueGuards()) {
            // lua 5.4 has 83 opcodes in the low 7 bits of an instruction word
            assertTrue((g.value() & 0x7f) < 83 && g.value() >= 0 && g.value() <= 0xffffffffL, "not an instruction word: " + g);
        }
        CliRun list = tracedb(null, "traces", cache.toString());
        assertTrue(list.out().contains("value guards: " + applied + "\n"), list::toString);

        // The samples stay with the inputs run's new expansion: a second compile does not expand again.
        CliRun again = tracedb(db, "compile", "--quiet", "r0001", "-o", dir.resolve("again.tcache").toString());
        assertEquals(0, again.status(), again::toString);
        assertFalse(again.err().contains("expanding"), again::toString);
        assertEquals(applied, applied(again), again::toString);

        long[] same = assertSameOutput(cache, loop);
        assertTrue(same[1] > 250_000 && same[2] < 1_000, "the guarded loop trace completes its passes: " + Arrays.toString(same));
        long[] failing = assertSameOutput(cache, shifted);
        assertTrue(failing[2] >= 300_000, "every pass leaves the loop trace at a failed value guard: " + Arrays.toString(failing));

        Path plain = dir.resolve("plain.tcache");
        CliRun without = tracedb(db, "compile", "--quiet", "--no-values", "r0001", "-o", plain.toString());
        assertEquals(0, without.status(), without::toString);
        assertFalse(without.out().contains("value guards"), without::toString);
        assertEquals(List.of(), TraceCacheFile.read(plain).valueGuards());
    }

    @Test
    void aDbiRunWithoutSamplesNamesTheRecordingThatHasThem() throws Exception {
        EndToEnd.record(db, dir, "loop", List.of(LUA, loop.toString(), "20000"));
        CliRun compile = tracedb(db, "compile", "--quiet", "loop", "-o", dir.resolve("none.tcache").toString());
        assertEquals(0, compile.status(), compile::toString);
        assertFalse(compile.out().contains("value guards"), compile::toString);
        Matcher note = NOTE.matcher(compile.err());
        assertTrue(note.find(), compile::toString);
        assertEquals(LUA + " " + loop + " 20000", note.group(2));

        CliRun probed = recordAsNoted(note);
        assertEquals(0, probed.status(), probed::toString);
        Path cache = dir.resolve("probed.tcache");
        CliRun guarded = tracedb(db, "compile", "--quiet", "probed", "-o", cache.toString());
        assertEquals(0, guarded.status(), guarded::toString);
        assertFalse(guarded.err().contains("no value samples"), guarded::toString);
        assertTrue(applied(guarded) >= 3, guarded::toString);
        assertSameOutput(cache, loop);
    }

    /**
     * {@code valueloop}, a C bytecode interpreter dispatched as lua5.4 is: recorded with the DBI
     * engine, compiled (the note names the probes), recorded again with exactly those probes and
     * compiled with guards; program "a" (the recorded bytecode) completes its loop trace every
     * round, program "b" (same opcodes, other operands) leaves it at a failed guard every time.
     */
    @Test
    void aBytecodeInterpreterInCRecordedWithTheNotedProbesRunsGuarded() throws Exception {
        String program = Programs.path("valueloop");
        EndToEnd.record(db, dir, "valueloop", List.of(program, "a", "3000"));
        CliRun compile = tracedb(db, "compile", "--quiet", "valueloop", "-o", dir.resolve("none.tcache").toString());
        assertEquals(0, compile.status(), compile::toString);
        Matcher note = NOTE.matcher(compile.err());
        assertTrue(note.find(), compile::toString);
        assertTrue(note.group(1).contains("--probe valueloop+0x"), compile::toString);

        CliRun probed = recordAsNoted(note);
        assertEquals(0, probed.status(), probed::toString);
        Path cache = dir.resolve("valueloop.tcache");
        CliRun guarded = tracedb(db, "compile", "--quiet", "probed", "-o", cache.toString());
        assertEquals(0, guarded.status(), guarded::toString);
        int applied = applied(guarded);
        assertTrue(applied >= 3, "the loop trace's fetches are guarded: " + guarded);

        Map<String, long[]> holding = traceCounts(cache, List.of(program, "a", "2000000"));
        Map<String, long[]> failing = traceCounts(cache, List.of(program, "b", "2000000"));
        long[] a = holding.entrySet().stream().filter(e -> e.getKey().startsWith("valueloop+")).findFirst().orElseThrow().getValue();
        long[] b = failing.entrySet().stream().filter(e -> e.getKey().startsWith("valueloop+")).findFirst().orElseThrow().getValue();
        assertTrue(a[1] >= 2_000_000, "program a completes the guarded trace every round: " + Arrays.toString(a));
        assertEquals(0, b[1], "program b leaves it at a value guard every time: " + Arrays.toString(b));
        assertTrue(b[2] >= 2_000_000, Arrays.toString(b));
    }

    /**
     * python3.11's code-unit fetch ({@code movzx eax, word [r10]}) guarded: a module-level loop
     * recorded with {@code --engine inputs} and compiled with every trace kept (the cost model
     * drops the eval loop's traces: they do not pay, see docs/compiling.md); at least one guard
     * sits on a python3.11 code unit; on the recorded script its trace completes its passes, on
     * the same script with one more global first (every STORE_NAME/LOAD_NAME oparg one higher,
     * same opcodes) that guard fails on every pass; output equal to a plain run's both ways.
     */
    @Test
    void python3sCodeUnitsAreGuardedAndTheirFailuresLeaveExactly() throws Exception {
        String python = "/usr/bin/python3.11";
        Path script = pythonLoop();
        Path other = dir.resolve("shifted.py");
        Files.writeString(other, String.join("\n", "import sys", "pad = 5", "n = int(sys.argv[1])", "s = 0", "t = 0",
                "for i in range(n):", "    s = s + i * 2", "    t = t ^ (i & 7)", "print(s, t, pad)", ""));
        recordInputs(python, script.toString(), "20000");
        Path cache = dir.resolve("python.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "--keep-unprofitable", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        assertTrue(applied(compile) >= 1, compile::toString);
        CliRun list = tracedb(null, "traces", cache.toString());
        Matcher unit = Pattern.compile("\\n\\s+(\\d+)\\s+python3\\.11\\+0x[0-9a-f]+\\s+0x([0-9a-f]+)\\n").matcher(list.out());
        List<Integer> unitTraces = new ArrayList<>();
        for (int from = 0; unit.find(from); from = unit.end() - 1) {
            assertTrue(Long.parseLong(unit.group(2), 16) <= 0xffff, "not a code unit: " + unit.group());
            unitTraces.add(Integer.parseInt(unit.group(1)));
        }
        assertFalse(unitTraces.isEmpty(), "no python3.11 code unit is guarded:\n" + list);

        Map<Integer, long[]> holding = countsById(cache, List.of(python, script.toString(), "300000"));
        Map<Integer, long[]> failing = countsById(cache, List.of(python, other.toString(), "300000"));
        boolean holdsThenFails = false;
        for (int t : unitTraces) {
            long[] h = holding.get(t);
            long[] f = failing.get(t);
            if (h != null && f != null && h[1] >= 250_000 && f[1] == 0 && f[2] >= 250_000) holdsThenFails = true;
        }
        assertTrue(holdsThenFails, "no guarded trace completes on the recorded script and leaves on every pass of"
                + " the shifted one: " + unitTraces + "\n" + list);
    }

    /**
     * Polymorphic value guards on lua5.4: fib's two recursive calls run the {@code OP_CALL} trace
     * with two instruction words at each of two loads (50 / 50 %), so no single value makes a guard
     * there, and together they do. Recorded with {@code --engine inputs} on fib(20); with the cache
     * on fib(27) that trace completes every entry (both values' copies run: a failed guard would be
     * a side exit); on the same function with one more local (every register operand moved: other
     * words) every entry of it leaves at the chain's mismatch; output equal to a plain run's both
     * ways. {@code --max-values 1} compiles the single-value guards only.
     */
    @Test
    void fibsTwoCallSitesShareTheCallTraceThroughPolymorphicGuards() throws Exception {
        Path fib = dir.resolve("fib.lua");
        Files.writeString(fib, String.join("\n",
                "local function fib(k)",
                "  if k < 2 then return k end",
                "  return fib(k - 1) + fib(k - 2)",
                "end",
                "print(fib(tonumber(arg[1])))", ""));
        Path padded = dir.resolve("padded.lua");
        Files.writeString(padded, String.join("\n",
                "local function fib(k)",
                "  local pad = 0",
                "  if k < 2 then return k + pad end",
                "  return fib(k - 1) + fib(k - 2) + pad",
                "end",
                "print(fib(tonumber(arg[1])))", ""));
        recordInputs(LUA, fib.toString(), "20");
        Path cache = dir.resolve("fib.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "--show-values", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        Matcher poly = POLYMORPHIC.matcher(compile.out());
        assertTrue(poly.find(), "no load guarded with several values: " + compile);
        String traceId = poly.group(1);
        assertTrue(compile.out().matches("(?s).*, \\d+ polymorphic \\(.*"), compile::toString);
        Matcher head = Pattern.compile("\n +" + traceId + " +(lua5\\.4\\+0x[0-9a-f]+) ").matcher(
                tracedb(null, "traces", cache.toString()).out());
        assertTrue(head.find(), "trace " + traceId + " not listed");

        long[] holding = traceCounts(cache, List.of(LUA, fib.toString(), "27")).get(head.group(1));
        assertTrue(holding[0] > 100_000 && holding[1] == holding[0] && holding[2] == 0,
                "each of the two words holds in its half of the entries: " + Arrays.toString(holding));
        long[] failing = traceCounts(cache, List.of(LUA, padded.toString(), "27")).get(head.group(1));
        assertTrue(failing[0] > 100_000 && failing[1] == 0 && failing[2] == failing[0],
                "no word holds: every entry leaves at the chain's end: " + Arrays.toString(failing));

        CliRun single = tracedb(db, "compile", "--quiet", "--max-values", "1", "--show-values", "r0001", "-o",
                dir.resolve("single.tcache").toString());
        assertEquals(0, single.status(), single::toString);
        assertFalse(POLYMORPHIC.matcher(single.out()).find(), single::toString);
        assertFalse(single.out().contains("polymorphic"), single::toString);
        assertTrue(applied(single) < applied(compile), single + "\n" + compile);
    }

    /**
     * Store-to-load forwarding ({@code StoredValues}) on lua5.4's float arithmetic: each handler of
     * the loop reads back the stack slot the one before wrote (its type tag and its value). One
     * recording compiled with and without {@code --no-forwarding}: both caches give the plain run's
     * output and run the loop trace alike (the same entries, completions and side exits: the guards
     * left out are ones that cannot fail; the small traces in the collector and libc vary from run
     * to run with either cache), and the forwarding cache's code is smaller by the reloads and
     * guards it leaves out.
     */
    @Test
    void forwardedSlotsLeaveOutTheirReloadsAndGuardsWithTheSameOutput() throws Exception {
        Path floats = recordedFloatLoop();
        Path forwarding = dir.resolve("forwarding.tcache");
        Path without = dir.resolve("without.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "--no-peel", "r0001", "-o", forwarding.toString());
        assertEquals(0, compile.status(), compile::toString);
        assertTrue(applied(compile) >= 3, "the loop's dispatches are guarded: " + compile);
        CliRun compileWithout = tracedb(db, "compile", "--quiet", "--no-forwarding", "r0001", "-o", without.toString());
        assertEquals(0, compileWithout.status(), compileWithout::toString);

        long forwardedBytes = codeBytes(TraceCacheFile.read(forwarding));
        long plainBytes = codeBytes(TraceCacheFile.read(without));
        assertTrue(forwardedBytes < plainBytes * 95 / 100,
                "forwarding leaves reloads and guards out: " + forwardedBytes + " against " + plainBytes + " bytes");

        String forwardedLoop = hottestTrace(forwarding, floats);
        String plainLoop = hottestTrace(without, floats);
        assertTrue(forwardedLoop.contains("completed 29999"), "the loop trace completes its passes: " + forwardedLoop);
        assertEquals(plainLoop, forwardedLoop, "the loop trace's entries, completions and side exits");
    }

    /**
     * Loop peeling (fifteenth round): the float loop's trace compiled with a second copy of its
     * body that starts with the facts the first copy's end leaves, and without (--no-peel, and
     * --no-forwarding): the peeled cache has the second copy (more code than the unpeeled one,
     * fewer loads of the loop's slots per pass), all three outputs equal to a plain run's, and the
     * loop trace's entries, completions (each copy's loop-back counts an iteration) and side exits
     * equal.
     */
    @Test
    void peeledLoopTraceKeepsOutputAndCounts() throws Exception {
        Path floats = recordedFloatLoop();
        Path peeled = dir.resolve("peeled.tcache");
        Path unpeeled = dir.resolve("unpeeled.tcache");
        Path without = dir.resolve("without.tcache");
        for (List<String> args : List.of(List.of("-o", peeled.toString()), List.of("--no-peel", "-o", unpeeled.toString()),
                List.of("--no-forwarding", "-o", without.toString()))) {
            List<String> argv = new ArrayList<>(List.of("compile", "--quiet", "r0001"));
            argv.addAll(args);
            CliRun compile = tracedb(db, argv.toArray(String[]::new));
            assertEquals(0, compile.status(), compile::toString);
        }
        long peeledBytes = codeBytes(TraceCacheFile.read(peeled));
        long unpeeledBytes = codeBytes(TraceCacheFile.read(unpeeled));
        assertTrue(peeledBytes > unpeeledBytes * 13 / 10,
                "the loop trace has a second copy: " + peeledBytes + " against " + unpeeledBytes + " bytes");

        String peeledLoop = hottestTrace(peeled, floats);
        assertTrue(peeledLoop.contains("completed 29999"), "the loop trace completes its passes: " + peeledLoop);
        assertEquals(hottestTrace(unpeeled, floats), peeledLoop, "the loop trace's entries, completions and side exits");
        assertEquals(hottestTrace(without, floats), peeledLoop, "the loop trace's entries, completions and side exits");
    }

    /** A lua5.4 loop of float arithmetic over argv[1] rounds, in the test's directory, recorded (inputs) on 20,000 as r0001. */
    private Path recordedFloatLoop() throws Exception {
        Path floats = dir.resolve("floats.lua");
        Files.writeString(floats, String.join("\n",
                "local s = 0.0",
                "for i = 1, tonumber(arg[1]) do local x = i * 0.5; local y = x * x - x * 0.25; s = s + y * 1e-9 end",
                "print(string.format('%.6f', s))", ""));
        recordInputs(LUA, floats.toString(), "20000");
        return floats;
    }

    /** Runs {@code script} on 300,000 with {@code cache} (same output as plain): the stats line of the trace with the most completions. */
    private String hottestTrace(Path cache, Path script) throws Exception {
        EndToEnd.Outcome cached = runPlainAndCounted(cache, script);
        Matcher m = TRACE.matcher(cached.err());
        String hottest = null;
        long most = -1;
        while (m.find()) {
            if (Long.parseLong(m.group(4)) > most) {
                most = Long.parseLong(m.group(4));
                hottest = m.group();
            }
        }
        assertTrue(hottest != null, cached::toString);
        return hottest;
    }

    private static long codeBytes(TraceCache cache) {
        return cache.code().stream().mapToLong(c -> c.code().length).sum();
    }

    /** A module-level python3 loop of argv[1] rounds over two globals, in the test's directory. */
    private Path pythonLoop() throws Exception {
        Path script = dir.resolve("loop.py");
        Files.writeString(script, String.join("\n", "import sys", "n = int(sys.argv[1])", "s = 0", "t = 0",
                "for i in range(n):", "    s = s + i * 2", "    t = t ^ (i & 7)", "print(s, t)", ""));
        return script;
    }

    /** Records {@code argv}'s inputs natively ({@code --engine inputs}) into the test's database; it must exit 0. */
    private void recordInputs(String... argv) {
        List<String> args = new ArrayList<>(List.of("record", "--engine", "inputs", "--quiet", "--env", Programs.TUNABLES, "--"));
        args.addAll(List.of(argv));
        CliRun record = tracedb(db, args.toArray(String[]::new));
        assertEquals(0, record.status(), record::toString);
    }

    /**
     * python3.11's opcode folded: besides the code unit, the DTrace semaphore ({@code movzx ecx,
     * word [rip + …]}) and {@code cframe.use_tracing} ({@code or sil, byte [rsp + 0xb0]}) are
     * sampled and, zero in every pass, guarded (two 0x0 guards per dispatch). On the recorded
     * script those traces complete their passes; run under {@code sys.settrace} (the same script
     * through runpy, so its code units are the same but use_tracing is 1) their use_tracing guard
     * fails and they leave on (nearly) every pass; output equal to a plain run's both ways.
     */
    @Test
    void python3sTracingByteIsGuardedAndTracingLeavesExactly() throws Exception {
        String python = "/usr/bin/python3.11";
        Path script = pythonLoop();
        Path traced = dir.resolve("traced.py");
        Files.writeString(traced, String.join("\n", "import runpy, sys", "sys.settrace(lambda *a: None)",
                "sys.argv = sys.argv[1:]", "runpy.run_path(sys.argv[0], run_name='__main__')", ""));
        recordInputs(python, script.toString(), "20000");
        Path cache = dir.resolve("python.tcache");
        CliRun compile = tracedb(db, "compile", "--quiet", "--keep-unprofitable", "r0001", "-o", cache.toString());
        assertEquals(0, compile.status(), compile::toString);
        CliRun list = tracedb(null, "traces", cache.toString());
        Matcher zero = Pattern.compile("\\n\\s+(\\d+)\\s+python3\\.11\\+0x[0-9a-f]+\\s+0x0\\n").matcher(list.out());
        Map<Integer, Integer> zeros = new HashMap<>();
        for (int from = 0; zero.find(from); from = zero.end() - 1) {
            zeros.merge(Integer.parseInt(zero.group(1)), 1, Integer::sum);
        }
        List<Integer> tracing = zeros.entrySet().stream().filter(e -> e.getValue() >= 2).map(Map.Entry::getKey).toList();
        assertFalse(tracing.isEmpty(), "no trace guards the semaphore and use_tracing:\n" + list);

        Map<Integer, long[]> holding = countsById(cache, List.of(python, script.toString(), "300000"));
        Map<Integer, long[]> failing = countsById(cache, List.of(python, traced.toString(), script.toString(), "300000"));
        boolean holdsThenFails = false;
        for (int t : tracing) {
            long[] h = holding.get(t);
            long[] f = failing.get(t);
            if (h != null && f != null && h[1] >= 250_000 && f[2] >= 250_000 && f[1] * 100 <= f[2]) holdsThenFails = true;
        }
        assertTrue(holdsThenFails, "no trace with tracing-byte guards completes on the script and leaves on (nearly)"
                + " every pass under sys.settrace: " + tracing + "\n" + list);
    }

    /** Records, as run "probed", the command a no-samples note gave (with the tests' environment). */
    private CliRun recordAsNoted(Matcher note) {
        List<String> args = new ArrayList<>(List.of("record", "--quiet", "--name", "probed", "--env", Programs.TUNABLES));
        args.addAll(Arrays.asList(note.group(1).split(" ")));
        args.add("--");
        args.addAll(Arrays.asList(note.group(2).split(" ")));
        return tracedb(db, args.toArray(String[]::new));
    }

    /** Runs {@code argv} plainly and with {@code cache} (same output); per trace head, --stats' entered, completed, side exits. */
    private Map<String, long[]> traceCounts(Path cache, List<String> argv) throws Exception {
        Map<String, long[]> counts = new HashMap<>();
        traceStats(cache, argv, (id, head, c) -> counts.put(head, c));
        return counts;
    }

    /** The same per trace id. */
    private Map<Integer, long[]> countsById(Path cache, List<String> argv) throws Exception {
        Map<Integer, long[]> counts = new HashMap<>();
        traceStats(cache, argv, (id, head, c) -> counts.put(id, c));
        return counts;
    }

    private interface TraceStat {
        void accept(int id, String head, long[] enteredCompletedExits);
    }

    private void traceStats(Path cache, List<String> argv, TraceStat each) throws Exception {
        EndToEnd.Outcome plain = EndToEnd.execute(dir, argv);
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, false, argv));
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        Matcher m = TRACE.matcher(cached.err());
        while (m.find()) {
            each.accept(Integer.parseInt(m.group(1)), m.group(2),
                    new long[] {Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5))});
        }
    }

    private static int applied(CliRun compile) {
        Matcher m = APPLIED.matcher(compile.out());
        assertTrue(m.find(), compile::toString);
        return Integer.parseInt(m.group(1));
    }

    /** Runs {@code script} 300,000 rounds plainly and with {@code cache}: same output; the --stats entries, completions, side exits. */
    private long[] assertSameOutput(Path cache, Path script) throws Exception {
        EndToEnd.Outcome cached = runPlainAndCounted(cache, script);
        Matcher m = SIDE_EXITS.matcher(cached.err());
        assertTrue(m.find(), cached::toString);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    /** Runs {@code script} on 300,000 plainly and with {@code cache} under --stats; asserts the same output and status. */
    private EndToEnd.Outcome runPlainAndCounted(Path cache, Path script) throws Exception {
        List<String> argv = List.of(LUA, script.toString(), "300000");
        EndToEnd.Outcome plain = EndToEnd.execute(dir, argv);
        EndToEnd.Outcome cached = EndToEnd.execute(dir, NativeLoader.locate().command(cache, true, false, argv));
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain.out(), cached.out(), cached::toString);
        assertEquals(plain.status(), cached.status(), cached::toString);
        return cached;
    }
}
