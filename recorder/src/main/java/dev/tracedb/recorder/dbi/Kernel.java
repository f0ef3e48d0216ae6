package dev.tracedb.recorder.dbi;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * The two kernel calls the futex handshake needs from Java, direct-mapped through JNA (one call
 * costs ~60 ns): futex on the region's words in this JVM's own mapping (shared futexes, keyed by
 * the file page, so both processes meet on them), and waitid with WNOWAIT, which lets a thread
 * other than the tracer see that the tracee has a ptrace stop pending without consuming it.
 * Thread-safe (stateless).
 */
final class Kernel {
    private static final long SYS_FUTEX = 202;
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int P_PID = 1;
    private static final int WEXITED = 4;
    private static final int WSTOPPED = 2;
    private static final int WNOWAIT = 0x01000000;
    private static final int WALL = 0x40000000;
    private static final int EINTR = 4;

    static {
        Native.register("c");
    }

    private Kernel() {}

    private static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    private static native int waitid(int idtype, int id, com.sun.jna.Pointer info, int options);

    /** Sleeps while the 32-bit word at {@code address} holds {@code expected} (or until woken). */
    static void futexWait(long address, int expected) {
        syscall(SYS_FUTEX, address, FUTEX_WAIT, expected, 0, 0, 0);
    }

    static void futexWake(long address) {
        syscall(SYS_FUTEX, address, FUTEX_WAKE, Integer.MAX_VALUE, 0, 0, 0);
    }

    /**
     * Blocks until process {@code pid} (a tracee of this JVM) has a stop or exit to report,
     * leaving it to be reaped by the tracer's own waitpid. Returns false if there is nothing to
     * wait for (the process is gone and reaped).
     */
    static boolean awaitStopWithoutReaping(int pid) {
        try (Memory info = new Memory(128)) {
            while (true) {
                if (waitid(P_PID, pid, info, WEXITED | WSTOPPED | WNOWAIT | WALL) == 0) {
                    return true;
                }
                if (Native.getLastError() != EINTR) {
                    return false;
                }
            }
        }
    }
}
