package dev.tracedb.recorder.step;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a process has a handler for a signal, from the {@code SigCgt} mask of
 * {@code /proc/PID/status}. The step engine needs it to know what passing a signal on will do: a
 * caught signal enters its handler without executing an instruction, any other is ignored (the
 * next instruction runs in the same step) or ends the process.
 */
final class SignalDispositions {

    private SignalDispositions() {}

    static boolean isCaught(int pid, int signo) {
        Path status = Path.of("/proc", Integer.toString(pid), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("SigCgt:")) {
                    long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (mask >>> (signo - 1) & 1) != 0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + status, e);
        }
        throw new IllegalStateException(status + " has no SigCgt line");
    }
}
