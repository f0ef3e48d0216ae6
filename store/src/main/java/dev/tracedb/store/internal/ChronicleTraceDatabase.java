package dev.tracedb.store.internal;

import dev.tracedb.store.CorruptLogException;
import dev.tracedb.store.ExpansionLinks;
import dev.tracedb.store.NoSuchRunException;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.TraceDatabase;
import dev.tracedb.store.format.BatchEncoding;
import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.journal.JournalFormat;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A database directory backed by Chronicle Queue: a catalog queue plus one queue per run. The
 * catalog is folded into {@link RunSummary}s on demand (it is small: two records per run).
 *
 * <p>Runs recorded by the native inputs recorder arrive as journals ({@code runs/rNNNN/inputs.journal});
 * opening the database, and listing its runs, imports every journal whose recorder has exited
 * ({@link PendingJournals}), so the JVM's work for such a run happens off the recording's path.
 */
public final class ChronicleTraceDatabase implements TraceDatabase {
    /** Block events per batch unless told otherwise. */
    public static final int DEFAULT_BATCH_EVENTS = 1 << 16;

    private final Path dir;
    private final Clock clock;
    private final Catalog catalog;
    private final PendingJournals journals;
    private boolean closed;

    private ChronicleTraceDatabase(Path dir, Clock clock, Consumer<String> messages) {
        this.dir = dir;
        this.clock = clock;
        try {
            Files.createDirectories(dir.resolve("runs"));
        } catch (IOException e) {
            throw new StoreException("cannot create database directory " + dir + ": " + e, e);
        }
        this.catalog = new Catalog(dir.resolve("catalog"));
        this.journals = new PendingJournals(dir.resolve("runs"), new JournalImport(dir, catalog, messages), messages);
        try {
            journals.importFinished();
        } catch (RuntimeException e) {
            catalog.close();
            throw e;
        }
    }

    public static ChronicleTraceDatabase open(Path directory) {
        return open(directory, Clock.systemUTC());
    }

    /** Opens with an injected clock, so tests can write reproducible logs. */
    public static ChronicleTraceDatabase open(Path directory, Clock clock) {
        return open(directory, clock, System.err::println);
    }

    /**
     * Opens with an injected clock and a destination for the lines a journal import says (progress of
     * a long import, a damaged journal kept); the other factories send them to stderr.
     */
    public static ChronicleTraceDatabase open(Path directory, Clock clock, Consumer<String> messages) {
        return new ChronicleTraceDatabase(directory.toAbsolutePath().normalize(), clock, messages);
    }

    @Override
    public Path directory() {
        return dir;
    }

    Path runDirectory(RunId id) {
        return dir.resolve("runs").resolve(id.toString());
    }

