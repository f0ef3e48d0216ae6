package dev.tracedb.store.internal;

import dev.tracedb.store.CorruptLogException;
import dev.tracedb.store.StoreException;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the Chronicle queues the store uses, all with the same settings. */
final class Queues {
    private Queues() {
    }

    /**
     * Opens a queue for appending. A weekly cycle keeps almost every run in one {@code .cq4} file,
     * which makes a damaged log easy to point at.
     */
    static SingleChronicleQueue forWriting(Path dir) {
        try {
            return SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.WEEKLY).build();
        } catch (RuntimeException e) {
            throw new StoreException("cannot open log " + dir + " for writing: " + e, e);
        }
    }

    /**
     * Opens an existing queue read-only, so that reading never changes a log (a read-write open
     * would, e.g., extend a truncated file and hide the damage).
     */
    static SingleChronicleQueue forReading(Path dir) {
        if (!Files.isDirectory(dir)) throw new CorruptLogException(dir, -1, -1, "log directory is missing");
        try {
            return SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.WEEKLY).readOnly(true).build();
        } catch (RuntimeException e) {
            throw new CorruptLogException(dir, -1, -1, "cannot open log: " + e, e);
        }
    }
}
