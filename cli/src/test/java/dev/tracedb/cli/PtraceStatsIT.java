package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb run --stats} on a static program: the launcher's native runner hands it to the
 * ptrace path, which installs the counting code with its counters in a file it reads back after
 * the exit, and keeps the same trace stats as the shim. Held against the forecast on the recorded
 * input as {@link MeasuredCountsTest} does (an IT: it needs the packaged launcher).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PtraceStatsIT {
    @TempDir
    Path dir;

    @Test
    void aStaticProgramIsCountedOnThePtracePath() throws Exception {
        List<String> argv = List.of(Programs.path("hotloops-static"), "switch", "20000");
        int compared = MeasuredCountsTest.measureAndCompare(dir, argv, "hotloops-static", 1, 0.001, 100, true);
        assertTrue(compared >= 2, "at least two hot traces in hotloops-static were compared: " + compared);
    }
}
