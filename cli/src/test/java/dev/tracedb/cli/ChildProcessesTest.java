package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunState;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes the recorded program creates, end to end: children run natively (their output is the
 * plain run's), the parent's recording is complete and verifies clean under both engines; an exec
 * of the recorded process ends its recording with one line, the new program runs on natively and
 * its status is {@code tracedb record}'s, and so does a thread (the program goes on natively); a
 * process created with CLONE_UNTRACED is refused with one line.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ChildProcessesTest {
    @TempDir
    Path tmp;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children()
                .map(p -> p.pid() + " " + p.info().command().orElse("?")).toList(), "child processes left behind");
    }

    private Programs.Recorded record(EngineKind engine, String... argv) {
        return Programs.record(engine, tmp.resolve("db"), tmp, argv);
    }

    /** fork + exec of /bin/echo, fork + _exit(3), posix_spawn, system() and vfork + exec, under both engines. */
    @Test
    void childrenRunNativelyAndTheParentIsRecordedCompletelyByBothEngines() throws Exception {
        String forks = Programs.path("forks");
        Programs.Result plain = Programs.plain(tmp, forks);
        assertEquals(0, plain.status());
        assertTrue(plain.stdout().contains("child: 0 mappings from /dev/shm\nchild: about to exec echo\nchild: echo ran\n"
                + "fork+exec: exited 0\nfork+_exit(3): exited 3\nspawned\nposix_spawn: exited 4\nfrom system\n"
                + "system: exited 5\nvfork child: echo ran\nvfork+exec: exited 0\nparent: done\n"), plain.stdout());
        for (EngineKind engine : List.of(EngineKind.DBI, EngineKind.STEP)) {
            Programs.Recorded rec = record(engine, forks);
            assertEquals(plain.stdout(), rec.stdout(), engine + ": the children's output and the parent's");
            assertEquals(ExitStatus.exited(0), rec.outcome().status(), engine.toString());
            assertNull(rec.outcome().steppedAside(), engine.toString());
            assertClean(rec.outcome());
        }
    }

    /** CPython's os.fork, subprocess (its vfork + exec path) and os.system, recorded by the DBI engine. */
    @Test
    void python3ForkingAndSpawningIsRecordedWithTheSameOutput() throws Exception {
        String script = InterpreterCachesIT.workloadDirectory().resolve("python/children.py").toString();
        Programs.Result plain = Programs.plain(tmp, "/usr/bin/python3", script, "20000");
        assertEquals(0, plain.status(), plain.stdout());
        assertTrue(plain.stdout().contains("captured 'captured\\n' 3\n"), plain.stdout());
        Programs.Recorded rec = record(EngineKind.DBI, "/usr/bin/python3", script, "20000");
        assertEquals(plain.stdout(), rec.stdout());
        assertEquals(ExitStatus.exited(0), rec.outcome().status());
        assertClean(rec.outcome());
    }

    @Test
    void anExecEndsTheRecordingTheNewProgramGoesOnNativelyWithItsStatus() throws Exception {
        String execs = Programs.path("execs");
        for (EngineKind engine : List.of(EngineKind.DBI, EngineKind.STEP)) {
            Programs.Recorded rec = record(engine, execs);
            assertEquals("before exec\nafter exec\n", rec.stdout(), engine.toString());
            assertEquals(ExitStatus.exited(7), rec.outcome().status(), engine.toString());
            assertEquals("recording ended at the program's exec of /bin/sh (one program per run)",
                    rec.outcome().steppedAside(), engine.toString());
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
                assertEquals(RunState.INCOMPLETE, db.find(rec.outcome().runId()).orElseThrow().state());
            }
            CliRun verify = tracedb(tmp.resolve("db"), "verify", rec.outcome().runId().toString());
            assertEquals(0, verify.status(), verify::toString);
            assertTrue(verify.out().contains(": clean: ") && verify.out().contains("the run is incomplete"), verify::toString);
        }
        // The command's own line and status (the program's stdout is the test JVM's here).
        CliRun run = tracedb(tmp.resolve("db2"), "record", "--quiet", "--env", Programs.TUNABLES, "--", execs);
        assertEquals(7, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: recording ended at the program's exec of /bin/sh \\(one program per run\\);"
                + " run r0001 left incomplete with [\\d,]+ instructions, [\\d,]+ block events;"
                + " the program went on natively: exit 7\\n"), run::toString);
    }

    /**
     * Threads: single-threaded work, then four threads. Under both engines the recording steps aside
     * before the first thread exists: the output and status are the plain run's (an exit status, and a
     * signal raised at the end), the process carries no code-cache mapping afterwards (the program
     * prints its /dev/shm mappings), the run is incomplete, readable and verifies clean.
     */
    @Test
    void aThreadEndsTheRecordingAndTheProgramGoesOnNativelyUnderBothEngines() throws Exception {
        for (List<String> argv : List.of(List.of(Programs.path("threads"), "4", "2000", "3"),
                List.of(Programs.path("threads-static"), "2", "2000", "-15"))) {
            String[] args = argv.subList(1, argv.size()).toArray(String[]::new);
            Programs.Result plain = Programs.plain(tmp, argv.get(0), args);
            assertTrue(plain.stdout().startsWith("single-threaded: ") && plain.stdout().endsWith("0 mappings from /dev/shm\n"),
                    plain.stdout());
            for (EngineKind engine : List.of(EngineKind.DBI, EngineKind.STEP)) {
                String what = engine + " " + argv;
                Programs.Recorded rec = record(engine, argv.toArray(String[]::new));
                assertEquals(plain.stdout(), rec.stdout(), what);
                assertEquals(plain.status(), rec.outcome().shellStatus(), what);
                assertEquals("the program starts a thread (clone3 with CLONE_THREAD) and a run records one thread:"
                        + " recording stopped before the thread existed", rec.outcome().steppedAside(), what);
                assertTrue(rec.outcome().instructions() > 10_000, what + ": the work before the thread is in the log");
                try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
                    assertEquals(RunState.INCOMPLETE, db.find(rec.outcome().runId()).orElseThrow().state());
                }
                CliRun verify = tracedb(tmp.resolve("db"), "verify", rec.outcome().runId().toString());
                assertEquals(0, verify.status(), verify::toString);
                assertTrue(verify.out().matches(rec.outcome().runId() + ": clean: [\\d,]+ instructions in [\\d,]+ block"
                        + " events, 1 notes\nnote: the run is incomplete \\(no RunEnded\\): its totals cannot be checked\n"),
                        verify::toString);
            }
        }
    }

    /** CPython's threading module under the DBI engine: recorded up to the first thread, then natively. */
    @Test
    void python3ThreadsGoOnNativelyWithTheSameOutput() throws Exception {
        String script = InterpreterCachesIT.workloadDirectory().resolve("python/threads.py").toString();
        Programs.Result plain = Programs.plain(tmp, "/usr/bin/python3", script, "20000");
        assertEquals(0, plain.status(), plain.stdout());
        assertTrue(plain.stdout().contains("thread 3 ") && plain.stdout().endsWith("threads alive at the end 1\n"),
                plain.stdout());
        Programs.Recorded rec = record(EngineKind.DBI, "/usr/bin/python3", script, "20000");
        assertEquals(plain.stdout(), rec.stdout());
        assertEquals(ExitStatus.exited(0), rec.outcome().status());
        assertTrue(rec.outcome().steppedAside().startsWith("the program starts a thread"), rec.outcome().steppedAside());
        CliRun verify = tracedb(tmp.resolve("db"), "verify", rec.outcome().runId().toString());
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().contains(": clean: "), verify::toString);
    }

    /** A process created with CLONE_UNTRACED could not be followed: still refused with one line, the program killed. */
    @Test
    void anUntracedCloneIsRefusedWithOneLineUnderBothEngines() {
        for (String engine : List.of("dbi", "step")) {
            Path db = tmp.resolve("db-" + engine);
            CliRun run = tracedb(db, "record", "--engine", engine, "--env", Programs.TUNABLES, "--",
                    Programs.path("threads-static"), "untraced");
            assertEquals(1, run.status(), run::toString);
            assertEquals("tracedb: recording stopped: the program creates a process with CLONE_UNTRACED (clone): it would"
                    + " run its first instructions in the recorder's code cache unobserved; stopped before it existed"
                    + " (run r0001 left incomplete, program killed)\n", run.err(), run::toString);
        }
    }

    private void assertClean(RecordOutcome outcome) {
        CliRun verify = tracedb(tmp.resolve("db"), "verify", outcome.runId().toString());
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().matches(outcome.runId() + ": clean: [\\d,]+ instructions in [\\d,]+ block events, 0 notes\\n"),
                verify::toString);
    }
}
