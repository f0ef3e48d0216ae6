package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracedb record} end to end, in process, with programs that print nothing on stdout. */
class RecordCommandTest {

    @TempDir
    Path db;

    /** Records with the single-step reference engine, which these tests exercise (dbi is the default). */
    private static CliRun record(Path db, String... programAndArgs) {
        String[] args = Stream.concat(Stream.of("record", "--engine", "step", "--env", Programs.TUNABLES, "--"),
                        Stream.of(programAndArgs))
                .toArray(String[]::new);
        return tracedb(db, args);
    }

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), children(), "child processes left behind");
    }

    @Test
    void aProbeWithAnotherEngineOrAMalformedSiteIsOneLineAndNothingRuns() {
        CliRun step = tracedb(db, "record", "--engine", "step", "--probe", "lua5.4+0x1c479", "--", "/bin/true");
        assertEquals(2, step.status(), step::toString);
        assertTrue(step.err().startsWith("tracedb: --probe needs --engine dbi"), step::toString);
        assertEquals(2, step.err().lines().count(), step::toString); // the line and picocli's usage hint
        CliRun malformed = tracedb(db, "record", "--probe", "lua5.4", "--", "/bin/true");
        assertEquals(2, malformed.status(), malformed::toString);
        assertTrue(malformed.err().startsWith("tracedb: probe site \"lua5.4\" is not MODULE+0xOFFSET"), malformed::toString);
        assertFalse(Files.exists(db.resolve("runs")), "no run created");
    }

    @Test
    void exitStatusIsTheProgramsAndASummaryLineFollows() {
        CliRun run = record(db, Programs.path("exitcode-static"), "7");
        assertEquals(7, run.status(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertTrue(run.err().matches("tracedb: recorded r0001: [\\d,]+ instructions, [\\d,]+ block events, [\\d,]+ blocks, exit 7, .*\\n"),
                run::toString);
        assertEquals(0, tracedb(db, "verify", "r0001").status());
    }

    @Test
    void binTrueIsRecordedVerifiedAndReplayedToTheSameCount() {
        CliRun run = record(db, "/bin/true");
        assertEquals(0, run.status(), run::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        long replayed = tracedb(db, "replay", "r0001").out().lines().count();
        assertTrue(verify.out().contains(String.format("%,d instructions", replayed)), verify + "\nreplayed " + replayed);
        assertTrue(replayed > 50_000, "ld.so and libc start-up alone take more: " + replayed);
    }

    /**
     * A SIGSEGV under both engines: the run is complete up to the crash, the signal its last event
     * (the step engine logs up to the block before the store through NULL, which never retired; the
     * DBI engine logs that block whole, its prologue having run), and the command exits 128+11.
     */
    @Test
    void aCrashIsRecordedUpToTheSignalAndExitsWith128PlusN() {
        for (String engine : List.of("step", "dbi")) {
            Path runs = db.resolve(engine);
            CliRun run = tracedb(runs, "record", "--engine", engine, "--env", Programs.TUNABLES, "--", Programs.path("crash"));
            assertEquals(128 + 11, run.status(), run::toString);
            assertTrue(run.err().contains(", signal 11, "), run::toString);
            CliRun info = tracedb(runs, "info", "r0001");
            assertTrue(info.out().contains("complete, signal 11"), info::toString);
            assertTrue(info.out().matches("(?s).*signals\\s+1\\n.*"), info::toString);
            CliRun verify = tracedb(runs, "verify", "r0001");
            assertEquals(0, verify.status(), verify::toString);
            List<SignalDelivered> signals = new ArrayList<>();
            try (TraceDatabase database = TraceDatabase.open(runs); RunReader reader = database.openRun(new RunId(1))) {
                reader.replay(new EventVisitor() {
                    @Override
                    public void signal(SignalDelivered event) {
                        signals.add(event);
                    }
                });
                assertEquals(List.of(new SignalDelivered(reader.blockEventCount(), 11, 1, 0)), signals, engine);
            }
        }
    }

    /**
     * The correctness bar's interpreters under the DBI engine alone: {@code lua5.4} and Debian's
     * {@code python3} print what a plain run prints, exit alike, and their runs verify clean.
     */
    @Test
    void luaAndPythonUnderTheDbiEngineBehaveAsAPlainRunAndVerifyClean(@TempDir Path scratch) throws Exception {
        for (List<String> argv : List.of(
                List.of("/usr/bin/lua5.4", "-e", "local t = {} for i = 1, 200000 do t[i % 97] = (t[i % 97] or 0) + i end"
                        + " print(t[5], #t)"),
                List.of("/usr/bin/python3", "-c", "import json; print(json.dumps({str(i): i * i for i in range(500)})[:60],"
                        + " sum(i * i for i in range(100000)))"))) {
            Programs.Result plain = Programs.plain(scratch, argv.get(0), argv.subList(1, argv.size()).toArray(String[]::new));
            Programs.Recorded rec = Programs.record(dev.tracedb.recorder.EngineKind.DBI, db, scratch, argv.toArray(String[]::new));
            assertEquals(plain, rec.result(), argv.get(0));
            assertTrue(plain.stdout().length() > 10, plain::toString);
            CliRun verify = tracedb(db, "verify", rec.outcome().runId().toString());
            assertEquals(0, verify.status(), verify::toString);
            assertTrue(verify.out().contains(": clean: "), verify::toString);
        }
    }

    @Test
    void aMissingProgramIsOneClearLineAndStatus127() throws IOException {
        CliRun run = record(db, "/no/such/program");
        assertEquals(127, run.status(), run::toString);
        assertEquals("tracedb: no such program: /no/such/program\n", run.err(), run::toString);
        assertEquals(List.of(), TraceDatabase.open(db).runs(), "no run is created");
    }

    @Test
    void theDbiEngineRecordsAStaticProgramLikeAPlainRun() throws Exception {
        String program = Programs.path("dbi-simple-static");
        CliRun run = tracedb(db, "record", "--engine", "dbi", "--quiet", "--", program);
        assertEquals(0, run.status(), run::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains("clean"), verify::toString);
    }

    @Test
    void theDbiEngineRecordsADynamicProgramFromTheDynamicLoaderOn() {
        CliRun run = tracedb(db, "record", "--engine", "dbi", "--quiet", "--", "/bin/true");
        assertEquals(0, run.status(), run::toString);
        CliRun info = tracedb(db, "info", "r0001");
        assertTrue(info.out().contains("ld-linux-x86-64.so.2"), info::toString);
        assertTrue(info.out().contains("libc.so.6"), info::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
    }

    /** A second thread: the recording steps aside, the program goes on natively and its status is the command's. */
    @Test
    void aThreadEndsTheRecordingAndTheProgramGoesOnWithItsStatus() {
        CliRun run = record(db, Programs.path("threads-static"), "2", "1000", "5");
        assertEquals(5, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: the program starts a thread \\(clone3 with CLONE_THREAD\\) and a run records"
                + " one thread: recording stopped before the thread existed; run r0001 left incomplete with [\\d,]+"
                + " instructions, [\\d,]+ block events; the program went on natively: exit 5\n"), run::toString);
        CliRun runs = tracedb(db, "runs");
        assertTrue(runs.out().matches("(?s).*r0001\\s+threads-static\\s+incomplete.*"), runs::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains("the run is incomplete"), verify::toString);
    }

    /**
     * The DBI engine writes its log on a thread of its own: a refusal (a process created with
     * CLONE_UNTRACED, which no tracer could follow) still leaves a readable, verifiable run.
     */
    @Test
    void dbiRefusalLeavesAnIncompleteRunWithEverythingBeforeIt() {
        CliRun run = tracedb(db, "record", "--engine", "dbi", "--env", Programs.TUNABLES, "--", Programs.path("threads-static"),
                "untraced");
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("CLONE_UNTRACED"), run::toString);
        assertTrue(run.err().contains("(run r0001 left incomplete, program killed)"), run::toString);
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains("the run is incomplete"), verify::toString);
        CliRun info = tracedb(db, "info", "r0001");
        assertTrue(info.out().matches("(?s).*block events\\s+[1-9][\\d,]* in .*"), "the events before the refusal: " + info);
    }

    @Test
    void verifyFindsAnIllegalTransition() {
        RunId id = brokenRun(db);
        CliRun verify = tracedb(db, "verify", id.toString());
        assertEquals(1, verify.status(), verify::toString);
        assertTrue(verify.out().contains("problem: block event 2 (instruction 3): after loop+0x1005 (CONDITIONAL, 'jne 0x1005') "
                + "execution went to loop+0x1000, expected loop+0x1009 or loop+0x1005"), verify::toString);
    }

    /** mov ecx, 1000 ; dec ecx ; jnz back ; then the stream jumps to the mov, which no jnz can do. */
    private static RunId brokenRun(Path database) {
        RunStarted started = new RunStarted(List.of("/usr/bin/loop"), "/tmp", List.of(), MachineInfo.current(),
                Instant.parse("2026-11-25T02:00:00Z"));
        try (TraceDatabase db = TraceDatabase.open(database); RunWriter writer = db.createRun("broken", started)) {
            writer.moduleMapped(new ModuleMapped(0, "/usr/bin/loop", 0, 0x2000, new byte[0], new byte[32]));
            writer.defineBlock(new BlockDefined(0, 0, 0x1000, new byte[] {(byte) 0xb9, (byte) 0xe8, 0x03, 0, 0}, 1,
                    Terminator.FALL_THROUGH));
            writer.defineBlock(new BlockDefined(1, 0, 0x1005, new byte[] {(byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xfc},
                    2, Terminator.CONDITIONAL));
            writer.appendExec(0);
            writer.appendExec(1);
            writer.appendExec(0);
            writer.end(ExitStatus.exited(0));
            return writer.id();
        }
    }

    /** Children of this JVM (running, stopped or zombie), as "pid command". */
    private static List<String> children() {
        return ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList();
    }
}
