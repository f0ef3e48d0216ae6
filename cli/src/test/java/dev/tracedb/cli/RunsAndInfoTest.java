package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.RunId;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracedb runs} and {@code tracedb info} on logs written through the store's API. */
class RunsAndInfoTest {

    @TempDir
    Path db;

    @Test
    void runsListsCompleteAndIncompleteRuns() {
        RunId done = SampleRuns.complete(db, "loop-done");
        RunId killed = SampleRuns.incomplete(db, "loop-killed");

        CliRun run = tracedb(db, "runs");

        assertEquals(0, run.status(), run::toString);
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), run::toString);
        assertTrue(lines.get(0).startsWith("RUN"), run::toString);
        assertTrue(lines.get(1).matches(done + "\\s+loop-done\\s+complete\\s+exit 0\\s+.*/usr/bin/loop"), run::toString);
        assertTrue(lines.get(2).matches(killed + "\\s+loop-killed\\s+incomplete\\s+-\\s+.*/usr/bin/loop"), run::toString);
    }

    @Test
    void runsOnAnEmptyDatabaseSaysSo() throws IOException {
        Files.createDirectories(db);
        CliRun run = tracedb(db, "runs");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().startsWith("no runs in "), run::toString);
    }

    @Test
    void infoShowsTotalsModulesAndCompleteness() {
        RunId id = SampleRuns.complete(db, "loop-done");

        CliRun run = tracedb(db, "info", id.toString());

        assertEquals(0, run.status(), run::toString);
        String out = run.out();
        long blockEvents = 2 + SampleRuns.LOOP_ITERATIONS;
        long instructions = 1 + 2L * SampleRuns.LOOP_ITERATIONS + 1;
        assertTrue(out.contains("complete, exit 0"), run::toString);
        assertTrue(out.matches("(?s).*block events\\s+" + String.format("%,d", blockEvents) + " in 1 batches.*"), run::toString);
        assertTrue(out.matches("(?s).*instructions\\s+" + String.format("%,d", instructions) + "\n.*"), run::toString);
        assertTrue(out.matches("(?s).*blocks\\s+3 distinct.*"), run::toString);
        assertTrue(out.matches("(?s).*syscalls\\s+1\n.*"), run::toString);
        assertTrue(out.matches("(?s).*program\\s+/usr/bin/loop --count 1000\n.*"), run::toString);
        // the module executed every instruction of the run: 2,002 of 2,002
        assertTrue(out.matches("(?s).*\\s0\\s+0x555555554000\\s+8\\.0 KiB\\s+2,002\\s+100\\.0\\s+abcd\\s+/usr/bin/loop.*"), run::toString);
    }

    @Test
    void infoShowsValueProbesOnlyForARunRecordedWithThem() {
        RunId plain = SampleRuns.complete(db, "plain");
        RunId probed = SampleRuns.probed(db, "probed");

        CliRun plainInfo = tracedb(db, "info", plain.toString());
        CliRun probedInfo = tracedb(db, "info", probed.toString());

        assertEquals(0, plainInfo.status(), plainInfo::toString);
        assertFalse(plainInfo.out().contains("value probes"), plainInfo::toString);
        assertEquals(0, probedInfo.status(), probedInfo::toString);
        assertTrue(probedInfo.out().matches("(?s).*value probes\\s+1 site \\(loop\\+0x1005\\), block events 0 to 501,"
                + " 500 samples, cut off by the sample budget\n.*"), probedInfo::toString);
    }

    @Test
    void infoFindsARunByName() {
        SampleRuns.complete(db, "first");
        SampleRuns.complete(db, "second");
        CliRun run = tracedb(db, "info", "second");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().contains("(second)"), run::toString);
    }

    @Test
    void infoMarksAnIncompleteRun() {
        RunId id = SampleRuns.incomplete(db, "killed");
        CliRun run = tracedb(db, "info", id.toString());
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().contains("INCOMPLETE"), run::toString);
        assertTrue(run.out().contains(String.format("%,d", 2 + SampleRuns.LOOP_ITERATIONS)), run::toString);
    }

    @Test
    void anUnknownRunIsOneClearLine() {
        SampleRuns.complete(db, "only");
        CliRun run = tracedb(db, "info", "r9999");
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().startsWith("tracedb: "), run::toString);
        assertTrue(run.err().contains("r9999"), run::toString);
        assertEquals(1, run.err().lines().count(), "one line: " + run);
    }

    @Test
    void aCorruptLogIsOneClearLineNamingTheFile() throws IOException {
        RunId id = SampleRuns.complete(db, "damaged");
        Path logFile = onlyLogFile(id);
        damageTheModulePath(logFile);

        CliRun run = tracedb(db, "info", id.toString());

        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().startsWith("tracedb: corrupt log "), run::toString);
        assertTrue(run.err().contains(logFile.getFileName().toString()), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
    }

    @Test
    void aTruncatedLogIsOneClearLineOrAnIncompleteRunNeverAWrongAnswer() throws IOException {
        RunId id = SampleRuns.complete(db, "cut");
        Path logFile = onlyLogFile(id);
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "rw")) {
            file.setLength(dataEnd(logFile) / 2);
        }

        CliRun run = tracedb(db, "info", id.toString());

        if (run.status() == 0) {
            // Cutting the file may land exactly between events: then it is a shorter, incomplete run.
            assertTrue(run.out().contains("INCOMPLETE"), run::toString);
        } else {
            assertEquals(1, run.status(), run::toString);
            assertTrue(run.err().startsWith("tracedb: corrupt log "), run::toString);
            assertTrue(run.err().contains(logFile.getFileName().toString()), run::toString);
        }
    }

    private Path onlyLogFile(RunId id) throws IOException {
        try (Stream<Path> files = Files.walk(db.resolve("runs").resolve(id.toString()))) {
            List<Path> logs = files.filter(p -> p.toString().endsWith(".cq4")).toList();
            assertEquals(1, logs.size(), "log files: " + logs);
            return logs.get(0);
        }
    }

    /** Chronicle pre-allocates its files; the data ends at the last non-zero byte. */
    private static long dataEnd(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return end;
    }

    /**
     * Changes one character of the module's path inside the ModuleMapped event (its last occurrence in
     * the file; argv holds it too): a damage that only the event checksum can catch.
     */
    private static void damageTheModulePath(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        byte[] needle = "/usr/bin/loop".getBytes(StandardCharsets.US_ASCII);
        int at = -1;
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                at = i;
            }
        }
        assertTrue(at >= 0, "module path not found in " + file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(at + needle.length - 1);
            raf.write('X');
        }
    }
}
