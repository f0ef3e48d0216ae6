package dev.tracedb.store.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * {@code DIR/catalog.lock}: held while a run id is allocated (by Java's {@code createRun} or the
 * native recorder, which takes the same fcntl lock) and while an imported journal's run is entered in
 * the catalog. Java refuses two file locks on one file in one JVM, so callers in this JVM queue on a
 * per-directory monitor first.
 */
final class CatalogLock {
    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private CatalogLock() {
    }

    /** Runs {@code action} holding the lock of the database in {@code dbDir} (an absolute, normalised path). */
    static <T> T holding(Path dbDir, Supplier<T> action) {
        synchronized (JVM_LOCKS.computeIfAbsent(dbDir, d -> new Object())) {
            try (FileLocks.Held ignored = FileLocks.acquire(dbDir.resolve("catalog.lock"))) {
                return action.get();
            }
        }
    }
}
