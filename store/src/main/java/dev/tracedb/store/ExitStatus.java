package dev.tracedb.store;

/** How the recorded program ended: an exit code, or the signal that terminated it. */
public record ExitStatus(Kind kind, int value) {
    /** Which of the two ways a Linux process can end. */
    public enum Kind {
        /** {@code value} is the exit code (0..255). */
        EXITED,
        /** {@code value} is the terminating signal number. */
        SIGNALED
    }

    public ExitStatus {
        if (kind == null) throw new IllegalArgumentException("kind is null");
    }

    public static ExitStatus exited(int code) {
        return new ExitStatus(Kind.EXITED, code);
    }

    public static ExitStatus killedBy(int signo) {
        return new ExitStatus(Kind.SIGNALED, signo);
    }

    @Override
    public String toString() {
        return kind == Kind.EXITED ? "exit " + value : "signal " + value;
    }
}
