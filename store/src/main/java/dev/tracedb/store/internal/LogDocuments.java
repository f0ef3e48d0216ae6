package dev.tracedb.store.internal;

import dev.tracedb.store.CorruptLogException;
import dev.tracedb.store.format.FormatException;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Moves framed events between byte arrays and Chronicle documents, and turns anything that goes
 * wrong while reading into a {@link CorruptLogException} that names the file and position. The one
 * place that touches Chronicle's document API.
 */
final class LogDocuments {
    private final Path directory;
    private byte[] buf = new byte[1 << 16];
    private int length;
    private long index = -1;
    private long offset = -1;
    private Path file;

    LogDocuments(Path directory) {
        this.directory = directory;
        this.file = directory;
    }

    static void write(ExcerptAppender appender, byte[] bytes, int len) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(bytes, 0, len);
        }
    }

    /**
     * Reads the tailer's next complete document into {@link #buffer()}.
     *
     * @return false at the end of the log (including an event a killed writer left unfinished)
     */
    boolean next(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) return false;
            Bytes<?> bytes = dc.wire().bytes();
            index = dc.index();
            offset = bytes.readPosition();
            if (bytes instanceof MappedBytes mapped) file = mapped.mappedFile().file().toPath();
            long remaining = bytes.readRemaining();
            if (remaining > Integer.MAX_VALUE - 16) throw corrupt("document of " + remaining + " bytes");
            length = (int) remaining;
            if (buf.length < length) buf = Arrays.copyOf(buf, Math.max(length, buf.length * 2));
            bytes.read(buf, 0, length);
            return true;
        } catch (CorruptLogException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Chronicle reports damage as assorted runtime exceptions (and an unsafe access into a
            // truncated mapping as an InternalError): none of them should reach our callers raw.
            if (e instanceof Error && !(e instanceof InternalError)) throw (Error) e;
            throw new CorruptLogException(file, index, offset, "cannot read the next event after this position: " + e, e);
        }
    }

    /** Positions the tailer at {@code logIndex} and reads that document. */
    void read(ExcerptTailer tailer, long logIndex) {
        boolean found;
        try {
            found = tailer.moveToIndex(logIndex);
        } catch (RuntimeException e) {
            throw new CorruptLogException(directory, logIndex, -1, "cannot seek: " + e, e);
        }
        if (!found || !next(tailer) || index != logIndex) {
            throw new CorruptLogException(directory, logIndex, -1, "event vanished from the log");
        }
    }

    byte[] buffer() {
        return buf;
    }

    int length() {
        return length;
    }

    long index() {
        return index;
    }

    CorruptLogException corrupt(FormatException e) {
        return new CorruptLogException(file, index, offset, e.getMessage(), e);
    }

    CorruptLogException corrupt(String what) {
        return new CorruptLogException(file, index, offset, what);
    }
}
