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
