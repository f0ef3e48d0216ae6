package dev.tracedb.recorder.dbi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchOptions;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DbiSessionTest extends NoStrayProcesses {
    /** Capstone 4.0.2 cannot decode glibc's AVX-512 opmask code: keep glibc off those paths. */
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C",
            "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD");

    /** The environment without the tunables: glibc picks its AVX-512 (EVEX) string functions on this CPU. */
    static final List<String> AVX512_ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

    private static Tracer tracer;

    /** The environment of the programs this test launches. */
    private List<String> environment = ENV;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("dbi-engine-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    /** A test program by name, or any program by absolute path. */
    static LaunchOptions options(String program, Path stdout, String... args) {
        return options(ENV, program, stdout, args);
    }

    static LaunchOptions options(List<String> env, String program, Path stdout, String... args) {
        String path = program.startsWith("/") ? program : TestPrograms.path(program).toString();
        return LaunchOptions.builder(path).args(args).environment(env)
                .randomization(AddressRandomization.DISABLED).stdout(stdout).build();
    }

    record Recording(DbiSession.Result result, CollectingSink sink, String stdout) {}

    Recording record(String program, RegionLayout layout, String... args) throws IOException {
        return record(program, layout, MissHandshake.PTRACE, args);
    }

    Recording record(String program, RegionLayout layout, MissHandshake handshake, String... args) throws IOException {
        return record(program, layout, handshake, DbiSession.PREFETCH_BLOCKS, args);
    }

    Recording record(String program, RegionLayout layout, MissHandshake handshake, int prefetch, String... args)
            throws IOException {
        Path out = tmp.resolve(fileName(program) + "-dbi.out");
        CollectingSink sink = new CollectingSink();
        try (Tracee t = Tracee.launch(tracer, options(environment, program, out, args));
             DecodingBlockSource source = new DecodingBlockSource(t.pid(), t.memory());
             DbiSession engine = new DbiSession(t, layout, handshake, source, sink)) {
            engine.prefetch(prefetch);
            DbiSession.Result result = engine.run();
            checkPrologues(engine, sink);
            return new Recording(result, sink, Files.readString(out));
        }
    }

    /** The plain run: stdout and exit status, under ptrace but never stopped. */
    record Plain(StopEvent end, String stdout, long nanos) {}

    Plain plain(String program, String... args) throws IOException {
        Path out = tmp.resolve(fileName(program) + "-plain.out");
        try (Tracee t = Tracee.launch(tracer, options(environment, program, out, args))) {
            long t0 = System.nanoTime();
            StopEvent stop = t.cont();
            while (!stop.isTerminal()) {
                // Signals pass on to the program, as without ptrace.
                stop = t.cont(stop instanceof StopEvent.SignalStop s && !s.signal().equals(Signal.SIGTRAP)
                        ? s.signal() : null);
            }
            return new Plain(stop, Files.readString(out), System.nanoTime() - t0);
        }
    }

    /** Instruction addresses by single-stepping the same program from its first instruction. */
    long[] stepReference(String program, String... args) throws IOException {
        try (Tracee t = Tracee.launch(tracer, options(environment, program, tmp.resolve(fileName(program) + "-step.out"), args))) {
            return tracer.call(() -> {
                long[] rips = new long[1 << 16];
                int n = 0;
                while (true) {
                    long rip = t.registers().rip().value();
                    StopEvent stop = t.step();
                    if (n == rips.length) {
                        rips = Arrays.copyOf(rips, n * 2);
                    }
                    rips[n++] = rip;
                    if (!(stop instanceof StopEvent.SignalStop)) {
                        while (!stop.isTerminal()) {
                            stop = t.cont();
                        }
                        return Arrays.copyOf(rips, n);
                    }
                }
            });
        }
    }

    @Test
    void staticProgramRunsFromTheCacheAndItsStreamEqualsSingleStepping() throws IOException {
        Plain plain = plain("dbi-simple-static", "20");
        Recording rec = record("dbi-simple-static", RegionLayout.DEFAULT, "20");
        assertEquals(plain.end(), rec.result().end());
        assertEquals(new StopEvent.Exited(0), rec.result().end());
        assertEquals(plain.stdout(), rec.stdout());
        assertTrue(rec.stdout().endsWith("EXIT-SUCCESS\n"));

        long[] dbi = rec.sink().instructionStream();
        long[] step = restoreAfterCpuid(collapseRepeats(stepReference("dbi-simple-static", "20"),
                repInstructions(rec.sink().blocks)), cpuidSuccessors(rec.sink().blocks));
        assertStreamsEqual(step, dbi);
        assertTrue(rec.result().indirectMisses() > 0 && rec.result().directMisses() > 0, rec.result().toString());
        assertEquals(rec.sink().eventCount(), rec.result().events());
        System.out.printf("dbi-simple-static 20: %d instructions, %s, plain %.1f ms%n", dbi.length, rec.result(),
                plain.nanos() / 1e6);
    }

    /**
     * Blocks translated ahead of their first run (prefetching) leave the same stream, with the
     * same block ids defined in the same order, as translating each block at its first miss;
     * and they save most misses.
     */
    @Test
    void prefetchingKeepsStreamAndIdsAndSavesMisses() throws IOException {
        for (List<String> argv : List.of(List.of("dbi-simple-static", "300"), List.of("dbi-simple", "20"))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Recording lazy = record(program, RegionLayout.DEFAULT, MissHandshake.PTRACE, 0, args);
            Recording ahead = record(program, RegionLayout.DEFAULT, MissHandshake.PTRACE, 32, args);
            assertEquals(lazy.stdout(), ahead.stdout(), program);
            assertEquals(lazy.result().end(), ahead.result().end(), program);
            assertTrue(Arrays.equals(lazy.sink().instructionStream(), ahead.sink().instructionStream()), program);
            assertEquals(lazy.sink().blocks.stream().map(Fragment::start).toList(),
                    ahead.sink().blocks.stream().map(Fragment::start).toList(), program + ": ids in first-run order");
            DbiSession.Result l = lazy.result();
            DbiSession.Result a = ahead.result();
            assertEquals(0, l.prefetched());
            assertTrue(a.prefetchedRan() > 0 && a.prefetchedRan() <= a.prefetched(), a.toString());
            assertEquals(lazy.sink().blocks.size(), l.blocks());
            assertEquals(lazy.sink().blocks.size() + a.prefetched() - a.prefetchedRan(), a.blocks(), a.toString());
            long lazyMisses = l.directMisses() + l.indirectMisses();
            long aheadMisses = a.directMisses() + a.indirectMisses();
            assertTrue(aheadMisses * 2 < lazyMisses, program + ": " + aheadMisses + " misses ahead, " + lazyMisses + " lazily");
            System.out.printf("%s: %d misses lazily, %d with prefetching (%d of %d prefetched blocks ran)%n", program,
                    lazyMisses, aheadMisses, a.prefetchedRan(), a.prefetched());
        }
    }

    /**
     * The lookup routine and Java hash targets alike: after its first miss a target hits, so a
     * loop of thousands of calls, returns and indirect calls misses about once per distinct target
     * (evictions by colliding targets aside); a disagreement would miss on every execution.
     */
    @Test
    void indirectBranchesMissOncePerTarget() throws IOException {
        for (List<String> argv : List.of(List.of("dbi-simple-static", "3000"), List.of("dbi-simple", "3000"))) {
            Recording rec = record(argv.get(0), RegionLayout.DEFAULT, argv.get(1));
            DbiSession.Result r = rec.result();
            assertEquals(new StopEvent.Exited(0), r.end());
            assertTrue(r.indirectTargets() > 50 && r.indirectMisses() <= r.indirectTargets() + 5, r.toString());
            assertTrue(r.events() > 100 * r.indirectMisses(), r.toString());
            System.out.printf("%s: %d indirect misses for %d targets, %d events%n", argv, r.indirectMisses(),
                    r.indirectTargets(), r.events());
        }
    }

    @Test
    void aTinyRingOverflowsIntoTheGuardPageWithoutLosingEvents() throws IOException {
        RegionLayout tiny = new RegionLayout(3 * RegionLayout.PAGE, 4 << 20);
        Recording small = record("dbi-simple-static", tiny, "3000");
        Recording big = record("dbi-simple-static", RegionLayout.DEFAULT, "3000");
        assertTrue(small.result().ringOverflows() > 10, small.result().toString());
        assertEquals(0, big.result().ringOverflows());
        assertEquals(big.stdout(), small.stdout());
        assertTrue(Arrays.equals(big.sink().instructionStream(), small.sink().instructionStream()));
    }

    /**
     * A full ring's fault can land on the append of a block translated ahead, after the store of
     * its {@code PREFETCHED_RAN} mark: the drain at the fault must not lose that mark, or the append
     * it restarts puts the block's provisional id in the log undefined. Where the overflows fall
     * depends on how many blocks ran before them, which the environment moves (glibc walks it at
     * start-up, and a tiny ring overflows there, where most blocks are new): 24 environments put
     * some overflow on such an append (a sink given an undefined id fails the test).
     */
    @Test
    void aFullRingsFaultOnABlockTranslatedAheadKeepsItsProvisionalIdDefined() throws IOException {
        RegionLayout tiny = new RegionLayout(3 * RegionLayout.PAGE, 4 << 20);
        String expected = record("dbi-simple-static", RegionLayout.DEFAULT, "300").stdout();
        for (int extra = 0; extra < 24; extra++) {
            List<String> env = new ArrayList<>(ENV);
            for (int v = 0; v < extra; v++) env.add("TRACEDB_PAD" + v + "=" + "x".repeat(v));
            environment = env;
            Recording small = record("dbi-simple-static", tiny, "300");
            assertTrue(small.result().ringOverflows() > 2, small.result().toString());
            assertEquals(expected, small.stdout(), "with " + extra + " more environment variables");
        }
    }

    @Test
    void dynamicPieRunsFromTheLoaderEntryAndItsStreamEqualsSingleStepping() throws IOException {
        Plain plain = plain("dbi-simple", "20");
        Recording rec = record("dbi-simple", RegionLayout.DEFAULT, "20");
        assertEquals(new StopEvent.Exited(0), rec.result().end());
        assertEquals(plain.stdout(), rec.stdout());
        assertTrue(rec.stdout().endsWith("EXIT-SUCCESS\n"));
        // The executable (0x5555...) and the loader and libc (0x7fff...) are 40 TiB apart.
        assertTrue(rec.result().views() >= 2, rec.result().toString());

        long[] dbi = rec.sink().instructionStream();
        long[] step = restoreAfterCpuid(collapseRepeats(stepReference("dbi-simple", "20"),
                repInstructions(rec.sink().blocks)), cpuidSuccessors(rec.sink().blocks));
        assertStreamsEqual(step, dbi);
        System.out.printf("dbi-simple 20: %d instructions, %s, plain %.1f ms%n", dbi.length, rec.result(),
                plain.nanos() / 1e6);
    }

    /**
     * Real dynamic programs: the loader, libc and the program, with output and exit status of a plain
     * run; {@code control}'s clock read runs the vDSO's code translated.
     */
    @Test
    void realDynamicProgramsBehaveAsInAPlainRun() throws IOException {
        String loops = TestPrograms.path("loops").toString();
        for (List<String> argv : List.of(List.of("/bin/true"), List.of("/bin/echo", "hello"), List.of(loops, "50"),
                List.of(TestPrograms.path("control").toString()))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Plain plain = plain(program, args);
            Recording rec = record(program, RegionLayout.DEFAULT, args);
            assertEquals(plain.end(), rec.result().end(), program);
            assertEquals(plain.stdout(), rec.stdout(), program);
            assertTrue(rec.result().events() > 1000 && rec.result().views() >= 2, program + " " + rec.result());
            System.out.printf("%s: %d instructions, %s, plain %.1f ms%n", argv, rec.sink().instructionStream().length,
                    rec.result(), plain.nanos() / 1e6);
        }
        assertEquals("hello\n", Files.readString(tmp.resolve("echo-dbi.out")));
    }

    /** sha256sum and sort of fixed files, and a Lua loop of a million iterations: output and exit of a plain run. */
    @Test
    void coreutilsAndLuaBehaveAsInAPlainRun() throws IOException {
        Path text = fixedText(tmp);
        for (List<String> argv : List.of(List.of("/usr/bin/sha256sum", text.toString()),
                List.of("/usr/bin/sort", text.toString()),
                List.of("/usr/bin/lua5.4", "-e", "local s=0 for i=1,1e6 do s=s+i end print(s)"))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Plain plain = plain(program, args);
            Recording rec = record(program, RegionLayout.DEFAULT, args);
            assertEquals(new StopEvent.Exited(0), rec.result().end(), program);
            assertEquals(plain.stdout(), rec.stdout(), program);
            assertFalse(rec.stdout().isEmpty(), program);
            System.out.printf("%s: %d instructions, %s, plain %.1f ms%n", program, rec.sink().instructionStream().length,
                    rec.result(), plain.nanos() / 1e6);
        }
        assertEquals("500000500000\n", Files.readString(tmp.resolve("lua5.4-dbi.out")));
    }

    /**
     * Without the tunables glibc runs its EVEX (AVX-512) memcpy/strlen/memchr variants, which
     * Capstone 4.0.2 cannot decode; the decoder's fallback must decode them, lengths and
     * RIP-relative displacement included, or the block is refused (never mistranslated).
     */
    @Test
    void glibcAvx512StringFunctionsRecordThroughTheDecoderFallback() throws IOException {
        environment = AVX512_ENV;
        Path text = fixedText(tmp);
        for (List<String> argv : List.of(List.of("/bin/echo", "hello"), List.of("/usr/bin/sort", text.toString()),
                List.of("/usr/bin/lua5.4", "-e", "print(string.rep('ab', 1000):len())"))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Plain plain = plain(program, args);
            Recording rec = record(program, RegionLayout.DEFAULT, args);
            assertEquals(new StopEvent.Exited(0), rec.result().end(), program);
            assertEquals(plain.stdout(), rec.stdout(), program);
            assertTrue(rec.sink().blocks.stream().anyMatch(DbiSessionTest::hasEvex), program + ": ran EVEX code");
        }
    }

    /** Whether a block holds an EVEX-encoded instruction (62 prefix in 64-bit mode). */
    private static boolean hasEvex(Fragment block) {
        long[] a = block.instructionAddresses();
        byte[] bytes = block.bytes();
        for (long address : a) {
            int at = (int) (address - block.start().value());
            int p = BlockTranslator.opcodeIndex(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 15)));
            if ((bytes[at + p] & 0xff) == 0x62 && p == 0) {
                return true;
            }
        }
        return false;
    }

    /** 200 lines of pseudo-random words from a fixed seed: the same file in every run. */
    static Path fixedText(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        long x = 12345;
        for (int line = 0; line < 200; line++) {
            for (int w = 0; w < 1 + line % 5; w++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
                sb.append(Long.toString(x >>> 40, 36)).append(' ');
            }
            sb.append('\n');
        }
        Path file = dir.resolve("fixed.txt");
        Files.writeString(file, sb.toString());
        return file;
    }

    /**
     * The futex handshake serves misses through shared memory: the same stream and output as
     * int3 misses, for a static program, a dynamic one (whose second view is mapped through a
     * reissued request) and the loops PIE; prints both timings.
     */
    @Test
    void futexHandshakeGivesTheSameStreamAsInt3Misses() throws IOException {
        for (List<String> argv : List.of(List.of("dbi-simple-static", "3000"), List.of("dbi-simple", "20"),
                List.of(TestPrograms.path("loops").toString(), "50"))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Recording int3 = record(program, RegionLayout.DEFAULT, MissHandshake.PTRACE, args);
            Recording futex = record(program, RegionLayout.DEFAULT, MissHandshake.FUTEX, args);
            assertEquals(int3.result().end(), futex.result().end(), program);
            assertEquals(int3.stdout(), futex.stdout(), program);
            assertTrue(Arrays.equals(int3.sink().instructionStream(), futex.sink().instructionStream()), program);
            DbiSession.Result f = futex.result();
            assertTrue(f.futexRequests() > 100, f.toString());
            assertEquals(f.directMisses() + f.indirectMisses(), f.futexRequests(), f.toString());
            System.out.printf("%s misses: int3 %.0f ms, futex %.0f ms (%d requests, %d reissued)%n", program,
                    int3.result().nanos() / 1e6, f.nanos() / 1e6, f.futexRequests(), f.reissues());
        }
    }

    /**
     * A thread: the session steps aside before the clone runs, under both handshakes. The log ends
     * with the block cut short right before the {@code syscall} (its last instruction the
     * {@code mov eax, 435} that loads clone3's number), the clone not in it; the process is detached,
     * without a code-cache mapping, and ends as a plain run does.
     */
    @Test
    void aThreadMakesTheSessionStepAsideBeforeTheCloneRuns() throws IOException {
        Plain plain = plain("threads", "3", "1000", "4");
        assertEquals(new StopEvent.Exited(4), plain.end());
        for (MissHandshake handshake : MissHandshake.values()) {
            Path out = tmp.resolve("threads-" + handshake + ".out");
            CollectingSink sink = new CollectingSink();
            try (Tracee t = Tracee.launch(tracer, options(environment, "threads", out, "3", "1000", "4"));
                 DecodingBlockSource source = new DecodingBlockSource(t.pid(), t.memory());
                 DbiSession engine = new DbiSession(t, RegionLayout.DEFAULT, handshake, source, sink)) {
                DbiSession.Result result = engine.run();
                assertEquals(null, result.end(), handshake + ": let go, not ended");
                assertEquals("the program starts a thread (clone3 with CLONE_THREAD) and a run records one thread:"
                        + " recording stopped before the thread existed", engine.detachReason());
                assertTrue(t.isDetached(), handshake.toString());
                assertEquals(plain.end(), t.detachAndAwaitExit(), handshake.toString());
                assertEquals(plain.stdout(), Files.readString(out), handshake.toString());
                assertTrue(plain.stdout().endsWith("\n0 mappings from /dev/shm\n"), plain.stdout());
                assertFalse(sink.syscalls.contains(435), handshake + ": the clone is not logged");
                Fragment last = sink.lastExecuted();
                assertEquals(dev.tracedb.store.Terminator.FALL_THROUGH, last.terminator(), last.toString());
                byte[] bytes = last.bytes();
                assertEquals("b8b3010000", java.util.HexFormat.of().formatHex(bytes, bytes.length - 5, bytes.length),
                        handshake + ": the log ends at mov eax, 435, right before the syscall");
            }
        }
    }

    /**
     * fork, posix_spawn, system() and vfork: every child is moved out of the cache at its birth
     * stop and runs natively (a forked child without the cache's mappings: it prints how many
     * /dev/shm mappings it has), the parent is recorded to its end; the same with the futex handshake.
     */
    @Test
    void childProcessesRunNativelyAndTheParentIsRecordedToItsEnd() throws IOException {
        Plain plain = plain("forks");
        assertTrue(plain.stdout().startsWith("child: 0 mappings from /dev/shm\n"), plain.stdout());
        Recording int3 = record("forks", RegionLayout.DEFAULT, MissHandshake.PTRACE);
        Recording futex = record("forks", RegionLayout.DEFAULT, MissHandshake.FUTEX);
        for (Recording rec : List.of(int3, futex)) {
            assertEquals(new StopEvent.Exited(0), rec.result().end());
            assertEquals(plain.stdout(), rec.stdout());
            // fork (clone) twice, posix_spawn and system (clone3), vfork
            assertEquals(List.of(56, 56, 435, 435, 58), rec.sink().syscalls.stream()
                    .filter(n -> n == 56 || n == 57 || n == 58 || n == 435).toList());
        }
        assertTrue(Arrays.equals(int3.sink().instructionStream(), futex.sink().instructionStream()));
    }

    /**
     * A failing exec is logged like any syscall and the program goes on; the successful one ends the
     * session at its exec event, logged with result 0; detached, the new program runs to its own end.
     */
    @ParameterizedTest
    @EnumSource(MissHandshake.class)
    void aSuccessfulExecEndsTheSessionAndTheNewProgramRunsNatively(MissHandshake handshake) throws IOException {
        Path out = tmp.resolve("execs.out");
        CollectingSink sink = new CollectingSink();
        try (Tracee t = Tracee.launch(tracer, options(environment, "execs", out));
             DecodingBlockSource source = new DecodingBlockSource(t.pid(), t.memory());
             DbiSession session = new DbiSession(t, RegionLayout.DEFAULT, handshake, source, sink)) {
            dev.tracedb.recorder.ProgramExecuted e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.tracedb.recorder.ProgramExecuted.class, session::run);
            assertEquals("recording ended at the program's exec of /bin/sh (one program per run)", e.getMessage());
            assertEquals(List.of(59, 59), sink.syscalls.stream().filter(n -> n == 59).toList());
            assertEquals(59, sink.syscalls.get(sink.syscalls.size() - 1));
            assertEquals(new StopEvent.Exited(7), t.detachAndAwaitExit());
        }
        assertEquals("before exec\nafter exec\n", Files.readString(out));
    }

    /**
     * raise() twice: each handler runs translated, the deliveries are logged, the program ends as a
     * plain run; under both handshakes.
     */
    @ParameterizedTest
    @EnumSource(MissHandshake.class)
    void signalHandlersRunTranslatedAndTheirDeliveriesAreLogged(MissHandshake handshake) throws IOException {
        for (String program : List.of("signal", "signal-static")) {
            Plain plain = plain(program);
            Recording rec = record(program, RegionLayout.DEFAULT, handshake);
            assertEquals(new StopEvent.Exited(0), plain.end(), program);
            assertEquals(plain.end(), rec.result().end(), program);
            assertEquals(plain.stdout(), rec.stdout(), program);
            assertEquals("handled 2\nEXIT-SUCCESS\n", rec.stdout(), program);
            assertEquals(List.of(10, 10), rec.sink().signals, program + ": two SIGUSR1 deliveries logged");
            assertEquals(2, rec.result().signalsToHandlers(), rec.result().toString());
            assertEquals(2, java.util.Collections.frequency(rec.sink().syscalls, 15), program + ": two rt_sigreturn");
        }
    }

    /**
     * A 1 ms timer whose handler interrupts the program anywhere (prologues, lookups, blocking
     * syscalls), siglongjmps out of handlers (asynchronous and after SIGSEGV/SIGFPE), and a handler
     * on an alternate stack: output and exit as in a plain run, every delivery logged, and every
     * block event is a block that ran whole or a prefix cut short by a signal; under both handshakes
     * (with the futex one, a tick may land in the miss routine: it is stepped out, its request answered).
     */
    @ParameterizedTest
    @EnumSource(MissHandshake.class)
    void timerSignalsAndSiglongjmpOutOfHandlersKeepTheProgramCorrect(MissHandshake handshake) throws IOException {
        Plain plain = plain("signal-timer");
        Recording rec = record("signal-timer", RegionLayout.DEFAULT, handshake);
        assertEquals(new StopEvent.Exited(0), plain.end());
        assertEquals(plain.end(), rec.result().end());
        assertEquals(plain.stdout(), rec.stdout());
        assertTrue(rec.stdout().contains("ticks at least 10\n"), rec.stdout());
        long alarms = rec.sink().signals.stream().filter(s -> s == 14).count();
        assertTrue(alarms >= 10, "SIGALRM deliveries logged: " + rec.sink().signals);
        assertTrue(rec.sink().signals.containsAll(List.of(11, 8, 10)), "SIGSEGV, SIGFPE, SIGUSR1 logged: "
                + rec.sink().signals);
        assertEquals(rec.sink().signals.size(), rec.result().signalsToHandlers(), rec.result().toString());
        // Some 80 ticks land anywhere in the compute loop, whose translation is mostly engine code
        // (the prologue) and copied instructions: both ways of parking are taken.
        assertTrue(rec.result().parkingSteps() > 0 && rec.result().blocksCutShort() > 0, rec.result().toString());
        System.out.printf("signal-timer %s: %d signals to handlers, %d parking steps, %s%n", handshake,
                rec.result().signalsToHandlers(), rec.result().parkingSteps(), rec.result());
    }

    /**
     * A 1 ms timer ticking while the program calls 1024 functions it never called before (each a
     * lookup miss): under the futex handshake ticks land while the tracee waits in the miss routine
     * (its request answered, it is stepped out to the miss's target, the handler delivered from
     * there). Output and exit of a plain run, every delivery logged, under both handshakes.
     */
    @ParameterizedTest
    @EnumSource(MissHandshake.class)
    void signalsArrivingWhileMissesAreServedReachTheirHandler(MissHandshake handshake) throws IOException {
        Plain plain = plain("signal-misses", "30");
        Recording rec = record("signal-misses", RegionLayout.DEFAULT, handshake, "30");
        assertEquals(new StopEvent.Exited(0), plain.end());
        assertEquals(plain.end(), rec.result().end(), handshake.toString());
        assertEquals(plain.stdout(), rec.stdout(), handshake.toString());
        assertTrue(rec.sink().signals.size() >= 30 && rec.sink().signals.stream().allMatch(s -> s == 14),
                handshake + ": SIGALRM deliveries logged: " + rec.sink().signals);
        assertEquals(rec.sink().signals.size(), rec.result().signalsToHandlers(), rec.result().toString());
        assertTrue(rec.result().indirectMisses() >= 1024, rec.result().toString());
        System.out.printf("signal-misses %s: %s%n", handshake, rec.result());
    }

    /**
     * A process attached while it runs {@code rep} string instructions in a tight loop and then
     * detached on request is placed where it stands: before the copied instruction it was stopped
     * at (inside a {@code rep}, with its registers as they are), the block's event taken back and
     * its retired prefix logged; only a stop inside a prologue or a block's end code takes steps,
     * a handful. Stepping to the next block entry instead, as detaching once did, steps a
     * {@code rep} once per iteration, up to 575 here. The process then computes natively the
     * same checksum and status as a plain run. Under both handshakes.
     */
    @ParameterizedTest
    @EnumSource(MissHandshake.class)
    void aDetachPlacesTheProcessWhereItStandsWithAFewStepsAtMost(MissHandshake handshake) throws Exception {
        String program = TestPrograms.path("hotloops").toString();
        Plain plain = plain(program, "rep", "20000000");
        assertEquals(new StopEvent.Exited(0), plain.end());
        for (int round = 0; round < 3; round++) {
            Path out = tmp.resolve("rep-" + round + ".out");
            Path pidFile = tmp.resolve("rep-" + round + ".pid");
            // Not a child of this JVM, whose process reaper would take the ptrace stops: a shell's.
            Process shell = new ProcessBuilder("/bin/sh", "-c", "\"$0\" \"$@\" > '" + out + "' & echo $! > '"
                    + pidFile + ".tmp'; mv '" + pidFile + ".tmp' '" + pidFile + "'; wait $!", program, "rep", "20000000")
                    .redirectErrorStream(true).start();
            try {
                detachOnce(shell, pidFile, out, plain.stdout(), round, handshake);
            } finally {
                shell.destroyForcibly();
            }
        }
    }

    /** Attaches to the program {@code shell} started, records it for 300 ms, detaches it and checks how. */
    private void detachOnce(Process shell, Path pidFile, Path out, String expectedStdout, int round, MissHandshake handshake)
            throws Exception {
        while (!Files.exists(pidFile)) {
            Thread.sleep(10);
        }
        int pid = Integer.parseInt(Files.readString(pidFile).trim());
        Thread.sleep(100);
        CollectingSink sink = new CollectingSink();
        dev.tracedb.recorder.StopRequest stop = new dev.tracedb.recorder.StopRequest();
        Thread timer = new Thread(() -> {
            try {
                stop.awaitArmed();
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stop.request();
        });
        timer.start();
        DbiSession.Result result;
        String reason;
        try (Tracee t = Tracee.attach(tracer, pid, dev.tracedb.recorder.ChildProcesses.OPTIONS);
             DecodingBlockSource source = new DecodingBlockSource(t.pid(), t.memory());
             DbiSession session = new DbiSession(t, RegionLayout.DEFAULT, handshake, source, sink)) {
            result = session.runAttached(stop);
            reason = session.detachReason();
        }
        timer.join();
        assertEquals(null, result.end(), result.toString());
        assertEquals("stopped on request", reason);
        assertTrue(sink.eventCount() > 0, result.toString());
        // Inside a block translated ahead's entry code (flag store and prologue, 7 instructions) at most 6 steps; end code takes 1.
        assertTrue(result.parkingSteps() <= 6, "the steps through a block's entry code at most: " + result);
        assertTrue(shell.waitFor(60, TimeUnit.SECONDS), "the detached process ends");
        assertEquals(0, shell.exitValue());
        assertEquals(expectedStdout, Files.readString(out), "the checksum of a plain run");
        System.out.printf("detach of hotloops rep, %s, round %d: %d single-steps, %d blocks cut short%n", handshake, round,
                result.parkingSteps(), result.blocksCutShort());
    }

    private static String fileName(String program) {
        return Path.of(program).getFileName().toString();
    }

    /**
     * Every block starts with the ring prologue: mov and lea only, no flags written, nothing near
     * rsp (a block translated ahead of its first run has a NOP before it, once it has run).
     */
    private static void checkPrologues(DbiSession engine, CollectingSink sink) {
        SharedRegion region = engine.region();
        try (Decoder decoder = Decoder.open()) {
            for (Fragment block : sink.blocks) {
                byte[] code = new byte[64];
                region.buffer().get(region.offsetOf(block.entry()), code);
                long at = block.entry().value();
                Instruction first = decoder.decode(code, block.entry().value(), at);
                if (first.mnemonic().equals("nop")) {
                    assertEquals(BlockTranslator.FLAG_STORE_BYTES, first.length(), first.toString());
                    at = first.nextAddress();
                }
                for (int i = 0; i < 6; i++) {
                    Instruction insn = decoder.decode(code, block.entry().value(), at);
                    assertTrue(insn.mnemonic().equals("mov") || insn.mnemonic().equals("lea"), insn.toString());
                    assertTrue(insn.flagsWritten().isEmpty(), insn.toString());
                    for (Operand op : insn.operands()) {
                        if (op instanceof MemoryOperand m) {
                            assertFalse(m.base().equals(java.util.Optional.of(Register.RSP)), insn.toString());
                        }
                    }
                    at = insn.nextAddress();
                }
            }
        }
    }

    /** Addresses of rep-prefixed string instructions, which single-stepping reports once per iteration. */
    static Set<Long> repInstructions(List<Fragment> blocks) {
        Set<Long> reps = new HashSet<>();
        for (Fragment block : blocks) {
            long[] addresses = block.instructionAddresses();
            byte[] bytes = block.bytes();
            for (int i = 0; i < addresses.length; i++) {
                int from = (int) (addresses[i] - block.start().value());
                int to = i + 1 < addresses.length ? (int) (addresses[i + 1] - block.start().value()) : bytes.length;
                byte[] insn = Arrays.copyOfRange(bytes, from, to);
                int p = BlockTranslator.opcodeIndex(insn);
                boolean rep = false;
                for (int k = 0; k < p; k++) {
                    rep |= insn[k] == (byte) 0xf3 || insn[k] == (byte) 0xf2;
                }
                int op = insn[p] & 0xff;
                if (rep && (op >= 0xa4 && op <= 0xa7 || op >= 0xaa && op <= 0xaf)) {
                    reps.add(addresses[i]);
                }
            }
        }
        return reps;
    }

    /** For each {@code cpuid} in the blocks, the address of the instruction after it. */
    static java.util.Map<Long, Long> cpuidSuccessors(List<Fragment> blocks) {
        java.util.Map<Long, Long> next = new java.util.HashMap<>();
        for (Fragment block : blocks) {
            long[] a = block.instructionAddresses();
            byte[] bytes = block.bytes();
            for (int i = 0; i + 1 < a.length; i++) {
                int at = (int) (a[i] - block.start().value());
                if (a[i + 1] - a[i] == 2 && bytes[at] == 0x0f && bytes[at + 1] == (byte) 0xa2) {
                    next.put(a[i], a[i + 1]);
                }
            }
        }
        return next;
    }

    /**
     * Single-stepping over {@code cpuid} in this VM (it traps to the hypervisor, which emulates
     * it and loses the pending single-step trap) reports the stop one instruction late: the
     * instruction after cpuid runs but is never seen. Put it back, so the step reference says
     * what really ran. The step engine must do the same.
     */
    static long[] restoreAfterCpuid(long[] rips, java.util.Map<Long, Long> cpuidNext) {
        long[] out = new long[rips.length * 2];
        int n = 0;
        for (int i = 0; i < rips.length; i++) {
            out[n++] = rips[i];
            Long next = cpuidNext.get(rips[i]);
            if (next != null && i + 1 < rips.length && rips[i + 1] != next) {
                out[n++] = next;
            }
        }
        return Arrays.copyOf(out, n);
    }

    static long[] collapseRepeats(long[] rips, Set<Long> reps) {
        long[] out = new long[rips.length];
        int n = 0;
        for (int i = 0; i < rips.length; i++) {
            if (i > 0 && rips[i] == rips[i - 1] && reps.contains(rips[i])) {
                continue;
            }
            out[n++] = rips[i];
        }
        return Arrays.copyOf(out, n);
    }

    static void assertStreamsEqual(long[] expected, long[] actual) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                List<String> around = new ArrayList<>();
                for (int k = Math.max(0, i - 5); k < Math.min(n, i + 5); k++) {
                    around.add(String.format("%d: step 0x%x dbi 0x%x", k, expected[k], actual[k]));
                }
                throw new AssertionError("instruction streams differ at " + i + ":\n"
                        + around.stream().collect(Collectors.joining("\n")));
            }
        }
        assertEquals(expected.length, actual.length, "stream lengths (step vs dbi)");
    }

}
