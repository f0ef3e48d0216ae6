package dev.tracedb.store;

import dev.tracedb.store.internal.ChronicleTraceDatabase;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A database directory: the catalog of runs plus one log per run. Layout:
 * <pre>
 *   DIR/catalog/            the catalog, an append-only log (run created, run closed)
 *   DIR/runs/r0001/log/     the run's event log (Chronicle Queue)
 *   DIR/runs/r0001/*.proj   cached projections (deletable)
 *   DIR/runs/r0001/expanded-as   an inputs-only run's link to its expansion ({@link #expansions()})
 *   DIR/runs/r0002/inputs.journal   a native inputs recording, imported into log/ at the next open
 * </pre>
 * Several processes may open the same directory; run ids are allocated under a file lock. Opening
 * (and {@link #runs()}) imports every inputs journal whose recorder has exited
 * ({@code docs/formats/inputs-journal.md}).
 *
 * <p>Thread-safe.
 */
public interface TraceDatabase extends AutoCloseable {

    /** The environment variable naming the default database directory. */
    String HOME_ENV = "TRACEDB_HOME";

    /** {@code $TRACEDB_HOME} if set and not blank, else {@code ./tracedb-data}. */
    static Path defaultDirectory() {
        String home = System.getenv(HOME_ENV);
        return home != null && !home.isBlank() ? Path.of(home) : Path.of("tracedb-data");
    }

    /** Opens (creating if needed) the database in {@code directory}. */
    static TraceDatabase open(Path directory) {
        return ChronicleTraceDatabase.open(directory);
    }

    /** Opens the database in {@link #defaultDirectory()}. */
    static TraceDatabase openDefault() {
        return open(defaultDirectory());
    }

    Path directory();

    /** All runs, oldest first. */
    List<RunSummary> runs();

    /** The run with this id, if any. */
    Optional<RunSummary> find(RunId id);

    /**
     * Resolves what a user typed: an exact id ({@code r0007}), else an exact name, else a unique
     * prefix of an id or a name.
     *
     * @throws NoSuchRunException if nothing matches, or if the reference is ambiguous (the message
     *                            lists the candidates)
     */
    RunSummary resolve(String reference);

    /**
     * Creates a run, registers it in the catalog and writes its {@link RunStarted}.
     *
     * @param name    a name for humans; {@code null} means the file name of {@code argv[0]}
     * @param started the first event
     */
    RunWriter createRun(String name, RunStarted started);

    /**
     * Opens a run for reading.
     *
     * @throws NoSuchRunException   if there is no such run
     * @throws CorruptLogException if its log is damaged
     */
    RunReader openRun(RunId id);

    /** Which runs hold the expansions of inputs-only runs, and the lock that makes each expansion happen once. */
    ExpansionLinks expansions();

    /** Releases the catalog. Writers and readers obtained from this database must be closed first. */
    @Override
    void close();
}
