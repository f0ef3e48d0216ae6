package dev.tracedb.store;

import java.nio.file.Path;

/**
 * A log file is damaged: an event's checksum does not match, an event cannot be decoded, the batch
 * sequence has a gap, or the file is truncated or unreadable. Names the file and the position so a
 * human can look at the bytes; never thrown for a run that merely ended early (that is incomplete).
 */
public class CorruptLogException extends StoreException {
    private final Path file;
    private final long index;
    private final long offset;

    /**
     * @param file   the damaged file (a {@code .cq4} file, or the log directory if unknown)
     * @param index  the event's index in the log, or -1 if unknown
     * @param offset the byte offset of the event in {@code file}, or -1 if unknown
     * @param what   what is wrong
     */
    public CorruptLogException(Path file, long index, long offset, String what, Throwable cause) {
        super(describe(file, index, offset, what), cause);
        this.file = file;
        this.index = index;
        this.offset = offset;
    }

    public CorruptLogException(Path file, long index, long offset, String what) {
        this(file, index, offset, what, null);
    }

    private static String describe(Path file, long index, long offset, String what) {
        StringBuilder sb = new StringBuilder("corrupt log ").append(file);
        if (index >= 0) sb.append(" at index 0x").append(Long.toHexString(index));
        if (offset >= 0) sb.append(" (byte offset ").append(offset).append(')');
        return sb.append(": ").append(what).toString();
    }

    public Path file() {
        return file;
    }

    /** The event's index in the log, or -1 if unknown. */
    public long index() {
        return index;
    }

    /** The event's byte offset in {@link #file()}, or -1 if unknown. */
    public long offset() {
        return offset;
    }
}
