package dev.tracedb.store.export;

/**
 * Which part of the execution stream to export, in block events — from {@code from}, at most
 * {@code count} events ({@code count < 0}: to the end) — and whether each row also carries its
 * position ({@code block_event} and {@code instruction}, 16 more bytes per row).
 */
public record ExecWindow(long from, long count, boolean positions) {
    public static final ExecWindow ALL = new ExecWindow(0, -1, false);

    public ExecWindow {
        if (from < 0) throw new IllegalArgumentException("--from must be >= 0, not " + from);
    }

    /** One past the last block event to export, for a stream of {@code events} block events. */
    long end(long events) {
        return count < 0 ? events : Math.min(events, from + count);
    }
}
