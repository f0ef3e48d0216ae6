package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C ends {@code tracedb record --pid}: SIGINT to the packaged command (its own JVM, as a
 * user runs it) detaches the process, which finishes natively; the command exits 0.
 */
class RecordPidIT {
    @TempDir
    Path tmp;

    @Test
    void sigintDetachesTheProcessWhichFinishesNatively() throws Exception {
        String counter = Programs.path("counter");
        // 3,000 counts of 10 ms: room for the command's JVM to start and attach on a loaded machine
        // (400 counts ran out before it attached at load 8); the plain run meanwhile, not before.
        CompletableFuture<Programs.Result> plain = CompletableFuture.supplyAsync(() -> plainRun(counter, "3000"));
        RunningProgram program = RunningProgram.start(tmp, counter, "3000");
        program.awaitOutput("count 10\n");

        Path db = tmp.resolve("db");
        Path err = tmp.resolve("tracedb.err");
        // SIGINT's default disposition first: a build started in the background (`.ci/run &`) hands its
        // children SIGINT ignored, and a JVM leaves an ignored SIGINT ignored, as nohup'd programs do.
        Process tracedb = new ProcessBuilder("python3", "-c", "import os, signal, sys; signal.signal(signal.SIGINT,"
                + " signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
                "java", "-jar", System.getProperty("tracedb.jar"), "--db", db.toString(),
                "record", "--pid", Integer.toString(program.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        // The run exists once the process is attached; the SIGINT handler was installed before.
        Path run = db.resolve("runs").resolve("r0001");
        long deadline = System.currentTimeMillis() + 60_000;
        while (!Files.exists(run) && tracedb.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(run), "attached: " + Files.readString(err));
        Thread.sleep(500);
        assertEquals(0, new ProcessBuilder(List.of("kill", "-INT", Long.toString(tracedb.pid()))).start().waitFor());
        assertTrue(tracedb.waitFor(60, TimeUnit.SECONDS), "tracedb ends after SIGINT");
        String said = Files.readString(err);
        assertEquals(0, tracedb.exitValue(), said);
        assertTrue(said.matches("tracedb: recorded r0001 for [\\d.]+ m?s: [\\d,]+ instructions, [\\d,]+ block events,"
                + " [\\d,]+ blocks; detached from process " + program.pid() + " \\(stopped on request\\), which goes on"
                + " natively \\(run left incomplete\\)\\n"), said);

        assertEquals(3, program.awaitExit());
        assertEquals(plain.get(120, TimeUnit.SECONDS).stdout(), Files.readString(program.stdout()));
    }

    private Programs.Result plainRun(String program, String... args) {
        try {
            return Programs.plain(tmp, program, args);
        } catch (IOException | InterruptedException e) {
            throw new CompletionException(e);
        }
    }
}
