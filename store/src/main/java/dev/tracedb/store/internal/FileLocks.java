package dev.tracedb.store.internal;

import dev.tracedb.store.StoreException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
/**
 * Advisory file locks between processes. Used for two things: allocating run ids (held briefly)
 * and marking a run as being written (held for the writer's lifetime, released by the kernel when
 * the writer's process dies, which is how a killed recorder's run becomes "incomplete").
 */
final class FileLocks {
    private FileLocks() {
    }

    /** An exclusive lock; closing releases it. */
    static final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                throw new StoreException("cannot release lock: " + e, e);
            }
        }
    }

    /** Monitors that queue this JVM's threads for a lock file, since Java forbids two locks on one file. */
    private static final Map<Path, Object> JVM_QUEUES = new ConcurrentHashMap<>();

    /**
     * Runs {@code action} holding the lock on {@code file} (an absolute, normalised path), waiting
     * for threads of this JVM and other processes that hold it.
     */
    static <T> T holding(Path file, Supplier<T> action) {
        synchronized (JVM_QUEUES.computeIfAbsent(file, f -> new Object())) {
            try (Held ignored = acquire(file)) {
                return action.get();
            }
        }
    }

    /** Blocks until the lock is ours. Callers serialise within the JVM first (Java forbids two locks). */
    static Held acquire(Path file) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new Held(ch, ch.lock());
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new StoreException("cannot lock " + file + ": " + e, e);
        }
    }

    /** The lock, or {@code null} if someone (in any process) holds it. */
    static Held tryAcquire(Path file) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this JVM
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            return new Held(ch, lock);
        } catch (IOException e) {
            throw new StoreException("cannot lock " + file + ": " + e, e);
        }
    }

    /** True if someone holds the lock on an existing file right now. */
    static boolean isHeld(Path file) {
        if (!Files.exists(file)) return false;
        Held probe = tryAcquire(file);
        if (probe == null) return true;
        probe.close();
        return false;
    }
}
