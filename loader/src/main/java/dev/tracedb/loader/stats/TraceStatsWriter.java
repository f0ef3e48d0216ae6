package dev.tracedb.loader.stats;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a {@code .tstats} file as the preload shim does (docs/formats/trace-stats.md, version 2):
 * to a partial file in the directory, synced, then hard-linked under the first free
 * {@code sNNNN.tstats} above the highest id (a link that exists already was another run's: the
 * next id is tried), and the partial file removed. A reader sees the whole file or none. Used by
 * the ptrace path, which counts from Java. Stateless.
 */
public final class TraceStatsWriter {
    private static final Pattern ID = Pattern.compile("s(\\d{4,})\\.tstats");

    private TraceStatsWriter() {
    }

    /**
     * Saves {@code stats} (its id is ignored) in {@code database}'s trace-stats directory, creating
     * it if needed, and returns the id it got.
     *
     * @throws TraceStatsException naming the directory when it cannot be written
     */
    public static String save(Path database, TraceStats stats) {
        Path directory = TraceStatsDirectory.of(database).directory();
        Path partial = directory.resolve(".s-" + stats.pid() + ".partial");
        try {
            Files.createDirectories(directory);
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(format(stats).getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            for (long n = highest(directory) + 1; ; n++) {
                String id = String.format("s%04d", n);
                try {
                    Files.createLink(directory.resolve(id + TraceStatsFile.SUFFIX), partial);
                    return id;
                } catch (FileAlreadyExistsException taken) {
                    // another run claimed it first: the next one
                }
            }
        } catch (IOException e) {
            throw new TraceStatsException("cannot save trace stats in " + directory + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // a leftover partial file is invisible to readers (not an sNNNN name)
            }
        }
    }

    /** The file's text, exactly as the shim writes it. */
    static String format(TraceStats stats) {
        StringBuilder out = new StringBuilder();
        out.append(TraceStatsFile.MAGIC).append('\n');
        out.append("cache ").append(escape(stats.cache().toString())).append('\n');
        out.append(String.format("cache-id %08x%n", stats.cacheId()));
        out.append("program ").append(escape(stats.program())).append('\n');
        for (String arg : stats.args()) out.append("arg ").append(escape(arg)).append('\n');
        out.append("pid ").append(stats.pid()).append('\n');
        out.append("started ").append(stats.started().toEpochMilli()).append('\n');
        out.append("ended ").append(stats.ended().toEpochMilli()).append('\n');
        out.append("traces ").append(stats.traces().size()).append('\n');
        for (TraceStats.Measured t : stats.traces()) {
            out.append("trace ").append(t.traceId()).append(' ').append(Long.toHexString(t.headOffset())).append(' ')
                    .append(t.applied() ? 1 : 0).append(' ').append(t.entries()).append(' ').append(t.completions())
                    .append(' ').append(t.exits()).append(' ').append(escape(t.module())).append('\n');
            for (TraceStats.ExitCount e : t.exitCounts()) {
                out.append("exit ").append(e.target() == TraceStats.ExitCount.GUARD ? "?" : Long.toHexString(e.target()))
                        .append(' ').append(e.count()).append('\n');
            }
        }
        out.append("end\n");
        return out.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static long highest(Path directory) throws IOException {
        long highest = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = ID.matcher(p.getFileName().toString());
                if (m.matches()) highest = Math.max(highest, Long.parseLong(m.group(1)));
            }
        }
        return highest;
    }
}
