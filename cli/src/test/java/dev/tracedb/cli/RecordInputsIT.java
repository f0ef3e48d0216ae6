package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.RunInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunState;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb record --engine inputs} as a user runs it, through the launcher: the program's
 * output and exit status are its own, one summary line says what was recorded, and the run holds
 * the program's inputs only; a program the engine cannot follow to its end goes on natively.
 */
class RecordInputsIT {
    @TempDir
    Path tmp;

    private EndToEnd.Outcome record(String... argv) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(EndToEnd.launcher(), "--db", tmp.resolve("db").toString(),
                "record", "--engine", "inputs", "--"));
        command.addAll(List.of(argv));
        return EndToEnd.execute(tmp, command);
    }

    private RunInfo info(String run) {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"));
             RunReader reader = db.openRun(db.resolve(run).id())) {
            return reader.info();
        }
    }

    @Test
    void aProgramRunsAsPlainlyAndItsRunHoldsItsInputs() throws Exception {
        String program = Programs.path("inputs");
        EndToEnd.Outcome plain = EndToEnd.plain(tmp, List.of(program, "/etc/passwd"));
        EndToEnd.Outcome recorded = record(program, "/etc/passwd");
        assertEquals(plain.out(), recorded.out(), recorded::toString);
        assertEquals(0, recorded.status(), recorded::toString);
        assertTrue(recorded.err().matches("tracedb: recorded r0001, the program's inputs only: exit 0, \\S+ \\S*s?, [\\d,]+ ptrace stops\n"),
                recorded::toString);
        RunInfo info = info("r0001");
        assertTrue(info.inputsOnly());
        assertTrue(info.syscalls() > 20, "syscalls: " + info.syscalls());
        assertEquals(0, info.blockEvents());
    }

    @Test
    void aThreadEndsTheRecordingAndTheStatusIsStillTheProgramsOwn() throws Exception {
        EndToEnd.Outcome recorded = record(Programs.path("exitcode"), "3");
        EndToEnd.Outcome plain = EndToEnd.plain(tmp, List.of(Programs.path("exitcode"), "3"));
        assertEquals(plain.status(), recorded.status(), recorded::toString);
        EndToEnd.Outcome threads = record(Programs.path("threads"));
        assertEquals("thread made 42\n", threads.out(), threads::toString);
        assertEquals(0, threads.status(), threads::toString);
        assertTrue(threads.err().matches("tracedb: inputs recording ends at syscall \\d+: the program creates a thread"
                + " \\(clone3 with CLONE_THREAD\\): an inputs-only run records one thread; run r0002 left incomplete with"
                + " the inputs up to there; the program went on natively: exit 0\n"), threads::toString);
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            assertEquals(RunState.INCOMPLETE, db.resolve("r0002").state());
        }
    }

    @Test
    void aslrCannotGoWithTheInputsEngine() throws Exception {
        EndToEnd.Outcome refused = EndToEnd.execute(tmp, List.of(EndToEnd.launcher(), "--db", tmp.resolve("db").toString(),
                "record", "--engine", "inputs", "--aslr", "--", "/bin/true"));
        assertEquals(2, refused.status(), refused::toString);
        assertTrue(refused.err().contains("--aslr cannot go with --engine inputs"), refused::toString);
    }
    /**
     * The native recorder end to end: {@code record --engine inputs} leaves a journal (no JVM ran,
     * so no Chronicle log yet); the next command that opens the database imports it into an
     * ordinary inputs-only run, which expands into a full run that verifies clean.
     */
    @Test
    void aNativeRecordingIsImportedAtTheNextOpeningThenExpandsAndVerifies() throws Exception {
        String program = Programs.path("inputs");
        EndToEnd.Outcome plain = EndToEnd.plain(tmp, List.of(program, "/etc/passwd"));
        EndToEnd.Outcome recorded = record(program, "/etc/passwd");
        assertEquals(plain.out(), recorded.out(), recorded::toString);
        Path run = tmp.resolve("db/runs/r0001");
        assertTrue(java.nio.file.Files.exists(run.resolve("inputs.journal")), "the native recorder's journal");
        assertTrue(!java.nio.file.Files.exists(run.resolve("log")), "no Chronicle log before a JVM opened the database");

        String db = tmp.resolve("db").toString();
        EndToEnd.Outcome info = EndToEnd.execute(tmp, List.of(EndToEnd.launcher(), "--db", db, "info", "r0001"));
        assertEquals(0, info.status(), info::toString);
        assertTrue(info.out().contains("state        complete, exit 0"), info::toString);
        assertTrue(info.out().contains("the program's inputs only"), info::toString);
        assertTrue(!java.nio.file.Files.exists(run.resolve("inputs.journal")), "imported, then deleted");
        assertTrue(java.nio.file.Files.isDirectory(run.resolve("log")));

        EndToEnd.Outcome expanded = EndToEnd.execute(tmp, List.of(EndToEnd.launcher(), "--db", db, "expand", "r0001"));
        assertEquals(0, expanded.status(), expanded::toString);
        assertTrue(expanded.err().startsWith("tracedb: expanded r0001 into r0002: "), expanded::toString);
        EndToEnd.Outcome verified = EndToEnd.execute(tmp, List.of(EndToEnd.launcher(), "--db", db, "verify", "r0002"));
        assertEquals(0, verified.status(), verified::toString);
        assertTrue(verified.out().startsWith("r0002: clean: "), verified::toString);
    }

    /**
     * JIT code through the native recorder: the program runs natively, so its generated code is just
     * instructions and the inputs run is complete, with the plain run's output and status. Its
     * expansion meets that code under the DBI engine and stops there with one line, the expanded run
     * left incomplete (an expansion cannot let the program go on natively).
     */
    @Test
    void aProgramWithJitCodeIsRecordedCompletelyAndItsExpansionStopsThere() throws Exception {
        String program = Programs.path("jit");
        EndToEnd.Outcome plain = EndToEnd.plain(tmp, List.of(program, "300", "4"));
        EndToEnd.Outcome recorded = record(program, "300", "4");
        assertEquals(plain.out(), recorded.out(), recorded::toString);
        assertEquals(4, recorded.status(), recorded::toString);
        assertTrue(recorded.err().startsWith("tracedb: recorded r0001, the program's inputs only: exit 4, "), recorded::toString);

        String db = tmp.resolve("db").toString();
        EndToEnd.Outcome expanded = EndToEnd.execute(tmp, List.of(EndToEnd.launcher(), "--db", db, "expand", "r0001"));
        assertEquals(1, expanded.status(), expanded::toString);
        assertTrue(expanded.err().matches("tracedb: execution reached 0x[0-9a-f]+ in anonymous executable memory"
                + " \\(r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\): code generated at run time \\(JIT\\) is not recorded; an expansion"
                + " cannot let the program run it natively \\(it would redo the recorded effects\\)"
                + " \\(expanded run r0002 left incomplete\\)\n"), expanded::toString);
        try (TraceDatabase db2 = TraceDatabase.open(tmp.resolve("db"))) {
            assertEquals(RunState.COMPLETE, db2.resolve("r0001").state());
            assertEquals(RunState.INCOMPLETE, db2.resolve("r0002").state());
        }
    }
}
