package dev.tracedb.recorder.dbi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import dev.tracedb.recorder.BackgroundRunWriter;
import dev.tracedb.recorder.BlockTable;
import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.ModuleTracker;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.recorder.Recording;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DBI engine behind the framework's Engine interface, against the step engine, log to log: each
 * program is recorded once by the step engine and once under each miss handshake, every DBI log
 * equal to the step engine's (so the two handshakes' logs are equal too).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DbiEngineTest extends NoStrayProcesses {
    @TempDir
    Path tmp;

    /** Whether the recorded program is given the vDSO. */
    private enum Vdso { OFFERED, HIDDEN }

    private RecordOptions options(String program, Path stdout, EngineKind engine, String... args) {
        return options(program, stdout, engine, Vdso.OFFERED, args);
    }

    private RecordOptions options(String program, Path stdout, EngineKind engine, Vdso vdso, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(program.startsWith("/") ? program : TestPrograms.path(program).toString());
        argv.addAll(List.of(args));
        return RecordOptions.builder(argv).engine(engine).launch(l -> l.environment(DbiSessionTest.ENV)
                .randomization(AddressRandomization.DISABLED).hideVdso(vdso == Vdso.HIDDEN).stdout(stdout)).build();
    }

    /** What Recorder does with the DBI engine, the log written in the background included. */
    private RunId recordDbi(TraceDatabase db, RecordOptions options) {
        try (Tracer tracer = Tracer.start("dbi-engine-test")) {
            return tracer.call(() -> {
                Progress progress = new Progress();
                try (Tracee tracee = Tracee.launch(tracer, options.launch());
                     RunWriter direct = db.createRun("dbi", new RunStarted(options.launch().argv(), tmp.toString(),
                             options.launch().environment(), MachineInfo.current(), Instant.now()));
                     RunWriter writer = new BackgroundRunWriter(direct, progress)) {
                    ModuleTracker modules = new ModuleTracker(tracee.pid(), tracee.memory(), writer);
                    try (BlockTable blocks = new BlockTable(tracee.memory(), modules, writer)) {
                        ExitStatus status = new DbiEngine().record(
                                new Recording(options, tracee, writer, modules, blocks, progress));
                        writer.end(status);
                        assertEquals(writer.blockEvents(), progress.blockEvents());
                        return writer.id();
                    }
                }
            });
        }
    }

    /** The log as lines: blocks defined, block events, syscalls, signals, the end. */
    private static List<String> dump(TraceDatabase db, RunId run) {
        List<String> lines = new ArrayList<>();
        try (RunReader reader = db.openRun(run)) {
            reader.replay(new EventVisitor() {
                @Override
                public void blockDefined(BlockDefined b) {
                    lines.add(b.toString());
                }

                @Override
                public void execBatch(ExecBatchHeader header, int[] blockIds) {
                    for (int i = 0; i < header.eventCount(); i++) {
                        lines.add("exec " + blockIds[i]);
                    }
                }

                @Override
                public void syscall(SyscallResult s) {
                    // getpid, gettid and set_tid_address return the (different) pid of each run; clone, fork,
                    // vfork, clone3 and wait4 a child's.
                    boolean pid = s.number() == 39 || s.number() == 186 || s.number() == 218 || s.number() == 56
                            || s.number() == 57 || s.number() == 58 || s.number() == 435 || s.number() == 61;
                    long[] args = s.args().clone();
                    if (s.number() == 61) {
                        args[0] = -1; // the child waited for
                    }
                    // tgkill's (raise's) first two arguments are that pid, too.
                    String shown = s.number() == 234
                            ? "[PID, PID, " + Arrays.stream(args).skip(2).mapToObj(Long::toString)
                                    .collect(java.util.stream.Collectors.joining(", ")) + "]"
                            : Arrays.toString(args);
                    lines.add("syscall " + s.number() + " " + shown + " = " + (pid ? "PID" : s.result()));
                }

                @Override
                public void signal(dev.tracedb.store.SignalDelivered s) {
                    lines.add(s.toString());
                }
            });
            lines.add(reader.ended().map(e -> "ended " + e.status()).orElse("incomplete") + " " + reader.instructionCount());
        }
        return lines;
    }

    @Test
    void dbiLogEqualsStepLogStatic() throws IOException {
        assertSameLog("dbi-simple-static", "20");
    }

    /** Dynamic: from the loader's first instruction, through libc, the vDSO and back. */
    @Test
    void dbiLogEqualsStepLogDynamic() throws IOException {
        assertSameLog("dbi-simple", "20");
        assertSameLog("/bin/true");
    }

    /**
     * A handler run twice by raise(): the deliveries, the handler's blocks, rt_sigreturn and the
     * resumed blocks are the step engine's, line for line.
     */
    @Test
    void dbiLogEqualsStepLogWithSignalHandlers() throws IOException {
        assertSameLog("signal");
        assertSameLog("signal-static");
    }

    /**
     * Synchronous signals placed exactly: a SIGSEGV and a SIGFPE at the faulting copied instruction
     * (the block cut short logged as its prefix), handlers left by siglongjmp, two pending signals
     * whose handlers nest (the second delivered at the first handler's entry), a handler on an
     * alternate stack: the step engine's log, line for line.
     */
    @Test
    void dbiLogEqualsStepLogWithFaultsAndNestedHandlers() throws IOException {
        assertSameLog("signal-timer", "1000", "0");
    }

    /**
     * The correctness bar's C programs the other cases leave out: {@code control} (jump table,
     * function pointers, the red zone kept across block ends, recursion, setjmp/longjmp, rep
     * movs/stos), dynamic PIE and static
     * non-PIE; {@code hotloops}' SSE and AVX loops, dynamic non-PIC and static PIE, and its tail calls
     * (compiled to jumps; {@code control}'s stays a call at -O1). {@code control}
     * reads the clock, where the vDSO's code took other branches single-stepped than translated (a
     * different block at line 22,377 of 24,957: a path that depends on timing, we think its retry
     * loop): here without the vDSO, the read a syscall; with it, DbiSessionTest's
     * realDynamicProgramsBehaveAsInAPlainRun (output of a plain run).
     */
    @Test
    void dbiLogEqualsStepLogForControlFlowAndVectorCode() throws IOException {
        assertSameLog(Vdso.HIDDEN, "control");
        assertSameLog(Vdso.HIDDEN, "control-static");
        assertSameLog("hotloops-nopie", "sse", "20");
        assertSameLog("hotloops-static-pie", "avx", "20");
        assertSameLog("hotloops-nopie", "tail", "20");
    }

    /** Real coreutils on a fixed file (each ~300 k instructions, most of them start-up). */
    @Test
    void dbiLogEqualsStepLogCoreutils() throws IOException {
        String file = DbiSessionTest.fixedText(tmp).toString();
        assertSameLog("/usr/bin/sha256sum", file);
        // -S: sort otherwise sizes its buffer from the memory available at that moment (floating-point
        // compares in default_sort_size), so two runs on a busy machine take different paths.
        assertSameLog("/usr/bin/sort", "-S", "1M", file);
    }

    /**
     * fork + exec, posix_spawn, system() and vfork: the parent's log is the same under both engines
     * (children run natively under both; SIGCHLD is blocked by the program, so no asynchronous
     * signal lands at an engine-dependent place).
     */
    @Test
    void dbiLogEqualsStepLogWithChildProcesses() throws IOException {
        assertSameLog("forks");
        assertSameLog("forks-static");
    }

    /** An exec ends both recordings at the same place: the failed exec, then the successful one, logged alike. */
    @Test
    void dbiLogEqualsStepLogUpToAnExec() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-execs"))) {
            List<List<String>> logs = new ArrayList<>();
            for (MissHandshake handshake : STEP_THEN_HANDSHAKES) {
                EngineKind engine = handshake == null ? EngineKind.STEP : EngineKind.DBI;
                Path out = tmp.resolve("execs-" + engine + handshake + ".out");
                RecordOutcome outcome = underHandshake(handshake,
                        () -> new Recorder(db).record(options("execs", out, engine), new Progress()));
                assertEquals(ExitStatus.exited(7), outcome.status());
                assertEquals("before exec\nafter exec\n", Files.readString(out));
                logs.add(dump(db, outcome.runId()));
            }
            assertEquals(logs.get(0), logs.get(1));
            assertEquals(logs.get(0), logs.get(2));
            List<String> log = logs.get(0);
            assertTrue(log.get(log.size() - 1).startsWith("incomplete "), log.get(log.size() - 1));
            List<String> execs = log.stream().filter(l -> l.startsWith("syscall 59 ")).toList();
            assertEquals(2, execs.size(), execs.toString());
            assertTrue(execs.get(0).endsWith(" = -2") && execs.get(1).endsWith(" = 0"), execs.toString());
            assertEquals(execs.get(1), log.get(log.size() - 2), "the exec is the last event");
        }
    }

    /**
     * A thread ends both recordings at the same place, before the clone: the same log line for line
     * (the block holding clone3's syscall logged as its prefix, the clone not logged), and the
     * program goes on natively to the plain run's output and status under both.
     */
    @Test
    void dbiLogEqualsStepLogUpToAThread() throws IOException {
        for (String program : List.of("threads", "threads-static")) {
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-" + program))) {
                SteppedAsideRuns both = recordSteppingAside(db, program, "the program starts a thread", "2", "500", "6");
                List<String> outputs = both.outputs();
                List<List<String>> logs = both.logs();
                both.assertAllEqual(program);
                assertTrue(outputs.get(0).contains("thread 1: ") && outputs.get(0).endsWith("0 mappings from /dev/shm\n"),
                        outputs.get(0));
                List<String> log = logs.get(0);
                assertTrue(log.size() > 1000, "a real stream: " + log.size());
                assertTrue(log.get(log.size() - 1).startsWith("incomplete "), log.get(log.size() - 1));
                assertTrue(log.stream().noneMatch(l -> l.startsWith("syscall 435 ")), "the clone is not logged");
                System.out.printf("%s: same log up to the thread, %d lines, %s%n", program, log.size(), log.get(log.size() - 1));
            }
        }
    }

    /** The outputs and log dumps of one program recorded under the step engine, then the DBI engine under each handshake. */
    private record SteppedAsideRuns(List<String> outputs, List<List<String>> logs) {
        /** Every DBI recording's output and log equal the step engine's (the first). */
        void assertAllEqual(String program) {
            for (int i = 1; i < logs.size(); i++) {
                assertEquals(outputs.get(0), outputs.get(i), program + " " + MissHandshake.values()[i - 1]);
                assertEquals(logs.get(0), logs.get(i), program + " " + MissHandshake.values()[i - 1]);
            }
        }
    }

    /**
     * Records {@code program ARGS} under the step engine, then the DBI engine under each handshake:
     * each exits with status 6 (the programs' last argument) and steps aside with a line starting {@code aside}.
     */
    private SteppedAsideRuns recordSteppingAside(TraceDatabase db, String program, String aside, String... args)
            throws IOException {
        List<List<String>> logs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (MissHandshake handshake : STEP_THEN_HANDSHAKES) {
            String name = handshake == null ? "step" : "dbi-" + handshake;
            Path out = tmp.resolve(program + "-" + name + ".out");
            EngineKind engine = handshake == null ? EngineKind.STEP : EngineKind.DBI;
            RecordOutcome outcome = underHandshake(handshake, () -> new Recorder(db).record(options(program, out, engine, args),
                    new Progress()));
            assertEquals(ExitStatus.exited(6), outcome.status(), program + " " + name);
            assertTrue(outcome.steppedAside().startsWith(aside), name + ": " + outcome.steppedAside());
            outputs.add(Files.readString(out));
            logs.add(dump(db, outcome.runId()));
        }
        return new SteppedAsideRuns(outputs, logs);
    }

    /** null (the step engine), then each handshake of the DBI engine. */
    private static final List<MissHandshake> STEP_THEN_HANDSHAKES = java.util.stream.Stream.concat(
            java.util.stream.Stream.of((MissHandshake) null), Arrays.stream(MissHandshake.values())).toList();

    /** Runs {@code recording} with the DBI engine's handshake knob set to {@code handshake} (null: ptrace), restored after. */
    static <T> T underHandshake(MissHandshake handshake, java.util.function.Supplier<T> recording) {
        String knob = "tracedb.dbi.handshake";
        String before = System.getProperty(knob);
        System.setProperty(knob, handshake == null ? "ptrace" : handshake.name().toLowerCase(java.util.Locale.ROOT));
        try {
            return recording.get();
        } finally {
            if (before == null) {
                System.clearProperty(knob);
            } else {
                System.setProperty(knob, before);
            }
        }
    }

    /**
     * Up to code generated at run time (JIT): both engines step aside at its first instruction, the
     * branch that went there the last thing logged; the logs are equal event by event, the program's
     * output and status are the same and it carries no /dev/shm mapping afterwards.
     */
    @Test
    void dbiLogEqualsStepLogUpToJitCode() throws IOException {
        for (List<String> argv : List.of(List.of("jit", "3000", "6"), List.of("jit-static", "rwx", "3000", "6"))) {
            String program = argv.get(0);
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-" + program))) {
                SteppedAsideRuns both = recordSteppingAside(db, program,
                        "execution reached code generated at run time (JIT) at 0x", args);
                List<String> outputs = both.outputs();
                List<List<String>> logs = both.logs();
                both.assertAllEqual(program);
                assertTrue(outputs.get(0).contains("f(1, 2, 3, 4) = 40\n") && outputs.get(0).endsWith("0 mappings from /dev/shm\n"),
                        outputs.get(0));
                List<String> log = logs.get(0);
                assertTrue(log.size() > 1000, "a real stream: " + log.size());
                assertTrue(log.get(log.size() - 1).startsWith("incomplete "), log.get(log.size() - 1));
                System.out.printf("%s: same log up to the JIT code, %d lines, %s%n", program, log.size(), log.get(log.size() - 1));
            }
        }
    }

    /**
     * Up to self-modifying code: both engines step aside before the call that would let the program
     * write code it runs, the call not yet run and not logged: the {@code mprotect} making its own
     * {@code .text} writable (PIE, non-PIE and static), an {@code mmap} with {@code MAP_FIXED} over
     * its text, a file mapped read-write-execute, a writable file mapping made executable, a
     * {@code write} or {@code pwritev} to the file of code it ran (shared and private mappings), a
     * shared writable {@code mmap} of that file, a {@code pwrite} to its own {@code /proc/self/mem}
     * over its code. The logs
     * are equal event by event, and the program, let go, prints what a plain run prints (a stale
     * translation of the rewritten function would print its old result).
     */
    @Test
    void dbiLogEqualsStepLogUpToSelfModifyingCode() throws IOException {
        String text = "the program makes its own code writable (mprotect 0x";
        for (List<String> aside : List.of(List.of("smc", "", text), List.of("smc-nopie", "", text), List.of("smc-static", "", text),
                List.of("smc", "remap", "the program maps over its own code (mmap 0x"),
                List.of("smc-static", "file-rwx",
                        "the program maps a file writable and executable (mmap rwx of /memfd:smc (deleted), 0x1000 bytes)"),
                List.of("smc-nopie", "file-exec", "the program makes a writable file mapping executable (mprotect 0x"),
                List.of("smc", "file-write", "the program writes to the file of code it ran (write to fd 3, /memfd:smc (deleted)"
                        + " r-xs 0x"),
                List.of("smc-static", "file-write-private", "the program writes to the file of code it ran (pwritev to fd 3,"
                        + " /memfd:smc (deleted) r-xp 0x"),
                List.of("smc-nopie", "file-map-write", "the program maps the file of code it ran shared and writable (mmap of"
                        + " fd 3, 0x1000 bytes; /memfd:smc (deleted) r-xs 0x"),
                List.of("smc", "proc-mem", "the program writes to its own memory (pwrite64 to fd 3, /proc/"))) {
            String program = aside.get(0);
            String mode = aside.get(1);
            String what = program + " " + mode;
            String[] args = mode.isEmpty() ? new String[] {"3000", "6"} : new String[] {mode, "3000", "6"};
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-" + program + "-" + mode))) {
                SteppedAsideRuns both = recordSteppingAside(db, program, aside.get(2), args);
                List<String> outputs = both.outputs();
                List<List<String>> logs = both.logs();
                both.assertAllEqual(what);
                String result = mode.equals("remap") ? "then 0x11111111 after remapping it\n" : "then 0x22222222 after rewriting it\n";
                assertTrue(outputs.get(0).contains(result) && outputs.get(0).endsWith("0 mappings from /dev/shm\n"), outputs.get(0));
                List<String> log = logs.get(0);
                assertTrue(log.size() > 1000, "a real stream: " + log.size());
                assertTrue(log.get(log.size() - 1).startsWith("incomplete "), log.get(log.size() - 1));
                assertTrue(log.stream().noneMatch(l -> l.matches("syscall (9|10) \\[\\d+, \\d+, 7, .*")),
                        "no read-write-execute mprotect or mmap is logged");
                System.out.printf("%s: same log up to the self-modifying code, %d lines, %s%n", what, log.size(),
                        log.get(log.size() - 1));
            }
        }
    }

    /**
     * Code unmapped after it ran ({@code dlclose}: a library unloaded, another build of it loaded at
     * the same address): the step engine decodes afresh and records to the end; the DBI engine, whose
     * code cache would run the first library's translations for the second one's code, steps aside
     * before the {@code munmap} runs. Its log equals the step engine's up to there, the next line of
     * which is that {@code munmap}, and the program, let go, prints what the step-recorded run printed
     * (a stale translation would print the first library's result twice).
     */
    @Test
    void dbiStepsAsideBeforeUnmappingCodeItRanAndItsLogIsTheStepLogsPrefix() throws IOException {
        String[] args = {TestPrograms.path("libhot.so").toString(), TestPrograms.path("libhot-other.so").toString(), "3000", "6"};
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-dlclose"))) {
            String output = assertDbiLogIsTheStepLogsPrefix(db, "dlclose", args, ExitStatus.exited(6),
                    "the program unmaps code it ran \\(munmap 0x[0-9a-f]+-0x[0-9a-f]+ over /\\S+/libhot\\.so r-xp"
                    + " 0x[0-9a-f]+-0x[0-9a-f]+\\): a later mapping there would need fresh translations, which this"
                    + " engine does not make; recording stopped before the call ran", "syscall 11 [").output();
            String[] mixes = output.lines().filter(l -> l.contains(" mix ")).map(l -> l.substring(l.indexOf(" mix ") + 5))
                    .toArray(String[]::new);
            assertEquals(2, mixes.length, output);
            assertNotEquals(mixes[0], mixes[1], "the second library's own code ran: " + output);
            assertTrue(output.endsWith("same address: yes\n"), "the second library took the first one's place: " + output);
        }
    }

    /**
     * Execute permission taken from code that ran ({@code smc noexec}: {@code gone()} called, its page
     * made read-only by {@code mprotect}, called again): the step engine decodes afresh, steps into the
     * fetch fault and logs the SIGSEGV a plain run gets, caught by a handler (exit 6) or fatal; the DBI
     * engine, whose translation of {@code gone()} would still run, steps aside before the {@code mprotect}.
     * Its log equals the step engine's up to there, the next line of which is that {@code mprotect}.
     */
    @Test
    void dbiStepsAsideBeforeTakingExecuteFromCodeItRanWhileTheStepEngineLogsTheFault() throws IOException {
        String aside = "the program takes execute permission from code it ran \\(mprotect 0x[0-9a-f]+-0x[0-9a-f]+ r-- over"
                + " /\\S+/smc(-static)? r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): this engine's translations of it would still run"
                + " where a plain run faults; recording stopped before the call ran";
        for (List<String> run : List.of(List.of("smc", "noexec"), List.of("smc-static", "noexec-fault"))) {
            String program = run.get(0);
            boolean caught = run.get(1).equals("noexec");
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-" + program + "-" + run.get(1)))) {
                StepAndDbi both = assertDbiLogIsTheStepLogsPrefix(db, program, new String[] {run.get(1), "3000", "6"},
                        caught ? ExitStatus.exited(6) : ExitStatus.killedBy(11), aside, "syscall 10 [");
                assertTrue(both.output().contains("gone() returned 0x33333333, then execute permission was taken from its page\n")
                        && (caught ? both.output().contains("gone() faulted: SIGSEGV at gone()\n")
                        : both.output().endsWith("taken from its page\n")), both.output());
                List<String> signals = both.stepLog().stream().filter(l -> l.startsWith("SignalDelivered")).toList();
                assertEquals(1, signals.size(), "the fault at gone(), and nothing else: " + signals);
                assertTrue(signals.get(0).contains("signo=11"), signals.get(0));
            }
        }
    }

    /** The step engine's run ({@link #assertDbiLogIsTheStepLogsPrefix}): its output and its log. */
    private record StepAndDbi(String output, List<String> stepLog) {
    }

    /**
     * Records {@code program args} by the step engine, which records to the end ({@code status}),
     * then by the DBI engine under each handshake, which steps aside with the line {@code aside} (a
     * pattern) before a call the step engine logs next (its line starts with {@code nextInStepLog}):
     * the same output and status, and the DBI log the step log's prefix up to there.
     */
    private StepAndDbi assertDbiLogIsTheStepLogsPrefix(TraceDatabase db, String program, String[] args, ExitStatus status,
                                                       String aside, String nextInStepLog) throws IOException {
        Path stepOut = tmp.resolve(program + "-step.out");
        RecordOutcome step = new Recorder(db).record(options(program, stepOut, EngineKind.STEP, args), new Progress());
        assertEquals(status, step.status());
        assertTrue(step.complete(), "the step engine records on: " + step.steppedAside());
        String output = Files.readString(stepOut);
        List<String> expected = dump(db, step.runId());
        assertTrue(expected.get(expected.size() - 1).startsWith("ended " + status + " "), expected.get(expected.size() - 1));
        for (MissHandshake handshake : MissHandshake.values()) {
            Path out = tmp.resolve(program + "-dbi-" + handshake + ".out");
            RecordOutcome dbi = underHandshake(handshake, () -> new Recorder(db).record(
                    options(program, out, EngineKind.DBI, args), new Progress()));
            assertEquals(status, dbi.status(), handshake.toString());
            assertTrue(dbi.steppedAside() != null && dbi.steppedAside().matches(aside), handshake + ": " + dbi.steppedAside());
            assertEquals(output, Files.readString(out), handshake.toString());
            List<String> log = dump(db, dbi.runId());
            assertTrue(log.size() > 1000, "a real stream: " + log.size());
            assertTrue(log.get(log.size() - 1).startsWith("incomplete "), log.get(log.size() - 1));
            // The DBI log cuts its last block short before the syscall, a prefix block defined there; the
            // step engine's log runs the whole block, then the call. All else is equal.
            List<String> events = log.subList(0, log.size() - 1).stream().filter(l -> !l.startsWith("BlockDefined")).toList();
            List<String> stepEvents = expected.stream().filter(l -> !l.startsWith("BlockDefined")).toList();
            int lastEvent = events.size() - 1;
            for (int i = 0; i < lastEvent; i++) {
                assertEquals(stepEvents.get(i), events.get(i), handshake + ": event " + i + " of " + events.size());
            }
            assertTrue(stepEvents.get(events.size()).startsWith(nextInStepLog), "next in the step log: the call, not "
                    + stepEvents.get(events.size()));
            List<String> defined = log.stream().filter(l -> l.startsWith("BlockDefined")).toList();
            List<String> stepDefined = expected.stream().filter(l -> l.startsWith("BlockDefined")).toList();
            int last = defined.size() - 1;
            for (int i = 0; i < last; i++) {
                assertEquals(stepDefined.get(i), defined.get(i), handshake + ": block " + i);
            }
            String cut = defined.get(last);
            assertEquals("exec " + last, events.get(lastEvent), "the last event runs the prefix block");
            String whole = stepDefined.get(Integer.parseInt(stepEvents.get(lastEvent).substring("exec ".length())));
            assertEquals(whole.substring(whole.indexOf(' '), whole.indexOf(" insns=")), cut.substring(cut.indexOf(' '),
                    cut.indexOf(" insns=")), "the same place: " + cut + ", " + whole);
            assertTrue(bytesOf(whole).startsWith(bytesOf(cut)) && !bytesOf(whole).equals(bytesOf(cut)),
                    "a prefix of the step engine's block: " + cut + " of " + whole);
            System.out.printf("%s %s: the step log's first %d of %d events, then %s%n", program, handshake, events.size(),
                    stepEvents.size(), stepEvents.get(events.size()));
        }
        return new StepAndDbi(output, expected);
    }

    /** The bytes of a dumped {@link BlockDefined} line (its last word). */
    private static String bytesOf(String blockDefined) {
        return blockDefined.substring(blockDefined.lastIndexOf(' ') + 1, blockDefined.length() - 1);
    }

    private void assertSameLog(String program, String... args) throws IOException {
        assertSameLog(Vdso.OFFERED, program, args);
    }

    /** Records {@code program} under the step engine, then the DBI engine under each handshake: the same output and log. */
    private void assertSameLog(Vdso vdso, String program, String... args) throws IOException {
        String name = Path.of(program).getFileName().toString();
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db-" + name))) {
            Path stepOut = tmp.resolve(name + "-step.out");
            RecordOutcome step = new Recorder(db).record(options(program, stepOut, EngineKind.STEP, vdso, args), new Progress());
            List<String> expected = dump(db, step.runId());
            assertTrue(expected.size() > 1000, "a real stream: " + expected.size());
            assertTrue(expected.get(expected.size() - 1).startsWith("ended exit 0 "), expected.get(expected.size() - 1));
            for (MissHandshake handshake : MissHandshake.values()) {
                String what = program + " " + handshake;
                Path dbiOut = tmp.resolve(name + "-dbi-" + handshake + ".out");
                RecordOptions options = options(program, dbiOut, EngineKind.DBI, vdso, args);
                RunId dbi = underHandshake(handshake, () -> recordDbi(db, options));
                assertEquals(Files.readString(stepOut), Files.readString(dbiOut), what);
                List<String> actual = dump(db, dbi);
                for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
                    assertEquals(expected.get(i), actual.get(i), what + ": log line " + i);
                }
                assertEquals(expected.size(), actual.size(), what);
                System.out.printf("%s: same log, %d lines, %s%n", what, actual.size(), actual.get(actual.size() - 1));
            }
        }
    }
}
