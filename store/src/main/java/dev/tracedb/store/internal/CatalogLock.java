package dev.tracedb.store.internal;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * {@code DIR/catalog.lock}: held while a run id is allocated (by Java's {@code createRun} or the
 * native recorder, which takes the same fcntl lock) and while an imported journal's run is entered in
 * the catalog.
 */
final class CatalogLock {
    private CatalogLock() {
    }

    /** Runs {@code action} holding the lock of the database in {@code dbDir} (an absolute, normalised path). */
    static <T> T holding(Path dbDir, Supplier<T> action) {
        return FileLocks.holding(dbDir.resolve("catalog.lock"), action);
    }
}
