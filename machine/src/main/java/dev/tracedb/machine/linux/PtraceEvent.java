package dev.tracedb.machine.linux;

/** The {@code PTRACE_EVENT_*} stops, reported in bits 16..23 of a wait status. */
public enum PtraceEvent {
    FORK(1),
    VFORK(2),
    CLONE(3),
    EXEC(4),
    VFORK_DONE(5),
    EXIT(6),
    SECCOMP(7);

    final int code;

    PtraceEvent(int code) {
        this.code = code;
    }

    static PtraceEvent of(int code) {
        for (PtraceEvent event : values()) {
            if (event.code == code) {
                return event;
            }
        }
        throw new IllegalArgumentException("unknown ptrace event " + code);
    }
}
