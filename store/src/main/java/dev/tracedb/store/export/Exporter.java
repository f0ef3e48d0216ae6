package dev.tracedb.store.export;

import dev.tracedb.store.RunReader;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Exports one table of one run to a file. The rows go to a temporary file in the target's directory,
 * which replaces the target only once it is complete (an atomic rename): an export that fails —
 * unwritable directory, disk full, a bad window — leaves the target as it was.
 */
public final class Exporter {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final RunReader reader;

    public Exporter(RunReader reader) {
        this.reader = reader;
    }

    /**
     * Writes {@code table} as {@code format} to {@code target}.
     *
     * @param window   the part of the execution stream to export ({@link ExportTable#EXEC} only)
     * @param progress told after every batch
     * @throws ExportException          if the file cannot be written
     * @throws IllegalArgumentException if the window starts past the end of the stream
     */
    public ExportResult export(ExportTable table, ExportFormat format, Path target, ExecWindow window,
                               ExportProgress progress) {
        return atomically(target, temporary -> write(table, format, temporary, window, progress));
    }

    /**
     * Writes rows that do not come from a run — e.g. the traces of a trace cache — as {@code format}
     * to {@code target}, with the same atomic replace as {@link #export}.
     *
     * @param metadata the Arrow schema's metadata ({@code tracedb.table}, …); CSV has none
     * @throws ExportException if the file cannot be written
     */
    public static ExportResult exportRows(ColumnBatch rows, Map<String, String> metadata, ExportFormat format, Path target) {
        return atomically(target, temporary -> {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 TableSink sink = switch (format) {
                     case ARROW -> new ArrowTableSink(rows.columns(), channel, metadata);
                     case CSV -> new CsvTableSink(rows.columns(), new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
                 }) {
                sink.write(rows);
                sink.finish();
                return rows.rows();
            }
        });
    }

    /** Fills a temporary file; returns the rows written. */
    private interface FileFiller {
        long fill(Path temporary) throws IOException;
    }

    private static ExportResult atomically(Path target, FileFiller filler) {
        Path absolute = target.toAbsolutePath().normalize();
        Path directory = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new ExportException("cannot write " + target + ": it is a directory", null);
        }
        if (directory == null || !Files.isDirectory(directory)) {
            throw new ExportException("cannot write " + target + ": no such directory " + directory, null);
        }
        Path temporary;
        try {
            // Not createTempFile: its 0600 mode would stick to the export; a new file gets the umask's mode.
            temporary = directory.resolve("." + absolute.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".partial");
            Files.newByteChannel(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        } catch (AccessDeniedException e) {
            throw new ExportException("cannot write " + target + ": permission denied in " + directory, e);
        } catch (FileSystemException e) {
            // the exception's message is only the temporary file's name; its reason says what went wrong
            throw new ExportException("cannot write " + target + ": cannot create a file in " + directory
                    + (e.getReason() != null ? " (" + e.getReason() + ")" : ""), e);
        } catch (IOException e) {
            throw new ExportException("cannot write " + target + ": " + e.getMessage(), e);
        }
        boolean done = false;
        try {
            long rows = filler.fill(temporary);
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return new ExportResult(absolute, rows, Files.size(absolute));
        } catch (FileSystemException e) {
            throw new ExportException("cannot write " + target + ": " + (e.getReason() != null ? e.getReason() : e.toString()), e);
        } catch (IOException e) {
            throw new ExportException("cannot write " + target + ": " + e, e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // the export already failed; a left-over .partial file is named after the target
                }
            }
        }
    }

    /** What the Arrow file says about itself: the run, the table, and where an exec window starts. */
    private Map<String, String> metadata(ExportTable table, ExecWindow window) {
        Map<String, String> metadata = new java.util.LinkedHashMap<>();
        metadata.put("tracedb.run", reader.id().toString());
        metadata.put("tracedb.table", table.label());
        metadata.put("tracedb.complete", Boolean.toString(reader.isComplete()));
        if (table == ExportTable.EXEC) {
            long[] start = TableRows.windowStart(reader, window);
            metadata.put("tracedb.first_block_event", Long.toString(start[0]));
            metadata.put("tracedb.first_instruction", Long.toString(start[1]));
        }
        return metadata;
    }

    private long write(ExportTable table, ExportFormat format, Path file, ExecWindow window, ExportProgress progress)
            throws IOException {
        TableRows rows = new TableRows(reader, progress);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             TableSink sink = open(table, format, channel, window)) {
            long n = rows.write(table, window, sink);
            sink.finish();
            return n;
        }
    }

    private TableSink open(ExportTable table, ExportFormat format, FileChannel channel, ExecWindow window)
            throws IOException {
        return switch (format) {
            case ARROW -> new ArrowTableSink(table.columns(window), channel, metadata(table, window));
            case CSV -> new CsvTableSink(table.columns(window),
                    new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
        };
    }
}
