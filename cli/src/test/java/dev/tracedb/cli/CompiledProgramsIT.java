package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.cli.EndToEnd.Outcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The correctness bar of issue 4 on the C test programs (and two real binaries, at the end): each
 * workload is recorded with the DBI engine on a small input, compiled with {@code tracedb compile},
 * and run with {@code tracedb run --cache} on a different, larger input. Its stdout and exit status
 * must equal a plain run's, and
 * the traces must have been entered, as {@code --stats} counts them (static programs go through the
 * ptrace path, which counts with {@code --stats-stderr} too, and {@code --verbose} must say that
 * traces were applied there). The signal workload is recorded with its handler running (raised
 * signals and a 1 ms interval timer, translated by the DBI recorder) and run with them too, the
 * timer interrupting the traces wherever they are; the threads workload is recorded in one thread
 * and run in four at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CompiledProgramsIT {
    @TempDir
    static Path database;

    @TempDir
    Path scratch;

    /**
     * One workload: the program (a build of a test program), its arguments when recorded and when
     * run with the cache, and the module whose traces --stats must show entered (null where the
     * compiler finds no trace to patch in).
     */
    record Case(String program, List<String> recorded, List<String> cached, String enteredIn) {
        @Override
        public String toString() {
            return program + " " + String.join(" ", cached);
        }

        boolean isStatic() {
            return program.endsWith("-static") || program.endsWith("-static-pie");
        }
    }

    /** hotloops exits with N % 5: the larger inputs are chosen so that most runs exit non-zero. */
    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // PIE, dynamic: every workload of hotloops.
        cases.add(hotloops("hotloops", "switch", 20_000, 2_000_001));
        cases.add(hotloops("hotloops", "pointers", 20_000, 1_000_002));
        cases.add(hotloops("hotloops", "recursion", 2_000, 50_003));
        cases.add(hotloops("hotloops", "tail", 5_000, 200_004));
        // setjmp and longjmp are libc's: the hot traces are there.
        cases.add(new Case("hotloops", List.of("longjmp", "5000"), List.of("longjmp", "300001"), "libc.so.6"));
        cases.add(new Case("hotloops", List.of("signal", "20000", "1000"), List.of("signal", "3000002", "1000"), "hotloops"));
        cases.add(hotloops("hotloops", "rep", 20_000, 500_003));
        cases.add(hotloops("hotloops", "sse", 20_000, 2_000_004));
        cases.add(hotloops("hotloops", "avx", 20_000, 2_000_001));
        cases.add(hotloops("hotloops", "riprel", 20_000, 2_000_002));
        cases.add(hotloops("hotloops", "libc", 2_000, 100_003));
        // recorded in one thread (a recording steps aside at a second thread), run in four at once
        cases.add(new Case("hotloops", List.of("threads", "5000", "0"), List.of("threads", "1000001", "4"), "hotloops"));
        cases.add(new Case("loops", List.of("300"), List.of("20000"), "loops"));
        cases.add(new Case("syscall-loop", List.of("2000"), List.of("100000"), "syscall-loop"));
        // interp's two loop heads cannot be patched (one block is shorter than the 5-byte jump, another
        // recorded block starts inside the other's patch bytes); its traces start where its calls
        // return, inside the loop, instead.
        cases.add(new Case("interp", List.of("3000"), List.of("200000"), "interp"));
        // Not PIC: a dynamic program with absolute addresses.
        cases.add(hotloops("hotloops-nopie", "switch", 20_000, 2_000_001));
        cases.add(hotloops("hotloops-nopie", "riprel", 20_000, 2_000_002));
        cases.add(hotloops("hotloops-nopie", "libc", 2_000, 100_003));
        // Static programs: the ptrace path (a JVM start each), so only a few.
        cases.add(hotloops("hotloops-static", "switch", 20_000, 2_000_001));
        cases.add(hotloops("hotloops-static", "rep", 20_000, 500_003));
        cases.add(new Case("hotloops-static", List.of("signal", "20000", "1000"), List.of("signal", "3000002", "1000"), "hotloops-static"));
        cases.add(new Case("hotloops-static", List.of("threads", "5000", "0"), List.of("threads", "1000001", "4"), "hotloops-static"));
        cases.add(hotloops("hotloops-static-pie", "riprel", 20_000, 2_000_002));
        return cases.stream();
    }

    private static Case hotloops(String program, String workload, int recorded, int cached) {
        return new Case(program, List.of(workload, Integer.toString(recorded)), List.of(workload, Integer.toString(cached)),
                program);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cachedRunOfAnotherInputEqualsAPlainRun(Case c) throws Exception {
        String program = Programs.path(c.program());
        String name = (c.program() + "-" + String.join("-", c.recorded())).replace('/', '_');
        EndToEnd.record(database, scratch, name, argv(program, c.recorded()));
        Path cache = EndToEnd.compile(database, name, scratch.resolve(name + ".tcache"));

        List<String> run = argv(program, c.cached());
        Outcome plain = EndToEnd.plain(scratch, run);
        // static programs go on to the ptrace path, which counts with --stats too (kept nowhere here)
        Outcome cached = EndToEnd.cached(scratch, cache, c.isStatic() ? List.of("--verbose", "--stats-stderr") : List.of("--stats"), run);
        assertFalse(plain.out().isBlank(), plain::toString);
        assertEquals(plain.out(), cached.out(), () -> "stdout differs with the cache: " + cached);
        assertEquals(plain.status(), cached.status(), () -> "exit status differs with the cache: " + cached);
        assertFalse(cached.err().contains("not applied"), cached::toString);
        if (c.isStatic()) {
            assertTrue(EndToEnd.appliedTraces(cached.err()) > 0, () -> "the ptrace path applied traces: " + cached);
        }
        if (c.enteredIn() != null) {
            Map<String, Long> entries = EndToEnd.entriesByModule(cached.err());
            assertTrue(entries.getOrDefault(c.enteredIn(), 0L) > 0,
                    () -> "traces in " + c.enteredIn() + " were entered: " + cached);
        }
    }

    /**
     * Real binaries of the recorder issue's list: {@code sha256sum} and {@code sort -n}, recorded on
     * a small file and run with the cache on a 100x larger one. GNU coreutils close stderr at exit,
     * before the shim's destructor prints the --stats report: it goes to the copy of stderr the shim
     * took at start-up, so the program's own traces must show as entered.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/usr/bin/sha256sum", "/usr/bin/sort -n"})
    void realBinariesRunWithTheCacheOfASmallerInput(String command) throws Exception {
        List<String> words = List.of(command.split(" "));
        Path small = scratch.resolve("small.txt");
        Path large = scratch.resolve("large.txt");
        writeNumbers(small, 3_000);
        writeNumbers(large, 300_000);
        String name = Path.of(words.get(0)).getFileName().toString();
        EndToEnd.record(database, scratch, name, with(words, small));
        Path cache = EndToEnd.compile(database, name, scratch.resolve(name + ".tcache"));
        Outcome plain = EndToEnd.plain(scratch, with(words, large));
        Outcome cached = EndToEnd.cached(scratch, cache, List.of("--verbose", "--stats"), with(words, large));
        assertEquals(0, plain.status(), plain::toString);
        assertEquals(plain.out(), cached.out(), () -> "stdout differs with the cache: " + cached.err());
        assertEquals(plain.status(), cached.status(), cached::toString);
        assertFalse(cached.err().contains("not applied"), cached::toString);
        assertTrue(cached.err().contains("tracedb: " + Path.of(words.get(0)).toRealPath() + ": applied "),
                () -> "traces in the program itself were applied: " + cached.err());
        assertTrue(EndToEnd.entriesByModule(cached.err()).getOrDefault(name, 0L) > 0,
                () -> "traces in the program itself were entered: " + cached.err());
    }

    private static List<String> with(List<String> command, Path file) {
        List<String> argv = new ArrayList<>(command);
        argv.add(file.toString());
        return argv;
    }

    /** Numbers in a fixed pseudo-random order, one a line. */
    private static void writeNumbers(Path file, int count) throws java.io.IOException {
        java.util.Random random = new java.util.Random(count);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) text.append(random.nextInt(1_000_000)).append('\n');
        java.nio.file.Files.writeString(file, text);
    }

    private static List<String> argv(String program, List<String> args) {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(args);
        return argv;
    }
}
