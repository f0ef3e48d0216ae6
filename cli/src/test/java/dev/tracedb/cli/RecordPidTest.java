package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb record --pid}: a running process is recorded from where it stands for a while,
 * detached, and finishes natively with the output and status of a plain run; the partial run
 * verifies clean. A missing process and a multi-threaded one are one line each and are left alone.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RecordPidTest {
    @TempDir
    Path tmp;

    @Test
    void aRunningProcessIsRecordedForASecondThenGoesOnNatively() throws Exception {
        String counter = Programs.path("counter");
        Programs.Result plain = Programs.plain(tmp, counter, "300");
        assertEquals(3, plain.status());
        RunningProgram program = RunningProgram.start(tmp, counter, "300");
        program.awaitOutput("count 20\n");

        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()), "--duration", "1");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: recorded r0001 for [\\d.]+ m?s: [\\d,]+ instructions, [\\d,]+ block events,"
                + " [\\d,]+ blocks; detached from process " + program.pid() + " \\(stopped on request\\), which goes on"
                + " natively \\(run left incomplete\\)\\n"), run::toString);
        assertTrue(!Files.exists(program.status()), "recorded while it ran: " + run);

        assertEquals(3, program.awaitExit());
        assertEquals(plain.stdout(), Files.readString(program.stdout()), "every count and the sum, as in a plain run");

        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0001: clean: ") && verify.out().contains("the run is incomplete"), verify::toString);
        CliRun info = tracedb(tmp.resolve("db"), "info", "r0001");
        assertTrue(info.out().matches("(?s).*block events\\s+[1-9][\\d,]* in .*"), "a real stream: " + info);
        assertTrue(info.out().matches("(?s).*syscalls\\s+[1-9].*"), "its nanosleeps: " + info);
    }

    /**
     * Stopped in the middle of computing (not in a syscall, as the counter mostly is): stepped through
     * the code cache to an exact original address, it finishes natively with the plain run's result.
     */
    @Test
    void aComputingInterpreterIsDetachedMidLoopAndComputesTheSameResult() throws Exception {
        String script = "io.write('started\\n') io.stdout:flush() "
                + "local s = 0 for i = 1, 4e8 do s = (s * 31 + i) % 1000003 end print(s)";
        Programs.Result plain = Programs.plain(tmp, "/usr/bin/lua5.4", "-e", script);
        assertEquals(0, plain.status());
        RunningProgram program = RunningProgram.start(tmp, "/usr/bin/lua5.4", "-e", script);
        program.awaitOutput("started\n");
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()), "--duration", "1");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().contains("(stopped on request), which goes on natively"), run::toString);
        assertTrue(!Files.exists(program.status()), "detached while it computed: " + run);
        assertEquals(0, program.awaitExit());
        assertEquals(plain.stdout(), Files.readString(program.stdout()));
        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
    }

    /**
     * Stopped inside a tight loop of {@code rep} string instructions: placed where it stands (a
     * block cut short is logged as its retired prefix, as at a signal's delivery), it finishes
     * natively with the plain run's checksum, and the partial log verifies clean.
     */
    @Test
    void aRepStringLoopIsDetachedWhereItStandsAndItsLogVerifiesClean() throws Exception {
        String hotloops = Programs.path("hotloops");
        Programs.Result plain = Programs.plain(tmp, hotloops, "rep", "60000000");
        assertEquals(0, plain.status());
        RunningProgram program = RunningProgram.start(tmp, hotloops, "rep", "60000000");
        Thread.sleep(100);
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()), "--duration", "1");
        assertEquals(0, run.status(), run::toString);
        // Detached while it computed (had it ended first, the line would say so); it may finish before this returns.
        assertTrue(run.err().contains("(stopped on request), which goes on natively"), run::toString);
        assertEquals(0, program.awaitExit());
        assertEquals(plain.stdout(), Files.readString(program.stdout()));
        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0001: clean: "), verify::toString);
    }

    /**
     * Attached during its single-threaded work, the process starts threads while recorded: the
     * recording steps aside at the first one (placed on its clone3, the cache unmapped, detached),
     * and it finishes natively with the plain run's output and status; the partial run verifies clean.
     */
    @Test
    void aProcessThatStartsAThreadWhileRecordedIsLetGoThere() throws Exception {
        String threads = Programs.path("threads");
        String[] args = {"2", "1000000000", "4"};
        Programs.Result plain = Programs.plain(tmp, threads, args);
        assertEquals(4, plain.status());
        String[] argv = new String[args.length + 1];
        argv[0] = threads;
        System.arraycopy(args, 0, argv, 1, args.length);
        RunningProgram program = RunningProgram.start(tmp, argv);
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()));
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: recorded r0001 for [\\d.]+ m?s: [\\d,]+ instructions, [\\d,]+ block events,"
                + " [\\d,]+ blocks; detached from process " + program.pid() + " \\(the program starts a thread \\(clone3 with"
                + " CLONE_THREAD\\) and a run records one thread: recording stopped before the thread existed\\), which goes"
                + " on natively \\(run left incomplete\\)\n"), run::toString);
        assertEquals(4, program.awaitExit());
        assertEquals(plain.stdout(), Files.readString(program.stdout()));
        assertTrue(plain.stdout().endsWith("0 mappings from /dev/shm\n"), plain.stdout());
        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0001: clean: "), verify::toString);
    }

    /**
     * Attached during its hash work, the process reaches code it generated (JIT) while recorded: the
     * recording steps aside at its first instruction (the cache unmapped, detached) and the process
     * finishes natively with the plain run's output and status; the partial run verifies clean.
     */
    @Test
    void aProcessThatReachesJitCodeWhileRecordedIsLetGoThere() throws Exception {
        String jit = Programs.path("jit");
        String[] args = {"500000000", "4"};
        Programs.Result plain = Programs.plain(tmp, jit, args);
        assertEquals(4, plain.status());
        assertTrue(plain.stdout().endsWith("0 mappings from /dev/shm\n"), plain.stdout());
        RunningProgram program = RunningProgram.start(tmp, jit, args[0], args[1]);
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()));
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().matches("tracedb: recorded r0001 for [\\d.]+ m?s: [\\d,]+ instructions, [\\d,]+ block events,"
                + " [\\d,]+ blocks; detached from process " + program.pid() + " \\(execution reached code generated at run"
                + " time \\(JIT\\) at 0x[0-9a-f]+, in anonymous executable memory \\(r-xp 0x[0-9a-f]+-0x[0-9a-f]+\\), which"
                + " a run does not record: recording stopped there\\), which goes on natively \\(run left incomplete\\)\n"),
                run::toString);
        assertEquals(4, program.awaitExit());
        assertEquals(plain.stdout(), Files.readString(program.stdout()));
        CliRun verify = tracedb(tmp.resolve("db"), "verify", "r0001");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0001: clean: ") && verify.out().contains("the run is incomplete"), verify::toString);
    }

    @Test
    void aMissingProcessIsOneLine() {
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", "999999999");
        assertEquals(1, run.status(), run::toString);
        assertEquals("tracedb: no such process: 999999999\n", run.err());
        assertTrue(!Files.exists(tmp.resolve("db").resolve("runs").resolve("r0001")), "no run created");
    }

    @Test
    void aMultiThreadedProcessIsOneLineAndLeftAsItWas() throws Exception {
        String counter = Programs.path("counter");
        RunningProgram program = RunningProgram.start(tmp, counter, "300", "thread");
        program.awaitOutput("count 5\n");
        CliRun run = tracedb(tmp.resolve("db"), "record", "--pid", Integer.toString(program.pid()), "--duration", "1");
        assertEquals(1, run.status(), run::toString);
        assertEquals("tracedb: process " + program.pid() + " has 2 threads: only single-threaded processes can be recorded"
                + " (one run records one thread); left as it was\n", run.err());
        assertEquals(3, program.awaitExit());
        assertEquals(Programs.plain(tmp, counter, "300", "thread").stdout(), Files.readString(program.stdout()));
    }

    @Test
    void theOptionsAreChecked() {
        CliRun both = tracedb(tmp.resolve("db"), "record", "--pid", "1", "--", "/bin/true");
        assertEquals(2, both.status(), both::toString);
        assertTrue(both.err().startsWith("tracedb: --pid records a running process: give no PROGRAM"), both::toString);
        CliRun step = tracedb(tmp.resolve("db"), "record", "--engine", "step", "--pid", "1");
        assertEquals(2, step.status(), step::toString);
        assertTrue(step.err().startsWith("tracedb: --pid needs the dbi engine"), step::toString);
        CliRun duration = tracedb(tmp.resolve("db"), "record", "--duration", "1", "--", "/bin/true");
        assertEquals(2, duration.status(), duration::toString);
        CliRun nothing = tracedb(tmp.resolve("db"), "record");
        assertEquals(2, nothing.status(), nothing::toString);
        assertTrue(nothing.err().startsWith("tracedb: Missing PROGRAM"), nothing::toString);
    }
}
