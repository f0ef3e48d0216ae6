package dev.tracedb.store.journal;

import dev.tracedb.store.StoreException;

import java.nio.file.Path;

/**
 * A journal holds bytes no recorder writes: a bad magic, a frame whose CRC does not match, an event
 * an inputs run cannot hold, or events out of order. Names the file and the byte offset of the
 * damaged header or frame, so a human can look at it. Never thrown for a journal that merely ends
 * inside a frame (that is a recording cut short).
 */
public class CorruptJournalException extends StoreException {
    private final Path file;
    private final long offset;

    public CorruptJournalException(Path file, long offset, String what, Throwable cause) {
        super("corrupt journal " + file + " at byte " + offset + ": " + what, cause);
        this.file = file;
        this.offset = offset;
    }

    public CorruptJournalException(Path file, long offset, String what) {
        this(file, offset, what, null);
    }

    public Path file() {
        return file;
    }

    /** Where the damaged header or frame starts (its length field, for a frame). */
    public long offset() {
        return offset;
    }
}
