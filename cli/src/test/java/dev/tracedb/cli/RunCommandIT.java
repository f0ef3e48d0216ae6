package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb run --cache} as a user runs it: through the launcher (the native fast path, no JVM),
 * through the installed front door (the runner linked as {@code tracedb}, as scripts/install-command
 * does) and through {@code java -jar} (the Java command, which execs the same runner). The loader's own
 * tests (module loader) cover what the shim does to a program; here: the wiring, stdio and status.
 */
class RunCommandIT {
    @TempDir
    Path dir;

    @Test
    void theLauncherAndTheJarBothRunTheProgramWithItsStdioAndStatus() throws Exception {
        Path cache = dir.resolve("empty.tcache");
        TraceCacheFile.write(new TraceCache(TraceCache.FORMAT_VERSION, List.of(), List.of(), new Forecast(0, 0, List.of())), cache);
        for (List<String> tracedb : List.of(List.of(System.getProperty("tracedb.launcher")), List.of(frontDoor()),
                List.of("java", "-jar", System.getProperty("tracedb.jar")))) {
            Result r = run(concat(tracedb, "run", "--cache", cache.toString(), "--", "/bin/sh", "-c", "cat; echo err >&2; exit 7"),
                    "through stdin\n");
            assertEquals(new Result(7, "through stdin\n", "err\n"), r, tracedb.toString());

            Result missing = run(concat(tracedb, "run", "--cache", cache.toString(), "--", "no-such-program-xyz"), "");
            assertEquals(new Result(127, "", "tracedb: no-such-program-xyz: no such program\n"), missing, tracedb.toString());

            Result badCache = run(concat(tracedb, "run", "--cache", dir.resolve("none.tcache").toString(), "--", "/bin/true"), "");
            assertEquals(1, badCache.status, badCache::toString);
            assertTrue(badCache.err.endsWith(": no such file\n"), badCache::toString);
        }
    }

    @Test
    void aStaticProgramGoesThroughThePtracePath() throws Exception {
        Path cache = dir.resolve("empty.tcache");
        TraceCacheFile.write(new TraceCache(TraceCache.FORMAT_VERSION, List.of(), List.of(), new Forecast(0, 0, List.of())), cache);
        String program = Path.of(System.getProperty("tracedb.launcher")).resolveSibling("testprograms/target/bin/loops-static").toString();
        Process plainProcess = new ProcessBuilder(program, "5").start();
        String plainOut = new String(plainProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int plainStatus = plainProcess.waitFor();
        for (String tracedb : List.of(System.getProperty("tracedb.launcher"), frontDoor())) {
            Result r = run(List.of(tracedb, "run", "--cache", cache.toString(), "--", program, "5"), "");
            assertEquals(new Result(plainStatus, plainOut, ""), r, tracedb);
        }
    }

    @Test
    void theFrontDoorHandsEveryOtherCommandToTheScript() throws Exception {
        String launcher = System.getProperty("tracedb.launcher");
        String db = dir.resolve("db").toString();
        for (List<String> command : List.of(List.of("--version"), List.of("runs", "--db", db), List.<String>of(),
                List.of("run", "--ptrace", "--help"))) {
            Result script = run(concat(List.of(launcher), command.toArray(String[]::new)), "");
            Result front = run(concat(List.of(frontDoor()), command.toArray(String[]::new)), "");
            assertEquals(script, front, command.toString());
        }
        Result version = run(List.of(frontDoor(), "--version"), "");
        assertEquals(0, version.status, version::toString);
        assertTrue(version.out.startsWith("tracedb "), version::toString);
    }

    /** The clone's runner, linked as {@code tracedb} in a directory of its own (once per test). */
    private String frontDoor() throws IOException {
        Path link = dir.resolve("bin/tracedb");
        if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            Path runner = Path.of(System.getProperty("tracedb.launcher")).resolveSibling("loader/target/native/tracedb-run");
            Files.createSymbolicLink(Files.createDirectories(link.getParent()).resolve("tracedb"), runner);
        }
        return link.toString();
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    private record Result(int status, String out, String err) {}

    private static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("tracedb-it", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectError(errFile.toFile()).start();
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(errFile));
        } finally {
            Files.deleteIfExists(errFile);
        }
    }
}
