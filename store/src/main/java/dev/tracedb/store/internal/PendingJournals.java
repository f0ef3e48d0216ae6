package dev.tracedb.store.internal;

import dev.tracedb.store.RunId;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.journal.JournalFormat;
import dev.tracedb.store.journal.JournalReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The inputs journals waiting in a database's run directories. A journal whose {@code writer.lock}
 * is free (its recorder has exited) is imported ({@link JournalImport}) under that lock; one whose
 * lock is held is being recorded and is left alone, but is reported so {@code runs()} can list it as
 * RECORDING. An importer holds the run's {@code import.lock} around all of this, so another opener
 * (thread or process) waits for its import to end instead of taking the run for one being
 * recorded. Thread-safe: all state is on disk behind file locks, except the set of journals
 * already complained about, which is synchronized.
 */
final class PendingJournals {
    /** Held by whoever imports the run's journal, around its writer.lock. */
    static final String IMPORT_LOCK = "import.lock";
    private final Path runsDir;
    private final JournalImport importer;
    private final Consumer<String> messages;
    /** Journals whose import failed, so each failure is said once per database, not at every look. */
    private final Set<RunId> failed = new HashSet<>();

    PendingJournals(Path runsDir, JournalImport importer, Consumer<String> messages) {
        this.runsDir = runsDir;
        this.importer = importer;
        this.messages = messages;
    }

    /**
     * Imports every journal whose recorder has exited.
     *
     * @return the runs still being recorded to a journal, as RECORDING summaries (those whose
     *         RUN_STARTED is not written yet are left out: there is nothing to show)
     */
    List<RunSummary> importFinished() {
        List<RunSummary> recording = new ArrayList<>();
        for (RunId id : RunDirectories.list(runsDir)) {
            Path runDir = runsDir.resolve(id.toString());
            Path journal = runDir.resolve(JournalFormat.FILE_NAME);
            if (!Files.exists(journal)) continue;
            try {
                // Importers queue on import.lock (recorders never take it), so that the writer.lock
                // tried next is held only by a recorder: a run another process is importing is waited
                // for, not taken for one being recorded.
                FileLocks.holding(runDir.resolve(IMPORT_LOCK), () -> {
                    try (FileLocks.Held lock = FileLocks.tryAcquire(runDir.resolve("writer.lock"))) {
                        if (lock == null) {
                            recordingSummary(id, journal).ifPresent(recording::add);
                        } else if (Files.exists(journal)) { // else another importer finished while we waited
                            importer.run(id, runDir);
                        }
                    }
                    return null;
                });
            } catch (StoreException e) {
                // One bad run must not make the database unusable; its journal stays for a retry.
                if (firstFailure(id)) messages.accept("tracedb: cannot import run " + id + ": " + e.getMessage());
            }
        }
        return recording;
    }

    private synchronized boolean firstFailure(RunId id) {
        return failed.add(id);
    }

    /** What {@code tracedb runs} shows for a run being recorded: its header's name and RUN_STARTED. */
    private static Optional<RunSummary> recordingSummary(RunId id, Path journal) {
        try (JournalReader reader = JournalReader.open(journal)) {
            if (!reader.next()) return Optional.empty();
            RunStarted s = reader.started().orElseThrow();
            return Optional.of(new RunSummary(id, reader.header().runName(), s.program(), s.startTime(),
                    RunState.RECORDING, null, null));
        } catch (StoreException e) {
            return Optional.empty(); // a journal being written may be mid-header: nothing to list yet
        }
    }
}
