package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb record --engine inputs}, then {@code tracedb expand}, then the commands that read
 * blocks, end to end in process, on the real interpreters (which print nothing here): the
 * expanded run verifies clean and replays, its syscalls are the inputs run's. The commands that
 * read blocks expanding an inputs run themselves: {@link ExpandOnFirstUseTest}.
 */
class ExpandCommandTest {
    @TempDir
    Path db;

    @TempDir
    Path files;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command().orElse("?"))
                .toList(), "child processes left behind");
    }

    private CliRun recordInputs(String... programAndArgs) {
        String[] args = Stream.concat(Stream.of("record", "--engine", "inputs", "--env", Programs.TUNABLES, "--"),
                Stream.of(programAndArgs)).toArray(String[]::new);
        CliRun run = tracedb(db, args);
        assertEquals(0, run.status(), run::toString);
        return run;
    }

    /** The run's syscalls as CSV rows without their block_event column (0 throughout an inputs-only run). */
    private List<String> syscalls(Path database, String run) throws IOException {
        Path csv = Files.createTempFile(files, run, ".csv");
        CliRun export = tracedb(database, "export", "--table", "syscalls", "--format", "csv", "-o", csv.toString(), run);
        assertEquals(0, export.status(), export::toString);
        return Files.readAllLines(csv).stream().skip(1).map(line -> line.substring(line.indexOf(',') + 1))
                .collect(Collectors.toList());
    }

    private void expandsToACleanRunWithTheSameSyscalls() throws IOException {
        expandsToACleanRunWithTheSameSyscalls(db);
    }

    private void expandsToACleanRunWithTheSameSyscalls(Path db) throws IOException {
        CliRun expand = tracedb(db, "expand", "r0001");
        assertEquals(0, expand.status(), expand::toString);
        assertEquals("r0002\n", expand.out(), expand::toString);
        assertTrue(expand.err().matches("tracedb: expanded r0001 into r0002: [\\d,]+ instructions, [\\d,]+ block events,"
                + " [\\d,]+ blocks, exit 0, .*\\n"), expand::toString);
        CliRun verify = tracedb(db, "verify", "r0002");
        assertEquals(0, verify.status(), verify::toString);
        assertTrue(verify.out().startsWith("r0002: clean: "), verify::toString);
        List<String> recorded = syscalls(db, "r0001");
        assertTrue(recorded.size() > 20, "a real syscall list: " + recorded);
        assertEquals(recorded, syscalls(db, "r0002"));
        CliRun replay = tracedb(db, "replay", "r0002", "--count", "3");
        assertEquals(0, replay.status(), replay::toString);
        assertEquals(3, replay.out().lines().count(), replay::toString);
    }

    @Test
    void luaRecordedInputsOnlyExpandsVerifiesAndReplays() throws IOException {
        recordInputs("lua5.4", "-e", "local t = {} for i = 1, 50000 do t[i % 97] = (t[i % 97] or 0) + i end");
        expandsToACleanRunWithTheSameSyscalls();
    }

    @Test
    void pythonRecordedInputsOnlyExpandsVerifiesAndReplays() throws IOException {
        recordInputs("/usr/bin/python3", "-c", "d = {str(i): i for i in range(20000)}");
        expandsToACleanRunWithTheSameSyscalls();
    }

    /**
     * {@code signal-defer}: its 1 ms SIGALRMs landing between syscalls are held by the inputs engine
     * for the next syscall and logged after it; the expanded run, signals sent after those
     * syscalls, verifies clean and has the inputs run's syscalls. The hold's 20 ms bound is
     * wall-clock time, so on a loaded machine a recording may end there (documented): only that end
     * is recorded again, in a fresh database, a few times.
     */
    @Test
    void heldSignalsExpandToARunThatVerifiesClean() throws IOException {
        String recorded = "recorded r0001, the program's inputs only: exit 0";
        for (int attempt = 1; ; attempt++) {
            Path database = files.resolve("db" + attempt);
            CliRun record = tracedb(database, "record", "--engine", "inputs", "--env", Programs.TUNABLES, "--",
                    Programs.path("signal-defer"));
            assertEquals(0, record.status(), record::toString);
            if (record.err().contains(recorded) || attempt == 5) {
                assertTrue(record.err().contains(recorded), "recorded to its end in " + attempt + " attempts: " + record);
                expandsToACleanRunWithTheSameSyscalls(database);
                return;
            }
            assertTrue(record.err().contains("no system call within 20 ms"), record::toString);
        }
    }

    @Test
    void infoSaysAnInputsRunHoldsInputsOnlyAndHowToExpandIt() {
        recordInputs("/bin/true");
        CliRun info = tracedb(db, "info", "r0001");
        assertEquals(TraceDbCommand.EXIT_OK, info.status(), info::toString);
        assertTrue(info.out().contains("the program's inputs only") && info.out().contains("tracedb expand r0001"), info.out());
        assertFalse(info.out().contains("block events"), info.out());
    }

    @Test
    void anUnknownRunIsOneLine() {
        recordInputs("/bin/true");
        CliRun refused = tracedb(db, "expand", "r0099");
        assertEquals(TraceDbCommand.EXIT_FAILED, refused.status(), refused::toString);
        assertEquals(1, refused.err().lines().count(), refused::toString);
        assertTrue(refused.err().startsWith("tracedb: "), refused::toString);
    }

    @Test
    void helpNamesTheCommand() {
        CliRun help = tracedb(null, "expand", "--help");
        assertEquals(0, help.status(), help::toString);
        assertTrue(help.out().startsWith("Usage: tracedb expand"), help::toString);
    }
}
