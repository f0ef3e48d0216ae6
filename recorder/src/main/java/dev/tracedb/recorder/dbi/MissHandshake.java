package dev.tracedb.recorder.dbi;

/**
 * How the tracee asks Java for a block it has not got (a direct exit's target or an indirect
 * branch's lookup miss). System-call traps are ptrace stops either way.
 */
enum MissHandshake {
    /**
     * An {@code int3} in the exit stub: a ptrace stop, GETREGS, translate, SETREGS, continue.
     * Simple and obviously correct; costs a ptrace round trip per miss.
     */
    PTRACE,
    /**
     * A mailbox in the shared region ({@link FutexHandshake}): the tracee posts the request,
     * rings Java's doorbell and spins, then sleeps on a futex; Java, polling its doorbell or
     * sleeping on it, translates and answers through memory. No ptrace call per miss.
     */
    FUTEX;

    /**
     * The handshake recordings use: {@code -Dtracedb.dbi.handshake=futex} selects the futex one (a knob
     * for tests and measurement, not an option of the command); the ptrace one by default.
     */
    static MissHandshake configured() {
        return valueOf(System.getProperty("tracedb.dbi.handshake", "ptrace").toUpperCase(java.util.Locale.ROOT));
    }
}
