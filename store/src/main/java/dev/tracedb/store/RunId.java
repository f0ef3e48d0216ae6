package dev.tracedb.store;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The id of a run: {@code r} followed by a zero-padded decimal sequence number, e.g. {@code r0007}.
 * Short enough to type, and sortable as text because the sequence is padded to at least four digits
 * (ids beyond {@code r9999} get longer, and {@link #compareTo} orders by number, not by text).
 */
public record RunId(long sequence) implements Comparable<RunId> {
    private static final Pattern FORMAT = Pattern.compile("r(\\d{4,18})");

    public RunId {
        if (sequence < 1) throw new IllegalArgumentException("run sequence must be >= 1: " + sequence);
    }

    /** Parses {@code r0007}; throws {@link IllegalArgumentException} for anything else. */
    public static RunId parse(String text) {
        Objects.requireNonNull(text, "text");
        if (!FORMAT.matcher(text).matches()) throw new IllegalArgumentException("not a run id: " + text);
        return new RunId(Long.parseLong(text.substring(1)));
    }

    /** True if {@code text} has the shape of a run id. */
    public static boolean isRunId(String text) {
        return text != null && FORMAT.matcher(text).matches();
    }

    /** The id after this one. */
    public RunId next() {
        return new RunId(sequence + 1);
    }

    @Override
    public int compareTo(RunId other) {
        return Long.compare(sequence, other.sequence);
    }

    @Override
    public String toString() {
        return String.format("r%04d", sequence);
    }
}
