package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's contract: help, version, exit codes, one-line errors. */
class TraceDbCommandTest {

    @TempDir
    Path temp;

    @Test
    void helpListsTheCommandsAndExitsZero() {
        CliRun run = tracedb(null, "--help");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().contains("runs"), run::toString);
        assertTrue(run.out().contains("info"), run::toString);
        assertTrue(run.out().contains("Exit status"), run::toString);
    }

    @Test
    void versionNamesTheBuild() {
        CliRun run = tracedb(null, "--version");
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().matches("(?s)tracedb \\d+\\.\\d+\\.\\d+.*"), run::toString);
    }

    @Test
    void unknownCommandIsBadUsage() {
        CliRun run = tracedb(null, "frobnicate");
        assertEquals(2, run.status(), run::toString);
        assertTrue(run.err().startsWith("tracedb: "), run::toString);
        assertTrue(run.err().contains("--help"), run::toString);
    }

    @Test
    void missingRunArgumentIsBadUsage() {
        CliRun run = tracedb(temp, "info");
        assertEquals(2, run.status(), run::toString);
        assertTrue(run.err().contains("RUN"), run::toString);
    }

    @Test
    void aMissingDatabaseIsOneClearLineAndIsNotCreated() {
        Path nowhere = temp.resolve("no-such-db");
        CliRun run = tracedb(nowhere, "runs");
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().startsWith("tracedb: no trace database at " + nowhere), run::toString);
        assertFalse(run.err().contains("Exception"), run::toString);
        assertFalse(nowhere.toFile().exists(), "a read-only command must not create the database");
    }

    @Test
    void debugAddsTheStackTrace() {
        CliRun run = tracedb(temp.resolve("no-such-db"), "runs", "--debug");
        assertEquals(1, run.status(), run::toString);
        assertTrue(run.err().contains("\tat dev.tracedb.cli."), run::toString);
    }
}
