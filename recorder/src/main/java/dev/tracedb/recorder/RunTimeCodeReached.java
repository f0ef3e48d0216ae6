package dev.tracedb.recorder;

/**
 * Execution reached executable memory that is not a file's: code generated at run time (a JIT's,
 * such as PCRE2's under {@code grep -P}). A run's blocks are defined relative to a module, and such
 * code has none, so it is not recorded. The recording engines step aside there rather than kill
 * the program (the process, at that exact address with its registers as natively, is let go and
 * runs the code natively; see {@link #stepAsideReason}); where the program cannot be let go (an
 * expansion, which must not redo the recorded effects) this is thrown as the refusal it is.
 */
public final class RunTimeCodeReached extends RecordingStoppedException {
    private static final long serialVersionUID = 1L;

    private final long address;
    private final String mapping;

    /** {@code mapping}: how /proc/PID/maps shows the memory, e.g. {@code "anonymous executable memory (r-xp 0x7f..-0x7f..)"}. */
    public RunTimeCodeReached(long address, String mapping) {
        super(String.format("execution reached 0x%x in %s: code generated at run time (JIT)"
                + " is not recorded", address, mapping));
        this.address = address;
        this.mapping = mapping;
    }

    public long address() {
        return address;
    }

    /** The one line for a recording that stepped aside there: what, where, and that the program went on. */
    public String stepAsideReason() {
        return String.format("execution reached code generated at run time (JIT) at 0x%x, in %s,"
                + " which a run does not record: recording stopped there", address, mapping);
    }
}
