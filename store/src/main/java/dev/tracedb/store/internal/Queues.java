package dev.tracedb.store.internal;

import dev.tracedb.store.CorruptLogException;
import dev.tracedb.store.StoreException;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Opens the Chronicle queues the store uses, all with the same settings. */
final class Queues {
    private static final long CHUNK_GRAIN = 1 << 20;

    static {
        ChronicleStartup.apply();
    }

    private Queues() {
    }

    /**
     * Opens a queue for appending. A daily cycle (Chronicle's default, and the best-tested: its WEEKLY cycle fails
     * {@code lastIndex()} in this version) keeps most runs in one {@code .cq4} file,
     * which makes a damaged log easy to point at.
     */
    static SingleChronicleQueue forWriting(Path dir) {
        try {
            return builder(dir).build();
        } catch (RuntimeException e) {
            throw new StoreException("cannot open log " + dir + " for writing: " + e, e);
        }
    }

    /**
     * Opens an existing queue read-only, so that reading never changes a log (a read-write open
     * would, e.g., extend a truncated file and hide the damage).
     */
    /**
     * Chronicle grows a {@code .cq4} file in whole chunks (multiples of 1 MiB), so any other length
     * means the file was truncated. Checking up front matters: reading a memory-mapped page past the
     * end of a file faults, which the JVM reports as an asynchronous {@link InternalError}.
     */
    static void checkWholeChunks(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".cq4")).sorted()::iterator) {
                long size = Files.size(f);
                if (size == 0 || size % CHUNK_GRAIN != 0) {
                    throw new CorruptLogException(f, -1, size, "file is truncated: " + size
                            + " bytes is not a whole number of Chronicle chunks (multiples of " + CHUNK_GRAIN + ")");
                }
            }
        } catch (IOException e) {
            throw new CorruptLogException(dir, -1, -1, "cannot list log files: " + e, e);
        }
    }

    static SingleChronicleQueue forReading(Path dir) {
        if (!Files.isDirectory(dir)) throw new CorruptLogException(dir, -1, -1, "log directory is missing");
        checkWholeChunks(dir);
        try {
            return builder(dir).readOnly(true).build();
        } catch (RuntimeException e) {
            throw new CorruptLogException(dir, -1, -1, "cannot open log: " + e, e);
        }
    }

    /**
     * The settings every queue shares. No msync on releasing a chunk ({@link ChronicleStartup} says
     * why that loses nothing, and why it matters at start-up).
     */
    private static SingleChronicleQueueBuilder builder(Path dir) {
        return SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.FAST_DAILY).syncMode(SyncMode.NONE);
    }
}
