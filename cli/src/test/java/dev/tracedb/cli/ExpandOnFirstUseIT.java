package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expanding an inputs-only run on first use, as users run it, through the launcher: two commands
 * started at once in two processes expand it once (the expansion lock is a file lock), and
 * {@code TRACEDB_NO_EXPAND} refuses for every command.
 */
class ExpandOnFirstUseIT {
    @TempDir
    Path tmp;

    private Path db() {
        return tmp.resolve("db");
    }

    /** Starts {@code tracedb --db DB ARGS…} with the tests' environment plus {@code extra}. */
    private Process start(List<String> extra, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(EndToEnd.launcher(), "--db", db().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
        builder.environment().clear();
        for (String entry : concat(Programs.ENV, extra)) {
            int eq = entry.indexOf('=');
            builder.environment().put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(tmp.resolve(name + ".out").toFile()).redirectError(tmp.resolve(name + ".err").toFile()).start();
    }

    private EndToEnd.Outcome finish(Process process, String name) throws IOException, InterruptedException {
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("timed out: " + name);
        }
        return new EndToEnd.Outcome(Files.readString(tmp.resolve(name + ".out")), Files.readString(tmp.resolve(name + ".err")),
                process.exitValue());
    }

    private EndToEnd.Outcome run(List<String> extra, String name, String... args) throws IOException, InterruptedException {
        return finish(start(extra, name, args), name);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private List<String> runIds() throws IOException, InterruptedException {
        EndToEnd.Outcome runs = run(List.of(), "runs", "runs");
        assertEquals(0, runs.status(), runs::toString);
        return runs.out().lines().skip(1).map(l -> l.split(" ")[0]).toList();
    }

    private void recordInputs() throws IOException, InterruptedException {
        EndToEnd.Outcome record = run(List.of(), "record", "record", "--engine", "inputs", "--", Programs.path("loops"), "300");
        assertEquals(0, record.status(), record::toString);
    }

    @Test
    void twoProcessesAtOnceExpandOnce() throws Exception {
        recordInputs();
        Process verify = start(List.of(), "verify", "verify", "r0001");
        Process top = start(List.of(), "top", "top", "r0001", "--limit", "3");
        List<EndToEnd.Outcome> done = List.of(finish(verify, "verify"), finish(top, "top"));
        for (EndToEnd.Outcome outcome : done) assertEquals(0, outcome.status(), outcome::toString);
        assertEquals(1, done.stream().filter(o -> o.err().contains("expanding it into")).count(), "one expansion: " + done);
        assertTrue(done.stream().anyMatch(o -> o.err().contains("reading r0002, its expansion")), done::toString);
        assertTrue(done.get(0).out().startsWith("r0002: clean: "), done::toString);
        assertEquals(List.of("r0001", "r0002"), runIds());
    }

    @Test
    void theEnvironmentVariableRefusesForEveryCommand() throws Exception {
        recordInputs();
        EndToEnd.Outcome refused = run(List.of(ExpandOption.ENVIRONMENT + "=1"), "refused", "replay", "r0001", "--count", "3");
        assertEquals(TraceDbCommand.EXIT_FAILED, refused.status(), refused::toString);
        assertEquals("tracedb: run r0001 holds its inputs only and is not expanded yet (--no-expand or $TRACEDB_NO_EXPAND"
                + " refuses to expand it here): tracedb expand r0001\n", refused.err(), refused::toString);
        assertEquals(List.of("r0001"), runIds());
        EndToEnd.Outcome allowed = run(List.of(ExpandOption.ENVIRONMENT + "=0"), "allowed", "replay", "r0001", "--count", "3");
        assertEquals(0, allowed.status(), allowed::toString);
        assertEquals(3, allowed.out().lines().count(), allowed::toString);
        assertEquals(List.of("r0001", "r0002"), runIds());
    }
}
