package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine;
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

    /**
     * Every command's help renders as written: picocli prints a "WARN" on System.err (not on the
     * command's streams) and shows the raw text when a description has a stray format specifier,
     * e.g. "95 % of" where "95 %% of" was meant.
     */
    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true));
        try {
            CommandLine root = new CommandLine(new TraceDbCommand());
            root.getUsageMessage();
            root.getSubcommands().values().forEach(CommandLine::getUsageMessage);
        } finally {
            System.setErr(saved);
        }
        assertFalse(captured.toString().contains("picocli WARN"), captured::toString);
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
