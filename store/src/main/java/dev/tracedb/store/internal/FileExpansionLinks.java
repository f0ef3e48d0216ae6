package dev.tracedb.store.internal;

import dev.tracedb.store.ExpansionLinks;
import dev.tracedb.store.NoSuchRunException;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunState;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.TraceDatabase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@link ExpansionLinks} as one small file per linked inputs run, {@code runs/rNNNN/expanded-as},
 * holding the expanded run's id and a newline. It is written to a temporary file, forced to disk,
 * renamed over the old one and the directory forced, so a crash leaves the old link or the new one,
 * never half a file. The file is the only truth; the reverse direction is found by reading every
 * run's file (one small read per run, as cheap as listing the catalog).
 *
 * <p>The lock is {@code runs/rNNNN/expand.lock} (an advisory file lock, released by the kernel if
 * its holder dies), taken after a semaphore per file in this JVM, because Java refuses a second
 * lock on one file from the same process.
 */
final class FileExpansionLinks implements ExpansionLinks {
    static final String LINK_FILE = "expanded-as";
    static final String LOCK_FILE = "expand.lock";

    private static final Map<Path, Semaphore> JVM_LOCKS = new ConcurrentHashMap<>();

    private final TraceDatabase database;
    private final Function<RunId, Path> runDirectory;

    FileExpansionLinks(TraceDatabase database, Function<RunId, Path> runDirectory) {
        this.database = database;
        this.runDirectory = runDirectory;
    }

    @Override
    public Optional<RunId> expandedAs(RunId inputsRun) {
        return readLink(inputsRun).filter(expanded -> isComplete(expanded, catalog()));
    }

    @Override
    public Optional<RunId> expandedFrom(RunId run) {
        return all().entrySet().stream().filter(e -> e.getValue().equals(run)).map(Map.Entry::getKey).findFirst();
    }

    @Override
    public Map<RunId, RunId> all() {
        Map<RunId, RunSummary> catalog = catalog();
        Map<RunId, RunId> links = new TreeMap<>();
        for (RunId inputs : catalog.keySet()) {
            readLink(inputs).filter(expanded -> isComplete(expanded, catalog)).ifPresent(expanded -> links.put(inputs, expanded));
        }
        return links;
    }

    @Override
    public void link(RunId inputsRun, RunId expandedRun) {
        Map<RunId, RunSummary> catalog = catalog();
        if (!catalog.containsKey(inputsRun)) throw new NoSuchRunException("no run " + inputsRun + " in " + database.directory());
        RunSummary expanded = catalog.get(expandedRun);
        if (expanded == null) throw new NoSuchRunException("no run " + expandedRun + " in " + database.directory());
        if (expanded.state() != RunState.COMPLETE) {
            throw new IllegalStateException("run " + expandedRun + " is " + expanded.state().name().toLowerCase()
                    + ": only a complete run can be linked as the expansion of " + inputsRun);
        }
        Path dir = runDirectory.apply(inputsRun);
        Path temporary = dir.resolve(LINK_FILE + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer text = ByteBuffer.wrap((expandedRun + "\n").getBytes(StandardCharsets.US_ASCII));
                while (text.hasRemaining()) out.write(text);
                out.force(true);
            }
            try {
                Files.move(temporary, dir.resolve(LINK_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StoreException("cannot rename within " + dir + " atomically: " + e, e);
            }
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true); // the rename itself survives a crash
            }
        } catch (IOException e) {
            throw new StoreException("cannot write the expansion link of " + inputsRun + " in " + dir + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // Only a leftover after a failure; it is never read.
            }
        }
    }

    @Override
    public Lock lock(RunId inputsRun) {
        Path file = lockFile(inputsRun);
        Semaphore inThisJvm = JVM_LOCKS.computeIfAbsent(file, f -> new Semaphore(1));
        inThisJvm.acquireUninterruptibly();
        try {
            FileLocks.Held held = FileLocks.acquire(file);
            return () -> release(held, inThisJvm);
        } catch (RuntimeException e) {
            inThisJvm.release();
            throw e;
        }
    }

    @Override
    public Optional<Lock> tryLock(RunId inputsRun) {
        Path file = lockFile(inputsRun);
        Semaphore inThisJvm = JVM_LOCKS.computeIfAbsent(file, f -> new Semaphore(1));
        if (!inThisJvm.tryAcquire()) return Optional.empty();
        try {
            FileLocks.Held held = FileLocks.tryAcquire(file);
            if (held == null) {
                inThisJvm.release();
                return Optional.empty();
            }
            return Optional.of(() -> release(held, inThisJvm));
        } catch (RuntimeException e) {
            inThisJvm.release();
            throw e;
        }
    }

    private static void release(FileLocks.Held held, Semaphore inThisJvm) {
        try {
            held.close();
        } finally {
            inThisJvm.release();
        }
    }

    private Path lockFile(RunId inputsRun) {
        Path dir = runDirectory.apply(inputsRun);
        if (!Files.isDirectory(dir)) throw new NoSuchRunException("no run " + inputsRun + " in " + database.directory());
        return dir.resolve(LOCK_FILE).toAbsolutePath().normalize();
    }

    /** The id in the link file, if there is one; a file that does not hold a run id is no link. */
    private Optional<RunId> readLink(RunId inputsRun) {
        try {
            String text = Files.readString(runDirectory.apply(inputsRun).resolve(LINK_FILE), StandardCharsets.US_ASCII).strip();
            return RunId.isRunId(text) ? Optional.of(RunId.parse(text)) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read the expansion link of " + inputsRun + ": " + e, e);
        }
    }

    private static boolean isComplete(RunId run, Map<RunId, RunSummary> catalog) {
        RunSummary summary = catalog.get(run);
        return summary != null && summary.state() == RunState.COMPLETE;
    }

    private Map<RunId, RunSummary> catalog() {
        return database.runs().stream().collect(Collectors.toMap(RunSummary::id, r -> r, (a, b) -> b));
    }
}
