package dev.tracedb.loader.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The trace stats of one database: {@code DB/trace-stats/sNNNN.tstats}, written by the shim of
 * {@code tracedb run --stats}. Ids grow with every run; a missing directory means no stats.
 */
public final class TraceStatsDirectory {
    /** The directory's name inside a database. */
    public static final String NAME = "trace-stats";
    private static final Pattern ID = Pattern.compile("s\\d{4,}");

    private final Path directory;

    private TraceStatsDirectory(Path directory) {
        this.directory = directory;
    }

    public static TraceStatsDirectory of(Path database) {
        return new TraceStatsDirectory(database.resolve(NAME));
    }

    public Path directory() {
        return directory;
    }

    /** Every stats file, by id (oldest first). */
    public List<TraceStats> all() {
        if (!Files.isDirectory(directory)) return List.of();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(directory)) {
            listing.filter(p -> isStatsName(p.getFileName().toString())).forEach(files::add);
        } catch (IOException e) {
            throw new TraceStatsException("cannot list " + directory + ": " + e.getMessage(), e);
        }
        files.sort(Comparator.comparingLong(TraceStatsDirectory::number));
        return files.stream().map(TraceStatsFile::read).toList();
    }

    /** The stats with this id ({@code s0003}). */
    public TraceStats find(String id) {
        if (!ID.matcher(id).matches()) {
            throw new TraceStatsException("'" + id + "' is not a trace stats id (sNNNN, as tracedb runs lists them)");
        }
        Path file = directory.resolve(id + TraceStatsFile.SUFFIX);
        if (!Files.isRegularFile(file)) {
            throw new TraceStatsException("no trace stats " + id + " in " + directory);
        }
        return TraceStatsFile.read(file);
    }

    /** The newest stats measured with the cache whose {@link CacheId} is {@code cacheId}. */
    public Optional<TraceStats> latestFor(int cacheId) {
        List<TraceStats> all = all();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).cacheId() == cacheId) return Optional.of(all.get(i));
        }
        return Optional.empty();
    }

    private static boolean isStatsName(String name) {
        return name.endsWith(TraceStatsFile.SUFFIX)
                && ID.matcher(name.substring(0, name.length() - TraceStatsFile.SUFFIX.length())).matches();
    }

    private static long number(Path file) {
        String name = file.getFileName().toString();
        return Long.parseLong(name.substring(1, name.length() - TraceStatsFile.SUFFIX.length()));
    }
}
