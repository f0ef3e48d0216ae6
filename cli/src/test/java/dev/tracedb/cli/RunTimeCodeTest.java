package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.store.RunState;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Code generated at run time (JIT), end to end: a run records code of files, so at the JIT code's
 * first instruction the {@code dbi} and {@code step} recordings step aside (the process let go
 * there, the code cache unmapped) and the program goes on natively to the output and status of a
 * plain run; the run is incomplete, readable and verifies clean. {@code testprograms/jit.c} (a
 * function written into anonymous memory and called in a loop) and {@code grep -P}, whose PCRE2
 * compiles the pattern to machine code; the DBI engine under both its miss handshakes (ptrace, and
 * the futex one, where the miss comes back as a ptrace stop to step aside at). An expansion cannot
 * let its program go: it stops there.
 *
 * <p>Self-modifying code in a file's mapping, the same way: before the {@code mprotect} that makes
 * the program's own {@code .text} writable runs ({@code testprograms/smc.c}: PIE, non-PIE, static),
 * the recordings step aside; the program rewrites its code natively and prints the new result.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class RunTimeCodeTest {
    /** The one line of a step aside at JIT code, as {@code RecordOutcome.steppedAside} says it. */
    private static final String STEPPED_ASIDE = "execution reached code generated at run time \\(JIT\\) at 0x[0-9a-f]+,"
            + " in anonymous executable memory \\((r-x|rwx)p 0x[0-9a-f]+-0x[0-9a-f]+\\), which a run does not record:"
            + " recording stopped there";

    /** The one line of a step aside before self-modifying code ({@code smc}: its text made read-write-execute). */
    private static final String STEPPED_ASIDE_SMC = "the program makes its own code writable \\(mprotect"
            + " 0x[0-9a-f]+-0x[0-9a-f]+ rwx over /\\S+/smc(-nopie|-static)? r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\):"
            + " self-modifying code is not recorded; recording stopped before the call ran";

    /** The one line of the DBI engine's step aside before a library it ran is unmapped ({@code dlclose}). */
    private static final String STEPPED_ASIDE_UNMAP = "the program unmaps code it ran \\(munmap 0x[0-9a-f]+-0x[0-9a-f]+ over"
            + " /\\S+/libhot\\.so r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): a later mapping there would need fresh translations,"
            + " which this engine does not make";

    /** The one line of a step aside before a write to the file of code the program ran ({@code smc file-write*}). */
    private static final String STEPPED_ASIDE_FILE_WRITE = "the program writes to the file of code it ran \\((write|pwritev)"
            + " to fd 3, /memfd:smc \\(deleted\\) r-x[sp] 0x[0-9a-f]+-0x[0-9a-f]+\\): self-modifying code is not recorded;"
            + " recording stopped before the call ran";

    /** The one line of the DBI engine's step aside before execute permission is taken from code it ran ({@code smc noexec*}). */
    private static final String STEPPED_ASIDE_NOEXEC = "the program takes execute permission from code it ran \\(mprotect"
            + " 0x[0-9a-f]+-0x[0-9a-f]+ r-- over /\\S+/smc(-nopie)? r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): this engine's"
            + " translations of it would still run where a plain run faults";

    @TempDir
    Path tmp;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children()
                .map(p -> p.pid() + " " + p.info().command().orElse("?")).toList(), "child processes left behind");
    }

    /** The recordings compared: the step engine, and the DBI engine under each miss handshake. */
    private static final List<String> RECORDERS = List.of("dbi ptrace", "dbi futex", "step ptrace");

    /** Records {@code argv} by {@code recorder}, one of {@link #RECORDERS}. */
    private Programs.Recorded record(String recorder, String... argv) {
        String[] engineAndHandshake = recorder.split(" ");
        EngineKind engine = EngineKind.valueOf(engineAndHandshake[0].toUpperCase(java.util.Locale.ROOT));
        return Programs.withHandshake(engineAndHandshake[1], () -> Programs.record(engine, tmp.resolve("db"), tmp, argv));
    }

    /** The run is incomplete and verifies clean: its one note says it is incomplete. */
    private void assertIncompleteAndClean(RecordOutcome outcome, String what) {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            assertEquals(RunState.INCOMPLETE, db.find(outcome.runId()).orElseThrow().state(), what);
        }
        CliRun verify = tracedb(tmp.resolve("db"), "verify", outcome.runId().toString());
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().matches(outcome.runId() + ": clean: [\\d,]+ instructions in [\\d,]+ block"
                + " events, 1 notes\nnote: the run is incomplete \\(no RunEnded\\): its totals cannot be checked\n"),
                what + ": " + verify);
    }

    /**
     * Under each of {@link #RECORDERS}, {@code argv} prints what its {@code plain} run printed and ends
     * with its status, the recording stepping aside with the line {@code steppedAside} (a pattern)
     * after more than 10,000 instructions, the run incomplete and clean.
     */
    private void assertEveryRecorderStepsAsideLikeAPlainRun(List<String> argv, Programs.Result plain, String steppedAside) {
        for (String recorder : RECORDERS) {
            String what = recorder + " " + argv;
            Programs.Recorded rec = record(recorder, argv.toArray(String[]::new));
            assertEquals(plain.stdout(), rec.stdout(), what);
            assertEquals(plain.status(), rec.outcome().shellStatus(), what);
            assertNotNull(rec.outcome().steppedAside(), what);
            assertTrue(rec.outcome().steppedAside().matches(steppedAside), what + ": " + rec.outcome().steppedAside());
            assertTrue(rec.outcome().instructions() > 10_000, what + ": the work before the step aside is in the log");
            assertIncompleteAndClean(rec.outcome(), what);
        }
    }

    /** {@code record PROGRAM 100 5} under each engine exits 5 and says in one line why it stepped aside and where. */
    private void assertTheCommandsLine(String program, String steppedAside) {
        for (String engine : List.of("dbi", "step")) {
            CliRun run = tracedb(tmp.resolve("db-" + engine), "record", "--quiet", "--engine", engine,
                    "--env", Programs.TUNABLES, "--", Programs.path(program), "100", "5");
            assertEquals(5, run.status(), run::toString);
            assertTrue(run.err().matches("tracedb: " + steppedAside + "; run r0001 left incomplete with [\\d,]+"
                    + " instructions, [\\d,]+ block events; the program went on natively: exit 5\\n"), run::toString);
        }
    }

    /**
     * Records {@code program ARGS} by the inputs engine (a complete run, exit {@code status}) and
     * expands it: the expansion stops with the one line {@code refusal} (a pattern, before the
     * run's name), the expanded run r0002 incomplete and clean.
     */
    private void assertInputsRunCompleteAndItsExpansionStops(String program, int status, String refusal, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("record", "--quiet", "--engine", "inputs",
                "--env", Programs.TUNABLES, "--", Programs.path(program)));
        argv.addAll(List.of(args));
        CliRun inputs = tracedb(tmp.resolve("db"), argv.toArray(String[]::new));
        assertEquals(status, inputs.status(), inputs::toString);
        CliRun info = tracedb(tmp.resolve("db"), "info", "r0001");
        assertTrue(info.out().matches("(?s).*state\\s+complete, exit " + status + "\\n.*"), info::toString);

        CliRun expand = tracedb(tmp.resolve("db"), "expand", "r0001");
        assertEquals(TraceDbCommand.EXIT_FAILED, expand.status(), expand::toString);
        assertTrue(expand.err().matches("tracedb: " + refusal + " \\(expanded run r0002 left incomplete\\)\\n"),
                expand::toString);
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            assertEquals(RunState.INCOMPLETE, db.find(dev.tracedb.store.RunId.parse("r0002")).orElseThrow().state());
        }
        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0002");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0002: clean: "), verify::toString);
    }

    /**
     * The JIT test program, dynamic (code made read-execute by mprotect, exit status 3) and static
     * (a read-write-execute mapping, ending by a signal): under both engines (the DBI one under both
     * handshakes) the same output and status as a plain run, the work before the JIT code in the
     * log, no /dev/shm mapping left.
     */
    @Test
    void jitCodeEndsTheRecordingAndTheProgramGoesOnNativelyUnderBothEngines() throws Exception {
        for (List<String> argv : List.of(List.of(Programs.path("jit"), "2000", "3"),
                List.of(Programs.path("jit-static"), "rwx", "2000", "-15"))) {
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
            assertTrue(plain.stdout().startsWith("before the generated code: ")
                    && plain.stdout().contains("f(1, 2, 3, 4) = 40\n") && plain.stdout().endsWith("0 mappings from /dev/shm\n"),
                    plain.stdout());
            assertEveryRecorderStepsAsideLikeAPlainRun(argv, plain, STEPPED_ASIDE);
        }
    }

    /**
     * The self-modifying test program, PIE (exit status 3), non-PIE (ending by a signal) and static
     * (exit 0): under both engines (the DBI one under both handshakes) the same output and status as
     * a plain run, whose second call returns the rewritten result (a stale translation would return
     * the first), the work before the {@code mprotect} in the log, no /dev/shm mapping left.
     */
    @Test
    void selfModifyingCodeEndsTheRecordingBeforeTheCodeIsWritableUnderBothEngines() throws Exception {
        for (List<String> argv : List.of(List.of(Programs.path("smc"), "2000", "3"),
                List.of(Programs.path("smc-nopie"), "2000", "-15"), List.of(Programs.path("smc-static"), "2000", "0"))) {
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
            assertTrue(plain.stdout().contains("patched() returned 0x11111111, then 0x22222222 after rewriting it\n")
                    && plain.stdout().endsWith("0 mappings from /dev/shm\n"), plain.stdout());
            assertEveryRecorderStepsAsideLikeAPlainRun(argv, plain, STEPPED_ASIDE_SMC);
        }
    }

    /**
     * A library unloaded ({@code dlclose}, its code unmapped) and another build of it loaded at the
     * same address: the DBI engine, whose cache would run the first one's translations for it, steps
     * aside before the {@code munmap} (under both handshakes): the same output and status as a plain
     * run, whose two results differ (a stale translation would print the first twice), the run
     * incomplete and clean. The step engine decodes afresh and records the whole run, clean too.
     */
    @Test
    void codeUnmappedAfterItRanEndsTheDbiRecordingBeforeTheMunmapWhileTheStepEngineRecordsOn() throws Exception {
        List<String> argv = List.of(Programs.path("dlclose"), Programs.path("libhot.so"), Programs.path("libhot-other.so"),
                "2000", "3");
        String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
        Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
        List<String> mixes = plain.stdout().lines().filter(l -> l.contains(" mix ")).map(l -> l.substring(l.indexOf(" mix ")))
                .toList();
        assertEquals(2, mixes.size(), plain.stdout());
        assertTrue(!mixes.get(0).equals(mixes.get(1)) && plain.stdout().endsWith("same address: yes\n"), plain.stdout());
        assertDbiStepsAsideWhereTheStepEngineRecordsOn(argv, plain, STEPPED_ASIDE_UNMAP + "; recording stopped before the call ran");
        CliRun run = tracedb(tmp.resolve("db-command"), "record", "--quiet", "--engine", "dbi", "--env", Programs.TUNABLES,
                "--", argv.get(0), args[0], args[1], "100", "5");
        assertEquals(5, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: " + STEPPED_ASIDE_UNMAP + "; recording stopped before the call ran; run r0001"
                + " left incomplete with [\\d,]+ instructions, [\\d,]+ block events; the program went on natively: exit 5\\n"),
                run::toString);
    }

    /**
     * Under each of {@link #RECORDERS}, {@code argv} prints what its {@code plain} run printed and ends
     * with its status; the step engine records it all (complete, clean), the DBI engine steps aside with
     * the line {@code steppedAside} (a pattern) after more than 10,000 instructions, its run incomplete
     * and clean.
     */
    private void assertDbiStepsAsideWhereTheStepEngineRecordsOn(List<String> argv, Programs.Result plain, String steppedAside) {
        for (String recorder : RECORDERS) {
            String what = recorder + " " + argv;
            Programs.Recorded rec = record(recorder, argv.toArray(String[]::new));
            assertEquals(plain.stdout(), rec.stdout(), what);
            assertEquals(plain.status(), rec.outcome().shellStatus(), what);
            if (recorder.startsWith("step")) {
                assertTrue(rec.outcome().complete(), what + ": " + rec.outcome().steppedAside());
                CliRun verify = tracedb(tmp.resolve("db"), "verify", rec.outcome().runId().toString());
                assertEquals(0, verify.status(), verify::toString);
                assertTrue(verify.out().startsWith(rec.outcome().runId() + ": clean: "), verify::toString);
                continue;
            }
            assertNotNull(rec.outcome().steppedAside(), what);
            assertTrue(rec.outcome().steppedAside().matches(steppedAside), what + ": " + rec.outcome().steppedAside());
            assertTrue(rec.outcome().instructions() > 10_000, what + ": the work before the step aside is in the log");
            assertIncompleteAndClean(rec.outcome(), what);
        }
    }

    /**
     * Execute permission taken from code that ran ({@code smc noexec}: its handler catches the fault and
     * the program exits 3; {@code smc-nopie noexec-fault}: it dies of it): the DBI engine, whose
     * translation would run on, steps aside before the {@code mprotect} (both handshakes); the step
     * engine records the whole run, the SIGSEGV included. Output and status as a plain run's, whose
     * second call faults; the command's line names the call.
     */
    @Test
    void executeTakenFromCodeThatRanEndsTheDbiRecordingBeforeTheMprotectWhileTheStepEngineRecordsTheFault()
            throws Exception {
        for (List<String> argv : List.of(List.of(Programs.path("smc"), "noexec", "2000", "3"),
                List.of(Programs.path("smc-nopie"), "noexec-fault", "2000", "3"))) {
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
            boolean caught = args[0].equals("noexec");
            assertEquals(caught ? 3 : 128 + 11, plain.status(), plain.stdout());
            assertTrue(plain.stdout().contains("then execute permission was taken from its page\n")
                    && plain.stdout().contains("gone() faulted: SIGSEGV at gone()\n") == caught, plain.stdout());
            assertDbiStepsAsideWhereTheStepEngineRecordsOn(argv, plain, STEPPED_ASIDE_NOEXEC
                    + "; recording stopped before the call ran");
        }
        CliRun run = tracedb(tmp.resolve("db-command"), "record", "--quiet", "--engine", "dbi", "--env", Programs.TUNABLES,
                "--", Programs.path("smc"), "noexec", "100", "5");
        assertEquals(5, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: " + STEPPED_ASIDE_NOEXEC + "; recording stopped before the call ran; run r0001"
                + " left incomplete with [\\d,]+ instructions, [\\d,]+ block events; the program went on natively: exit 5\\n"),
                run::toString);
    }

    /** The inputs engine runs {@code smc noexec} natively, complete; its expansion stops before the {@code mprotect}. */
    @Test
    void anInputsRunThatTakesExecuteFromCodeItRanRecordsCompletelyAndItsExpansionStopsThereWithOneLine() {
        assertInputsRunCompleteAndItsExpansionStops("smc", 4, STEPPED_ASIDE_NOEXEC + "; an expansion cannot let the"
                + " program go on natively \\(it would redo the recorded effects\\): expansion stopped before the call ran",
                "noexec", "500", "4");
    }

    /**
     * Code rewritten through its file ({@code smc file-write}: {@code write} to a memfd mapped shared
     * read-execute; {@code smc-nopie file-write-private}: {@code pwritev} to one mapped private, ending
     * by a signal): under both engines (the DBI one under both handshakes) the recording steps aside
     * before the write; the same output and status as a plain run, whose second call returns the new
     * result (a stale block or translation would return the first).
     */
    @Test
    void codeRewrittenThroughItsFileEndsTheRecordingBeforeTheWriteUnderBothEngines() throws Exception {
        for (List<String> argv : List.of(List.of(Programs.path("smc"), "file-write", "2000", "3"),
                List.of(Programs.path("smc-nopie"), "file-write-private", "2000", "-15"))) {
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
            assertTrue(plain.stdout().contains("the file's code returned 0x11111111, then 0x22222222 after rewriting it\n")
                    && plain.stdout().endsWith("0 mappings from /dev/shm\n"), plain.stdout());
            assertEveryRecorderStepsAsideLikeAPlainRun(argv, plain, STEPPED_ASIDE_FILE_WRITE);
        }
    }

    /**
     * The inputs engine runs the {@code dlclose} natively: its run is complete. Its expansion under
     * the DBI engine stops before the {@code munmap} with one line, the expanded run incomplete and clean.
     */
    @Test
    void anInputsRunThatUnmapsCodeItRanRecordsCompletelyAndItsExpansionStopsThereWithOneLine() {
        assertInputsRunCompleteAndItsExpansionStops("dlclose", 4, STEPPED_ASIDE_UNMAP + "; an expansion cannot let the"
                + " program go on natively \\(it would redo the recorded effects\\): expansion stopped before the call ran",
                Programs.path("libhot.so"), Programs.path("libhot-other.so"), "500", "4");
    }

    /** The command's own line before self-modifying code: what, the address range, and the program's status. */
    @Test
    void theCommandSaysInOneLineWhereItSteppedAsideBeforeSelfModifyingCode() {
        assertTheCommandsLine("smc", STEPPED_ASIDE_SMC);
    }

    /**
     * The inputs engine runs self-modifying code natively: its run is complete. Its expansion under
     * the DBI engine cannot let the program go on natively at the {@code mprotect}: it stops there
     * with one line, the expanded run left incomplete and clean.
     */
    @Test
    void anInputsRunWithSelfModifyingCodeRecordsCompletelyAndItsExpansionStopsThereWithOneLine() {
        assertInputsRunCompleteAndItsExpansionStops("smc", 4, "the program makes its own code writable \\(mprotect"
                + " 0x[0-9a-f]+-0x[0-9a-f]+ rwx over /\\S+/smc r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): self-modifying code is not"
                + " recorded; an expansion cannot let the program go on natively \\(it would redo the recorded effects\\):"
                + " expansion stopped before the call ran", "500", "4");
    }

    /** The command's own line: what happened, where, and the program's status. */
    @Test
    void theCommandSaysInOneLineWhereItSteppedAside() {
        assertTheCommandsLine("jit-static", STEPPED_ASIDE);
    }

    /**
     * {@code grep -P}: Debian's grep matches with PCRE2's JIT. Under the DBI engine the recording
     * steps aside at the compiled pattern and grep prints the plain run's lines with its status,
     * for a pattern that matches (0) and one that does not (1); under both miss handshakes.
     */
    @Test
    void grepWithPerlRegularExpressionsGivesThePlainRunsOutputAndStatus() throws Exception {
        Path input = tmp.resolve("input.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            text.append("line ").append(i).append(i % 7 == 0 ? " ends in digits 42\n" : " ends in letters\n");
        }
        Files.writeString(input, text);
        for (List<String> pattern : List.of(List.of("-P", "\\d+$"), List.of("-cP", "(?<=letters)x"))) {
            String[] argv = {"/usr/bin/grep", pattern.get(0), pattern.get(1), input.toString()};
            Programs.Result plain = Programs.plain(tmp, argv[0], argv[1], argv[2], argv[3]);
            for (String recorder : RECORDERS.subList(0, 2)) {
                Programs.Recorded rec = record(recorder, argv);
                String what = recorder + " grep " + pattern;
                assertEquals(plain.stdout(), rec.stdout(), what);
                assertEquals(plain.status(), rec.outcome().shellStatus(), what);
                assertNotNull(rec.outcome().steppedAside(), what + ": PCRE2's JIT ran");
                assertTrue(rec.outcome().steppedAside().matches(STEPPED_ASIDE), what + ": " + rec.outcome().steppedAside());
                assertTrue(rec.outcome().instructions() > 100_000, what + ": grep's start and the pattern's compilation");
                assertIncompleteAndClean(rec.outcome(), what);
            }
        }
    }

    /**
     * The inputs engine runs the program natively, so JIT code is just instructions to it: the
     * inputs run is complete. Its expansion re-executes it under the DBI engine, which meets the JIT
     * code and cannot let the program go (it would redo the recorded effects): it stops with one
     * line saying so, the expanded run left incomplete.
     */
    @Test
    void anInputsRunWithJitCodeRecordsCompletelyAndItsExpansionStopsThereWithOneLine() {
        assertInputsRunCompleteAndItsExpansionStops("jit", 4, "execution reached 0x[0-9a-f]+ in anonymous executable memory"
                + " \\(r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): code generated at run time \\(JIT\\) is not recorded; an expansion"
                + " cannot let the program run it natively \\(it would redo the recorded effects\\)", "500", "4");
    }
}
