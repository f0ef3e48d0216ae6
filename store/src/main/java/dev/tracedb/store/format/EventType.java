package dev.tracedb.store.format;

/** The first byte of every framed event. Codes are on-disk values and never change. */
public enum EventType {
    RUN_STARTED(1),
    MODULE_MAPPED(2),
    BLOCK_DEFINED(3),
    EXEC_BATCH(4),
    SYSCALL_RESULT(5),
    SIGNAL_DELIVERED(6),
    RUN_ENDED(7),
    /** Inputs-only runs: bytes the kernel wrote into the program's memory. */
    MEMORY_WRITTEN(8),
    /** Inputs-only runs: the file behind a file-backed mmap. */
    FILE_MAPPED(9),
    /** Inputs-only runs: an rdtsc or rdtscp and the value it read. */
    TIMESTAMP_READ(10),
    /** Marks a run that logs the program's inputs only, without blocks (right after RUN_STARTED). */
    INPUTS_ONLY(11),
    /**
     * Inputs-only runs: the recording stopped at a point after the last input that the log cannot
     * place (a signal that arrived between syscalls); written last, no payload.
     */
    UNPLACED_STOP(12),
    /** Value probes: the sites a run samples, and the block event sampling starts at. */
    PROBE_SITES(13),
    /** Value probes: a chunk of samples (block event, site, value), in execution order. */
    PROBE_SAMPLES(14),
    /** Value probes: where the window ends, and whether the sample budget cut it off. */
    PROBE_WINDOW_END(15),
    /** Catalog: a run was created. */
    RUN_CREATED(16),
    /** Catalog: a run ended normally. */
    RUN_CLOSED(17);

    private static final EventType[] BY_CODE = new EventType[256];

    static {
        for (EventType t : values()) BY_CODE[t.code] = t;
    }

    private final int code;

    EventType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type with this code, or {@code null} if unknown. */
    public static EventType ofCode(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
