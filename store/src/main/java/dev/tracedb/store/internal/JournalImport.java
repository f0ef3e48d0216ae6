package dev.tracedb.store.internal;

import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.journal.CorruptJournalException;
import dev.tracedb.store.journal.JournalFormat;
import dev.tracedb.store.journal.JournalReader;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Turns one run's finished inputs journal into an ordinary run, in the order that makes a crash at
 * any point harmless: (1) write {@code log/} completely, frame by frame unchanged; (2) enter the run
 * in the catalog (RUN_CREATED, and RUN_CLOSED when the journal has RUN_ENDED) under
 * {@code catalog.lock}; (3) delete the journal. A retry that finds no catalog entry deletes any
 * half-written {@code log/} and starts again; one that finds the entry only completes steps 2 and 3.
 * A damaged journal is never deleted: what came before the damage becomes an incomplete run and the
 * journal is renamed {@code inputs.journal.corrupt}, with one line saying so.
 *
 * <p>The caller holds the run's {@code writer.lock}: that is what keeps two importers (in any
 * processes) off the same run, and a recorder's journal from being read while it is written.
 */
final class JournalImport {
    /**
     * Imports shorter than this go unannounced; longer ones get one progress line. The system
     * property {@code tracedb.importAnnounceAfterMillis} changes it (0: every import is announced,
     * which a test of another process's import needs to know when it is under way).
     */
    static final long ANNOUNCE_AFTER_NANOS = Long.getLong("tracedb.importAnnounceAfterMillis", 200) * 1_000_000L;

    private final Path dbDir;
    private final Catalog catalog;
    private final Consumer<String> messages;
    private final long announceAfterNanos;

    JournalImport(Path dbDir, Catalog catalog, Consumer<String> messages) {
        this(dbDir, catalog, messages, ANNOUNCE_AFTER_NANOS);
    }

    /** As above, announcing imports that take longer than {@code announceAfterNanos} (tests). */
    JournalImport(Path dbDir, Catalog catalog, Consumer<String> messages, long announceAfterNanos) {
        this.dbDir = dbDir;
        this.catalog = catalog;
        this.messages = messages;
        this.announceAfterNanos = announceAfterNanos;
    }

    /** What a pass over the journal found. */
    private record Pass(RunStarted started, RunEnded ended, int frames, CorruptJournalException damage) {
    }

    /** Imports {@code runDir}'s journal; the caller holds the run's writer lock and has seen the journal. */
    void run(RunId id, Path runDir) {
        Path journal = runDir.resolve(JournalFormat.FILE_NAME);
        List<CatalogRecord> entries = catalog.readAll().stream().filter(r -> r.id().equals(id)).toList();
        boolean created = entries.stream().anyMatch(r -> r instanceof CatalogRecord.RunCreated);
        boolean closed = entries.stream().anyMatch(r -> r instanceof CatalogRecord.RunClosed);
        Pass pass;
        String name;
        try (JournalReader reader = JournalReader.open(journal)) {
            name = reader.header().runName();
            // Already in the catalog: a crash after step 2. The log is whole; read the journal only
            // to learn whether it ended and whether it must be kept.
            pass = created ? read(reader, null) : copyToLog(id, reader, runDir.resolve("log"));
        } catch (CorruptJournalException e) {
            keep(id, journal, e.getMessage() + "; nothing imported");
            return;
        }
        if (pass.started() == null) {
            String why = pass.damage() != null ? pass.damage().getMessage()
                    : "journal " + journal + " ends before its first event";
            keep(id, journal, why + "; nothing imported");
            return;
        }
        if (!created || (pass.ended() != null && !closed)) enterInCatalog(id, name, pass, !created);
        if (pass.damage() == null) {
            delete(journal);
        } else {
            keep(id, journal, pass.damage().getMessage() + "; run " + id + " has the " + pass.frames()
                    + " events before it" + (pass.ended() == null ? " (incomplete)" : ""));
        }
    }

    /** Step 1: the frames into a fresh {@code log/}, each as one Chronicle document, unchanged. */
    private Pass copyToLog(RunId id, JournalReader reader, Path logDir) {
        deleteTree(logDir); // a crash before step 2 left a log of unknown length
        Pass pass;
        try (SingleChronicleQueue queue = Queues.forWriting(logDir);
             ExcerptAppender appender = queue.createAppender()) {
            pass = read(reader, (frame, length) -> LogDocuments.write(appender, frame, length));
        } catch (RuntimeException e) {
            if (e instanceof StoreException) throw e;
            throw new StoreException("cannot write the log of run " + id + " in " + logDir + ": " + e, e);
        }
        if (pass.started() == null) deleteTree(logDir);
        return pass;
    }

    private interface FrameSink {
        void accept(byte[] frame, int length);
    }

    /** Reads every frame (passing each to {@code sink}, if any) up to the end or the first damage. */
    private Pass read(JournalReader reader, FrameSink sink) {
        long start = System.nanoTime();
        boolean announced = sink == null;
        CorruptJournalException damage = null;
        try {
            while (reader.next()) {
                if (sink != null) sink.accept(reader.frame(), reader.frameLength());
                if (!announced && System.nanoTime() - start >= announceAfterNanos) {
                    announced = true;
                    messages.accept("tracedb: importing run " + reader.file().getParent().getFileName()
                            + " (" + megabytes(reader.file()) + ")…");
                }
            }
        } catch (CorruptJournalException e) {
            damage = e;
        }
        return new Pass(reader.started().orElse(null), reader.ended().orElse(null), reader.frames(), damage);
    }

    /** Step 2. */
    private void enterInCatalog(RunId id, String name, Pass pass, boolean create) {
        CatalogLock.holding(dbDir, () -> {
            if (create) {
                RunStarted s = pass.started();
                catalog.append(new CatalogRecord.RunCreated(id, name, s.program(), s.startTime()));
            }
            RunEnded end = pass.ended();
            if (end != null) catalog.append(new CatalogRecord.RunClosed(id, end.status(), end.endTime()));
            return null;
        });
    }

    /** Keeps a journal that cannot be imported whole under a name no import looks at again. */
    private void keep(RunId id, Path journal, String why) {
        Path kept = journal.resolveSibling(JournalFormat.CORRUPT_FILE_NAME);
        try {
            Files.move(journal, kept, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StoreException("cannot rename the journal of run " + id + " to " + kept + ": " + e, e);
        }
        messages.accept("tracedb: " + why + "; the journal is kept as " + kept);
    }

    private static void delete(Path journal) {
        try {
            Files.deleteIfExists(journal);
        } catch (IOException e) {
            throw new StoreException("cannot delete imported journal " + journal + ": " + e, e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        } catch (IOException e) {
            throw new StoreException("cannot delete the partly imported log " + dir + ": " + e, e);
        }
    }

    private static String megabytes(Path file) {
        try {
            return String.format("%.1f MB", Files.size(file) / 1e6);
        } catch (IOException e) {
            return "size unknown";
        }
    }
}
