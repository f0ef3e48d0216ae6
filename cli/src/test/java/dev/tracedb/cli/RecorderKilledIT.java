package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL to {@code tracedb record} (its own JVM, as a user runs it) while it records: the program
 * it records dies with it (the tracer's exit kills its tracees, {@code PTRACE_O_EXITKILL}), so no
 * process is left behind, stopped or running; the run is readable, incomplete and verifies clean
 * up to where its log got. Under each engine that records a launched program through ptrace.
 */
class RecorderKilledIT {
    @TempDir
    Path tmp;

    @Test
    void killingTheRecorderKillsTheProgramAndLeavesAReadableIncompleteRun() throws Exception {
        for (String engine : List.of("dbi", "step")) {
            Path db = tmp.resolve("db-" + engine);
            Path out = tmp.resolve(engine + ".out");
            Process recorder = new ProcessBuilder("java", "-jar", System.getProperty("tracedb.jar"), "--db", db.toString(),
                    "record", "--quiet", "--engine", engine, "--env", Programs.TUNABLES, "--", Programs.path("counter"), "100000")
                    .redirectOutput(out.toFile()).redirectError(tmp.resolve(engine + ".err").toFile()).start();
            long deadline = System.currentTimeMillis() + 120_000;
            while (!Files.readString(out).contains("count 20\n") && recorder.isAlive() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Files.readString(out).contains("count 20\n"), engine + ": the program runs recorded: "
                    + Files.readString(tmp.resolve(engine + ".err")));
            List<ProcessHandle> recorded = recorder.descendants().toList();
            assertFalse(recorded.isEmpty(), engine + ": the recorded program is the recorder's child");

            recorder.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no detach
            assertTrue(recorder.waitFor(60, TimeUnit.SECONDS));
            assertEquals(128 + 9, recorder.exitValue());
            for (ProcessHandle program : recorded) {
                program.onExit().get(60, TimeUnit.SECONDS);
                assertFalse(program.isAlive(), engine + ": " + program.pid() + " left behind");
            }
            String counted = Files.readString(out);
            assertFalse(counted.contains("sum "), engine + ": the program did not run to its end: " + counted);

            CliRun info = tracedb(db, "info", "r0001");
            assertEquals(0, info.status(), info::toString);
            assertTrue(info.out().matches("(?s).*state\\s+INCOMPLETE: .*"), info::toString);
            CliRun verify = tracedb(db, "verify", "r0001");
            assertEquals(0, verify.status(), verify::toString);
            assertTrue(verify.out().matches("r0001: clean: [\\d,]+ instructions in [\\d,]+ block events, \\d+ notes\\n(?s).*"
                    + "the run is incomplete.*"), verify::toString);
        }
    }
}
