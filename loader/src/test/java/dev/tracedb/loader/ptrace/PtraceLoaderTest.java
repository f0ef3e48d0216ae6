package dev.tracedb.loader.ptrace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.loader.HandBuiltTracesAccess;
import dev.tracedb.machine.linux.LaunchException;
import dev.tracedb.machine.linux.LaunchOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ptrace path on the static build of loader-target, with the same hand-built traces. */
class PtraceLoaderTest {
    private static final String ITERATIONS = "100000";

    static Path program;
    static HandBuiltTracesAccess traces;
    static String plainOut;
    static int plainExit;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        program = Path.of(System.getProperty("tracedb.testprograms"), "loader-target-static");
        traces = new HandBuiltTracesAccess(program);
        Process p = new ProcessBuilder(program.toString(), ITERATIONS).redirectErrorStream(true).start();
        plainOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        plainExit = p.exitValue();
        assertTrue(plainOut.contains("marker 0\n"), plainOut);
    }

    record Result(int exit, String stdout, String messages) {
    }

    private Result run(TraceCache cache) throws Exception {
        Path out = dir.resolve("out.txt");
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        int exit = new PtraceLoader(new PrintStream(messages, true, StandardCharsets.UTF_8)).run(cache,
                LaunchOptions.builder(program.toString()).args(ITERATIONS).stdout(out));
        return new Result(exit, Files.readString(out), messages.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTraceThatCountsItselfRunsOnEveryCallOfAStaticProgram() throws Exception {
        Result r = run(traces.marker());
        assertEquals(plainOut.replace("marker 0\n", "marker " + ITERATIONS + "\n"), r.stdout);
        assertEquals(plainExit, r.exit);
        assertEquals("", r.messages);
    }

    @Test
    void aTransparentTraceChangesNothing() throws Exception {
        Result r = run(traces.transparent());
        assertEquals(plainOut, r.stdout);
        assertEquals(plainExit, r.exit);
        assertEquals("", r.messages);
    }

    @Test
    void anotherBuildAndChangedBytesAreRefusedAndTheProgramRunsPlain() throws Exception {
        Result build = run(traces.forAnotherBuild());
        assertEquals(plainOut, build.stdout);
        assertEquals(plainExit, build.exit);
        assertTrue(build.messages.matches("tracedb: \\S+: not applied: \\S+ has build-id [0-9a-f]+, the cache was compiled for build-id [0-9a-f]+\n"),
                build.messages);

        Result bytes = run(traces.fromChangedBytes());
        assertEquals(plainOut, bytes.stdout);
        assertTrue(bytes.messages.contains("not applied: the bytes the traces rely on differ"), bytes.messages);
    }

    @Test
    void aMissingProgramIsALaunchError() {
        LaunchException e = assertThrows(LaunchException.class, () -> new PtraceLoader(System.err)
                .run(traces.transparent(), List.of("/no/such/program")));
        assertTrue(e.getMessage().startsWith("no such program"), e.getMessage());
    }
}
