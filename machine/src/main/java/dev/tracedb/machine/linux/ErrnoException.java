package dev.tracedb.machine.linux;

/**
 * A Linux system call or libc function failed; carries errno and the call that failed, e.g.
 * {@code ptrace(PTRACE_SEIZE, 4711): Operation not permitted (errno 1)}.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + ": " + describe(errno));
        this.errno = errno;
    }

    /** The error number, as in {@code errno.h}. */
    public int errno() {
        return errno;
    }

    /** "No such file or directory (errno 2)". */
    static String describe(int errno) {
        return LibC.strerror(errno) + " (errno " + errno + ")";
    }
}
