package dev.tracedb.store;

/**
 * How a basic block ends. The code of each constant is its on-disk value and never changes; new
 * kinds get new codes.
 */
public enum Terminator {
    /** The block ends without a branch (it was split, e.g. at a jump target). */
    FALL_THROUGH(0),
    /** Unconditional direct jump. */
    JUMP(1),
    /** Conditional direct branch: two possible successors. */
    CONDITIONAL(2),
    /** Direct call. */
    CALL(3),
    /** Jump through a register or memory. */
    INDIRECT_JUMP(4),
    /** Call through a register or memory. */
    INDIRECT_CALL(5),
    /** {@code ret}. */
    RETURN(6),
    /** {@code syscall} (and {@code int 0x80}, {@code sysenter}). */
    SYSCALL(7),
    /** Anything else that ends a block (e.g. {@code hlt}, {@code ud2}, an unsupported instruction). */
    OTHER(8);

    private static final Terminator[] BY_CODE = values();

    private final int code;

    Terminator(int code) {
        this.code = code;
    }

    /** The stable on-disk value. */
    public int code() {
        return code;
    }

    /** The constant with this on-disk value; {@link IllegalArgumentException} for unknown codes. */
    public static Terminator ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code].code != code) {
            throw new IllegalArgumentException("unknown terminator code " + code);
        }
        return BY_CODE[code];
    }
}
