package dev.tracedb.machine.linux;

/** How to restart a stopped tracee. */
public enum Resume {
    /** {@code PTRACE_CONT}: run until the next signal, event or exit. */
    CONTINUE(LibC.PTRACE_CONT),
    /** {@code PTRACE_SYSCALL}: also stop at the next syscall entry or exit. */
    SYSCALL(LibC.PTRACE_SYSCALL),
    /** {@code PTRACE_SINGLESTEP}: execute one instruction and stop with SIGTRAP. */
    SINGLESTEP(LibC.PTRACE_SINGLESTEP);

    final long request;

    Resume(long request) {
        this.request = request;
    }
}
