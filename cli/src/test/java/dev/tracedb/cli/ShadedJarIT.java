package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.RunId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged command as a user runs it: the shaded jar started with plain {@code java -jar} (its
 * manifest must carry the module flags Chronicle needs), and the {@code ./tracedb} launcher.
 */
class ShadedJarIT {

    @TempDir
    Path db;

    @Test
    void plainJavaJarRunsWithoutFlagsOrNoise() throws Exception {
        Result version = run(List.of("java", "-jar", jar(), "--version"));
        assertEquals(0, version.status, version::toString);
        assertTrue(version.out.startsWith("tracedb "), version::toString);
        assertEquals("", version.err, version::toString);

        RunId id = SampleRuns.complete(db, "from-the-test");
        Result runs = run(List.of("java", "-jar", jar(), "--db", db.toString(), "runs"));
        assertEquals(0, runs.status, runs::toString);
        assertTrue(runs.out.contains(id + "  from-the-test"), runs::toString);
        assertEquals("", runs.err, "Chronicle must not print banners or warnings: " + runs);

        Result info = run(List.of("java", "-jar", jar(), "--db", db.toString(), "info", id.toString()));
        assertEquals(0, info.status, info::toString);
        assertTrue(info.out.contains("complete, exit 0"), info::toString);
    }

    @Test
    void launcherRunsTheCommandAndPassesTheExitStatus() throws Exception {
        Result help = run(List.of(System.getProperty("tracedb.launcher"), "--help"));
        assertEquals(0, help.status, help::toString);
        assertTrue(help.out.contains("Usage: tracedb"), help::toString);

        Result bad = run(List.of(System.getProperty("tracedb.launcher"), "--no-such-option"));
        assertEquals(2, bad.status, bad::toString);
    }

    /**
     * On a terminal (a pseudo-terminal from {@code script}) record rewrites a progress line on
     * stderr while the program runs, and erases it before the summary; the program's own output
     * is untouched. The in-process tests cover the other case: stderr not a terminal, no line.
     */
    @Test
    void recordShowsAProgressLineOnlyOnATerminal() throws Exception {
        String record = String.join(" ", "java", "-jar", jar(), "--db", db.toString(), "record", "--engine", "dbi",
                "--", "lua5.4", "-e", "'local s=0 for i=1,4e7 do s=s+i end print(s)'");
        Result onTty = run(List.of("script", "-qefc", record, "/dev/null"));
        assertEquals(0, onTty.status, onTty::toString);
        assertTrue(onTty.out.contains("800000020000000"), onTty::toString);
        assertTrue(onTty.out.matches("(?s).*\\rrecording: [\\d,]+ instructions, [\\d,]+ block events \\([\\d,]+ MB of block ids\\),"
                + " [\\d,]+ instructions/s.*"), onTty::toString);
        assertTrue(onTty.out.matches("(?s).*\\r\u001b\\[Ktracedb: recorded r0001: .*"), "erased before the summary: " + onTty);

        Result quiet = run(List.of("script", "-qefc", record.replace(" record ", " record --quiet "), "/dev/null"));
        assertEquals(0, quiet.status, quiet::toString);
        assertTrue(!quiet.out.contains("recording:") && !quiet.out.contains("tracedb: recorded"), quiet::toString);
    }

    private static String jar() {
        return System.getProperty("tracedb.jar");
    }

    private record Result(int status, String out, String err) {}

    private static Result run(List<String> command) throws IOException, InterruptedException {
        // stderr goes to a file so that neither pipe can fill up while we read the other.
        Path errFile = Files.createTempFile("tracedb-it", ".err");
        try {
            Process process = new ProcessBuilder(new ArrayList<>(command))
                    .redirectError(errFile.toFile()).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                    Files.readString(errFile));
        } finally {
            Files.deleteIfExists(errFile);
        }
    }
}
