package dev.tracedb.machine.linux;

/**
 * A Linux signal number with its conventional name. Numbers are those of x86-64 Linux.
 */
public record Signal(int number) {
    private static final String[] NAMES = {
        null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
        "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
        "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    };
    private static final int SIGRTMIN = 34;
    private static final int NSIG = 64;

    public static final Signal SIGILL = new Signal(4);
    public static final Signal SIGTRAP = new Signal(5);
    public static final Signal SIGABRT = new Signal(6);
    public static final Signal SIGBUS = new Signal(7);
    public static final Signal SIGFPE = new Signal(8);
    public static final Signal SIGKILL = new Signal(9);
    public static final Signal SIGSEGV = new Signal(11);
    public static final Signal SIGTERM = new Signal(15);
    public static final Signal SIGCHLD = new Signal(17);
    public static final Signal SIGCONT = new Signal(18);
    public static final Signal SIGSTOP = new Signal(19);

    public Signal {
        if (number < 1 || number > NSIG) {
            throw new IllegalArgumentException("not a signal number: " + number);
        }
    }

    public static Signal of(int number) {
        return new Signal(number);
    }

    /** "SIGSEGV", or "SIGRTMIN+3" for real-time signals. */
    public String name() {
        if (number < NAMES.length) {
            return NAMES[number];
        }
        return number >= SIGRTMIN ? "SIGRTMIN+" + (number - SIGRTMIN) : "SIG" + number;
    }

    /** Signals whose default action is to stop the process (and so cause a group-stop). */
    public boolean isStopSignal() {
        return number == 19 || number == 20 || number == 21 || number == 22;
    }

    @Override
    public String toString() {
        return name();
    }
}
