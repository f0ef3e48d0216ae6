package dev.tracedb.store.projection;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.format.FormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Caches a run's {@link Profile} as {@code profile-<lastIndex>.proj} in the run's directory. A cache
 * for another last index (the log grew) or a damaged one is ignored and replaced; deleting the files
 * only costs a rebuild.
 */
public final class ProfileCache {
    private ProfileCache() {
    }

    /** The cached profile if it matches the log, else a freshly built one (then cached). */
    public static Profile load(RunReader reader) {
        Path file = fileFor(reader);
        if (Files.exists(file)) {
            try {
                Profile p = Profile.fromBytes(Files.readAllBytes(file));
                if (p.lastIndex() == reader.lastIndex()) return p;
            } catch (IOException | FormatException e) {
                // unreadable cache: fall through and rebuild it
            }
        }
        Profile p = Profile.build(reader);
        store(reader.directory(), file, p.toBytes());
        return p;
    }

    /** Where the profile for the reader's current log is cached. */
    public static Path fileFor(RunReader reader) {
        return reader.directory().resolve("profile-" + Long.toHexString(reader.lastIndex()) + ".proj");
    }

    private static void store(Path dir, Path file, byte[] bytes) {
        try {
            // Write then rename, so a concurrent reader never sees half a cache file.
            Path tmp = Files.createTempFile(dir, "profile-", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    String name = p.getFileName().toString();
                    if (name.startsWith("profile-") && name.endsWith(".proj") && !p.equals(file)) Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot cache profile in " + dir + ": " + e, e);
        }
    }
}
