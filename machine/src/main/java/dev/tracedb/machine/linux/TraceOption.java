package dev.tracedb.machine.linux;

import java.util.EnumSet;
import java.util.Set;

/** {@code PTRACE_O_*} options given to {@code PTRACE_SEIZE}. */
public enum TraceOption {
    /** Syscall stops report SIGTRAP|0x80, so they cannot be mistaken for a real SIGTRAP. */
    TRACESYSGOOD(0x1),
    /** Auto-attach children created by fork and stop at {@link PtraceEvent#FORK}. */
    TRACEFORK(0x2),
    TRACEVFORK(0x4),
    /** Auto-attach new threads and stop at {@link PtraceEvent#CLONE}. */
    TRACECLONE(0x8),
    /** Stop at {@link PtraceEvent#EXEC} instead of the legacy post-exec SIGTRAP. */
    TRACEEXEC(0x10),
    TRACEVFORKDONE(0x20),
    /** Stop at {@link PtraceEvent#EXIT} while the exiting process's memory is still readable. */
    TRACEEXIT(0x40),
    TRACESECCOMP(0x80),
    /** The kernel kills the tracee when the tracer thread ends, e.g. when the JVM dies. */
    EXITKILL(0x100000);

    final int bit;

    TraceOption(int bit) {
        this.bit = bit;
    }

    /**
     * EXITKILL, TRACEEXEC, TRACEEXIT and TRACESYSGOOD. Following forks and threads is not in the
     * default set: auto-attached children stop at birth and stay stopped until someone takes them
     * over ({@link Tracee#autoAttached}) and waits for them, as the recorder does; a user of the
     * defaults need not.
     */
    public static Set<TraceOption> defaults() {
        return EnumSet.of(EXITKILL, TRACEEXEC, TRACEEXIT, TRACESYSGOOD);
    }

    static long bits(Set<TraceOption> options) {
        long bits = 0;
        for (TraceOption option : options) {
            bits |= option.bit;
        }
        return bits;
    }
}
