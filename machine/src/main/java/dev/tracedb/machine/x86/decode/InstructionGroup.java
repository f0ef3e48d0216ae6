package dev.tracedb.machine.x86.decode;

/**
 * Groups an instruction belongs to. Most come from Capstone; {@link #CONDITIONAL}, {@link #SYSCALL}
 * and {@link #TRAP} are ours, and {@link #JUMP} is also given to {@code loop}/{@code loope}/
 * {@code loopne}, which Capstone 4.0.2 puts only in {@link #BRANCH_RELATIVE}.
 */
public enum InstructionGroup {
    /** Any jump: unconditional, conditional (jcc, jrcxz, loop) or indirect. */
    JUMP,
    CALL,
    RET,
    /** Software interrupts and system calls: int, int3, into, syscall, sysenter. */
    INT,
    IRET,
    PRIVILEGE,
    /** Branches whose target is encoded relative to the next instruction: the target is known statically. */
    BRANCH_RELATIVE,
    /** A jump that may fall through: jcc, jrcxz/jecxz, loop, loope, loopne. */
    CONDITIONAL,
    /** Enters the kernel as a system call: syscall, sysenter. */
    SYSCALL,
    /** Never falls through by itself: ud0, ud1, ud2, hlt. */
    TRAP,
    FPU,
    MMX,
    /** Any of SSE1 to SSE4.2, SSSE3, SSE4A. */
    SSE,
    AVX,
    AVX2,
    AVX512,
    FMA,
    AES,
    SHA,
    BMI,
    /** Transactional memory (RTM) instructions: xbegin, xend, xabort, xtest. */
    RTM,
    /** Virtualization (VT-x, AMD-V) instructions. */
    VM;

    /** Whether an instruction in this group ends a basic block. */
    public boolean endsBlock() {
        return switch (this) {
            case JUMP, CALL, RET, INT, IRET, SYSCALL, TRAP, BRANCH_RELATIVE -> true;
            default -> false;
        };
    }
}
