package dev.tracedb.machine.linux;

/**
 * The fields of x86-64 {@code struct user_regs_struct} ({@code sys/user.h}), in memory order:
 * {@link #ordinal()} times 8 is the field's byte offset.
 */
public enum Register {
    R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI,
    /** The syscall number at a syscall stop; -1 outside a syscall. Writing it alters restarts. */
    ORIG_RAX,
    RIP, CS, EFLAGS, RSP, SS, FS_BASE, GS_BASE, DS, ES, FS, GS;

    /** Size of {@code user_regs_struct} in bytes. */
    public static final int STRUCT_SIZE = 27 * 8;

    int offset() {
        return ordinal() * 8;
    }
}
