package dev.tracedb.store.format;

/**
 * Versions of the run-log and catalog format. Every event carries the version it was written with,
 * so a reader can tell a log it does not understand from a damaged one. Add a constant for each
 * incompatible change; never renumber.
 */
public enum FormatVersion {
    /**
     * Version 1 (TraceDB 0.1): events framed as {@code [type u8][version u8][payload][crc32c u32]},
     * little-endian; execution batches encoded as described by {@link BatchEncoding}.
     */
    V1(1);

    /** What writers write. */
    public static final FormatVersion CURRENT = V1;

    private final int code;

    FormatVersion(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The version with this code, or {@code null} if this build does not know it. */
    public static FormatVersion ofCode(int code) {
        for (FormatVersion v : values()) {
            if (v.code == code) return v;
        }
        return null;
    }
}
