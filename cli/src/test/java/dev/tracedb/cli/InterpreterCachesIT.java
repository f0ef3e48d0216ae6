package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.cli.EndToEnd.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real interpreters with caches compiled from recordings of <em>other</em> inputs: Debian's
 * {@code lua5.4} and {@code /usr/bin/python3} (not a pyenv shim) each record every workload of
 * {@code bench/workloads} with a small input, one {@code tracedb compile} merges those runs
 * into one cache per interpreter, and each workload runs with a larger input and the cache: the same
 * stdout and exit status as a plain run. The Lua set includes pcall/error (longjmp inside the
 * interpreter) and coroutines; the Python set a loop that a 1 ms interval timer interrupts. A Python
 * program with forked workers and threads (a recording would step aside at its first thread) runs with the Python cache. Then Debian's CPython test suite
 * ({@code libpython3.11-testsuite}) runs plain and with the Python cache, and every test's outcome,
 * each module's totals and the overall result must be the same.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class InterpreterCachesIT {
    static final String LUA = "/usr/bin/lua5.4";
    static final String PYTHON = "/usr/bin/python3";
    static final List<String> SUITE = List.of("test_math", "test_json", "test_re", "test_list", "test_dict",
            "test_bisect", "test_heapq", "test_string");

    @TempDir
    static Path shared;
    static Path luaCache;
    static Path pythonCache;

    @TempDir
    Path scratch;

    /** A workload script and its arguments (separated by spaces) when recorded and when run with the cache. */
    record Workload(String interpreter, String script, String recorded, String cached) {
        @Override
        public String toString() {
            return Path.of(interpreter).getFileName() + " " + script + " " + cached;
        }

        List<String> argv(String arguments) {
            List<String> argv = new ArrayList<>(List.of(interpreter, workloadDirectory().resolve(script).toString()));
            argv.addAll(List.of(arguments.split(" ")));
            return argv;
        }
    }

    static Stream<Workload> workloads() {
        return Stream.of(
                new Workload(LUA, "lua/numeric.lua", "30", "200"),
                new Workload(LUA, "lua/recursion.lua", "15", "24"),
                new Workload(LUA, "lua/strings.lua", "2000", "40000"),
                new Workload(LUA, "lua/tables.lua", "5000", "100000"),
                new Workload(LUA, "lua/closures.lua", "10000", "200000"),
                new Workload(LUA, "lua/protected.lua", "3000", "200000"),
                new Workload(PYTHON, "python/loops.py", "20000", "400000"),
                new Workload(PYTHON, "python/objects.py", "3000", "100000"),
                new Workload(PYTHON, "python/recursion.py", "12", "21"),
                // recorded and run with its 1 ms timer: the handler runs translated in the recording
                new Workload(PYTHON, "python/timer.py", "5000 1", "300000 1"));
    }

    @BeforeAll
    static void recordAndCompile() throws IOException {
        assertTrue(Files.isExecutable(Path.of(LUA)) && Files.isExecutable(Path.of(PYTHON)), "needs Debian's lua5.4 and python3");
        Path db = shared.resolve("db");
        List<String> luaRuns = new ArrayList<>();
        List<String> pythonRuns = new ArrayList<>();
        for (Workload w : workloads().toList()) {
            String name = Path.of(w.script()).getFileName().toString().replace('.', '-') + "-" + w.recorded().replace(' ', '-');
            EndToEnd.record(db, shared, name, w.argv(w.recorded()));
            (w.interpreter().equals(LUA) ? luaRuns : pythonRuns).add(name);
        }
        luaCache = compile(db, luaRuns, shared.resolve("lua.tcache"));
        // python3's traces save too little for the cost model's module rule, which would leave this
        // cache empty: without the rule it holds the traces the other rules keep, which must run exactly
        pythonCache = compile(db, pythonRuns, shared.resolve("python.tcache"), "--min-module-saving", "0");
    }

    private static Path compile(Path db, List<String> runs, Path cache, String... options) {
        List<String> args = new ArrayList<>(List.of("compile", "--quiet"));
        args.addAll(List.of(options));
        args.addAll(runs);
        args.addAll(List.of("-o", cache.toString()));
        CliRun compile = CliRun.tracedb(db, args.toArray(String[]::new));
        assertEquals(0, compile.status(), compile::toString);
        return cache;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void aWorkloadWithTheCacheOfOtherInputsPrintsWhatItPrintsPlain(Workload w) throws Exception {
        List<String> argv = w.argv(w.cached());
        Path cache = w.interpreter().equals(LUA) ? luaCache : pythonCache;
        Outcome plain = EndToEnd.plain(scratch, argv);
        Outcome cached = EndToEnd.cached(scratch, cache, List.of("--stats"), argv);
        assertEquals(0, plain.status(), plain::toString);
        assertFalse(plain.out().isBlank(), plain::toString);
        assertEquals(plain.out(), cached.out(), () -> "stdout differs with the cache: " + cached);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertFalse(cached.err().contains("not applied"), cached::toString);
        Map<String, Long> entries = EndToEnd.entriesByModule(cached.err());
        String interpreterModule = w.interpreter().equals(LUA) ? "lua5.4" : "python3.11";
        assertTrue(entries.getOrDefault(interpreterModule, 0L) > 0, () -> "traces in the interpreter were entered: " + cached);
    }

    @Test
    void forkedWorkersAndThreadsRunTheCachedPythonCorrectly() throws Exception {
        // multiprocessing's fork children inherit the patched code; the parent runs the pool's threads
        List<String> argv = List.of(PYTHON, workloadDirectory().resolve("python/workers.py").toString(), "200000");
        Outcome plain = EndToEnd.plain(scratch, argv);
        Outcome cached = EndToEnd.cached(scratch, pythonCache, List.of("--stats"), argv);
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(3, plain.out().lines().count(), plain::toString);
        assertEquals(plain.out(), cached.out(), () -> "stdout differs with the cache: " + cached);
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertTrue(EndToEnd.entriesByModule(cached.err()).getOrDefault("python3.11", 0L) > 0, cached::toString);
    }

    @Test
    void cpythonsTestSuiteHasTheSameResultsWithTheCache() throws Exception {
        Path suite = Path.of("/usr/lib/python3.11/test/test_json");
        assertTrue(Files.isDirectory(suite), "needs Debian's libpython3.11-testsuite (scripts/setup installs it)");
        List<String> argv = new ArrayList<>(List.of(PYTHON, "-m", "test", "-v"));
        argv.addAll(SUITE);
        Outcome plain = EndToEnd.plain(scratch, argv);
        Outcome cached = EndToEnd.cached(scratch, pythonCache, List.of("--stats"), argv);

        Results expected = Results.of(plain.out() + plain.err());
        Results actual = Results.of(cached.out() + withoutTraceDbLines(cached.err()));
        assertEquals(SUITE.size(), expected.moduleTotals().size(), () -> "every test module ran: " + plain);
        // unittest -v prints one outcome line per test (a test with a docstring: its first line)
        assertEquals(expected.testsRun(), expected.cases().size(), () -> "every test's outcome is in the output: " + plain);
        assertTrue(expected.testsRun() > 500, () -> "the suite ran: " + plain);
        assertEquals(expected.summary(), actual.summary(), () -> "summary differs with the cache: " + cached);
        assertEquals(expected.moduleTotals(), actual.moduleTotals(), () -> "per-module totals differ with the cache: " + cached);
        assertEquals(expected.cases(), actual.cases(), "a test's outcome differs with the cache");
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertTrue(EndToEnd.entriesByModule(cached.err()).getOrDefault("python3.11", 0L) > 0,
                () -> "traces in python3 were entered: " + cached.err());
    }

    /** What regrtest and unittest say about the tests, without timings and other run-dependent text. */
    record Results(List<String> summary, List<String> moduleTotals, List<String> cases) {
        private static final Pattern CASE = Pattern.compile(
                "^(\\S.*?) \\.\\.\\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$", Pattern.MULTILINE);
        private static final Pattern RAN = Pattern.compile("^Ran (\\d+ tests?) in [0-9.]+s$", Pattern.MULTILINE);
        private static final Pattern VERDICT = Pattern.compile("^(OK|FAILED)( \\(.*\\))?$", Pattern.MULTILINE);

        static Results of(String output) {
            List<String> totals = new ArrayList<>();
            Matcher ran = RAN.matcher(output);
            while (ran.find()) totals.add(ran.group(1));
            Matcher verdict = VERDICT.matcher(output);
            int k = 0;
            while (verdict.find() && k < totals.size()) totals.set(k, totals.get(k++) + " " + verdict.group());
            List<String> cases = new ArrayList<>();
            Matcher c = CASE.matcher(output);
            while (c.find()) cases.add(c.group(1) + " " + c.group(2));
            cases.sort(null);
            List<String> summary = output.lines()
                    .filter(l -> l.startsWith("== Tests result") || l.startsWith("Tests result:") || l.matches("^(All )?\\d+ tests? (OK|failed|skipped).*"))
                    .collect(Collectors.toList());
            return new Results(summary, totals, cases);
        }

        int testsRun() {
            return moduleTotals.stream().mapToInt(t -> Integer.parseInt(t.substring(0, t.indexOf(' ')))).sum();
        }
    }

    private static String withoutTraceDbLines(String stderr) {
        return stderr.lines().filter(l -> !l.startsWith("tracedb: ")).map(l -> l + "\n").collect(Collectors.joining());
    }

    static Path workloadDirectory() {
        String dir = System.getProperty("tracedb.testprograms");
        Path bin = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        // testprograms/target/bin → the repository root: the workloads are the benchmarks' own.
        return bin.toAbsolutePath().normalize().getParent().getParent().getParent().resolve("bench/workloads");
    }
}
