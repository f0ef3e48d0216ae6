package dev.tracedb.cli;

import com.sun.jna.Native;

/**
 * Whether tracedb's own output goes to a terminal, asked of libc's {@code isatty}: a progress
 * line that rewrites itself with {@code \r} belongs on a terminal only, whatever stdin and stdout
 * are ({@code System.console()} answers for those two, not for stderr). Thread-safe.
 */
final class Terminals {
    static {
        Native.register("c");
    }

    private Terminals() {
    }

    private static native int isatty(int fd);

    static boolean stderrIsTerminal() {
        return isatty(2) == 1;
    }
}