    @Override
    public List<RunSummary> runs() {
        checkOpen();
        // Import first, so a journal that finished since we opened appears as a run, not twice.
        List<RunSummary> recordingJournals = journals.importFinished();
        Map<RunId, CatalogRecord.RunCreated> created = new LinkedHashMap<>();
        Map<RunId, CatalogRecord.RunClosed> closedRuns = new LinkedHashMap<>();
        for (CatalogRecord r : catalog.readAll()) {
            if (r instanceof CatalogRecord.RunCreated c) created.put(c.id(), c);
            else closedRuns.put(r.id(), (CatalogRecord.RunClosed) r);
        }
        List<RunSummary> out = new ArrayList<>(created.size());
        for (CatalogRecord.RunCreated c : created.values()) {
            CatalogRecord.RunClosed end = closedRuns.get(c.id());
            RunState state = end != null ? RunState.COMPLETE
                    : FileLocks.isHeld(writerLock(c.id())) ? RunState.RECORDING : RunState.INCOMPLETE;
            out.add(new RunSummary(c.id(), c.name(), c.program(), c.startTime(), state,
                    end == null ? null : end.exit(), end == null ? null : end.endTime()));
        }
        for (RunSummary r : recordingJournals) {
            if (!created.containsKey(r.id())) out.add(r);
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    @Override
    public Optional<RunSummary> find(RunId id) {
        return runs().stream().filter(r -> r.id().equals(id)).findFirst();
    }

    @Override
    public RunSummary resolve(String reference) {
        return RunResolver.resolve(runs(), reference);
    }

    @Override
    public RunWriter createRun(String name, RunStarted started) {
        return createRun(name, started, DEFAULT_BATCH_EVENTS, BatchEncoding.DEFAULT);
    }

    /** As {@link #createRun(String, RunStarted)}, choosing the batch size and encoding (tests, benchmarks). */
    public RunWriter createRun(String name, RunStarted started, int batchEvents, BatchEncoding encoding) {
        checkOpen();
        String runName = name != null ? name : Path.of(started.program()).getFileName().toString();
        // Allocate the id and claim the run directory under the database lock, so two recorders
        // (in any processes, the native one included) never get the same id; the run is in the
        // catalog before it has events.
        Claimed claimed = CatalogLock.holding(dir, () -> {
            RunId id = nextId();
            Path runDir = runDirectory(id);
            try {
                Files.createDirectories(runDir);
            } catch (IOException e) {
                throw new StoreException("cannot create " + runDir + ": " + e, e);
            }
            FileLocks.Held writerLock = FileLocks.tryAcquire(writerLock(id));
            if (writerLock == null) throw new StoreException("run " + id + " is already being written");
            SingleChronicleQueue queue = Queues.forWriting(runDir.resolve("log"));
            catalog.append(new CatalogRecord.RunCreated(id, runName, started.program(), started.startTime()));
            return new Claimed(id, writerLock, queue);
        });
        RunId id = claimed.id();
        ChronicleRunWriter writer = new ChronicleRunWriter(id, claimed.queue(), claimed.writerLock(), batchEvents,
                encoding, clock, (RunEnded end) -> catalog.append(new CatalogRecord.RunClosed(id, end.status(), end.endTime())));
        try {
            writer.start(started);
        } catch (RuntimeException e) {
            writer.close();
            throw e;
        }
        return writer;
    }

    private record Claimed(RunId id, FileLocks.Held writerLock, SingleChronicleQueue queue) {
    }

    /**
     * 1 + the largest id of a run directory or a catalog entry: the native recorder's rule (largest
     * directory + 1, under the same {@code catalog.lock}) extended to a catalog entry without a
     * directory, which nothing creates but which must never be reused.
     */
    private RunId nextId() {
        long last = 0;
        for (RunId d : RunDirectories.list(dir.resolve("runs"))) last = Math.max(last, d.sequence());
        for (CatalogRecord r : catalog.readAll()) last = Math.max(last, r.id().sequence());
        RunId next = new RunId(last + 1);
        // A file (not a directory) of that name would make the mkdir fail: step over it.
        while (Files.exists(runDirectory(next))) next = next.next();
        return next;
    }

    private Path writerLock(RunId id) {
        return runDirectory(id).resolve("writer.lock");
    }

    @Override
    public RunReader openRun(RunId id) {
        checkOpen();
        Path runDir = runDirectory(id);
        if (!Files.isDirectory(runDir)) throw new NoSuchRunException("no run " + id + " in " + dir);
        if (!Files.exists(runDir.resolve("log")) && Files.exists(runDir.resolve(JournalFormat.FILE_NAME))) {
            throw new StoreException("run " + id + " is still being recorded (to " + JournalFormat.FILE_NAME
                    + "); it can be read once its recorder has exited");
        }
        ChronicleRunReader reader = new ChronicleRunReader(id, runDir, runDir.resolve("log"));
        // The catalog is written after RunEnded, so "closed in the catalog but no RunEnded in the
        // log" means the log lost its tail (e.g. a file truncated at an event boundary).
        if (!reader.isComplete() && find(id).map(r -> r.state() == RunState.COMPLETE).orElse(false)) {
            long last = reader.lastIndex();
            reader.close();
            throw new CorruptLogException(runDir.resolve("log"), last, -1,
                    "the catalog records run " + id + " as ended, but its log stops after this index without RunEnded");
        }
        return reader;
    }

    @Override
    public ExpansionLinks expansions() {
        checkOpen();
        return new FileExpansionLinks(this, this::runDirectory);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("database " + dir + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        catalog.close();
    }
}
