package dev.tracedb.store.format;

/**
 * Versions of the run-log and catalog format. Every frame carries the version of its own layout, so
 * a reader can tell a log it does not understand from a damaged one. A frame is written at the
 * oldest version whose layout it has: a change to one event's layout bumps that event's frames
 * only, so logs and catalogs without it stay readable by older builds, and a build reads every
 * version up to {@link #LATEST}. Add a constant for each incompatible change; never renumber.
 */
public enum FormatVersion {
    /**
     * Version 1 (TraceDB 0.1): events framed as {@code [type u8][version u8][payload][crc32c u32]},
     * little-endian; execution batches encoded as described by {@link BatchEncoding}.
     */
    V1(1),
    /**
     * Version 2 (TraceDB 0.2): FILE_MAPPED gains the file's inode change time and device; its
     * version 1 layout is still read (those two unknown). Every other frame is unchanged and still
     * written at version 1.
     */
    V2(2),
    /**
     * Version 3 (TraceDB 0.3): the value-probe events PROBE_SITES, PROBE_SAMPLES and
     * PROBE_WINDOW_END, written at version 3 (so an older build names the version it lacks rather
     * than an unknown type), and only in runs recorded with probes; every other frame is unchanged.
     */
    V3(3);

    /** What every frame whose layout has not changed since version 1 is written at. */
    public static final FormatVersion CURRENT = V1;

    /** The newest version this build reads (and writes, for the probe events). */
    public static final FormatVersion LATEST = V3;

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
