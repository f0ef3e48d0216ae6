package dev.tracedb.machine.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The parts of a {@code siginfo_t} (from {@code PTRACE_GETSIGINFO}) that tell why a signal came.
 *
 * @param signal the signal
 * @param code {@code si_code}: e.g. SEGV_MAPERR (1), TRAP_TRACE (2), SI_USER (0), SI_KERNEL (0x80)
 * @param errno {@code si_errno}, usually 0
 * @param faultAddress {@code si_addr} for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP, else null
 * @param senderPid {@code si_pid} for signals sent by kill/tgkill ({@code code <= 0}), else 0
 */
public record SignalInfo(Signal signal, int code, int errno, RemoteAddress faultAddress, int senderPid) {
    static final int SI_USER = 0;
    static final int SEGV_MAPERR = 1;
    static final int SEGV_ACCERR = 2;

    /** Decodes the 128-byte x86-64 {@code siginfo_t}. */
    static SignalInfo decode(ByteBuffer raw) {
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int signo = b.getInt(0);
        int errno = b.getInt(4);
        int code = b.getInt(8);
        boolean fault = signo == 4 || signo == 5 || signo == 7 || signo == 8 || signo == 11;
        boolean sentByProcess = code <= 0;
        RemoteAddress address = fault && !sentByProcess ? RemoteAddress.of(b.getLong(16)) : null;
        int pid = sentByProcess ? b.getInt(16) : 0;
        return new SignalInfo(Signal.of(signo), code, errno, address, pid);
    }
}
