package dev.tracedb.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A program started for {@code tracedb record --pid}, not as a child of the test JVM: the JDK's
 * process reaper waits for its own children and would steal their ptrace stops. A shell subshell
 * starts it in the background, writes its pid, waits for it and writes its exit status; the outer
 * shell exits at once, so the subshell is orphaned.
 *
 * @param pid    the program's process id
 * @param stdout the file its stdout goes to
 * @param status the file its exit status goes to, once it has ended
 */
record RunningProgram(int pid, Path stdout, Path status) {
    private static final long TIMEOUT_MS = 120_000;

    static RunningProgram start(Path dir, String... argv) throws IOException, InterruptedException {
        Path out = dir.resolve("program.out");
        Path pid = dir.resolve("program.pid");
        Path status = dir.resolve("program.status");
        // Each file appears complete (written, then renamed) so that polling never reads half of it.
        String script = "( \"$@\" > '" + out + "' 2>&1 & echo $! > '" + pid + ".tmp' && mv '" + pid + ".tmp' '" + pid + "';"
                + " wait $!; echo $? > '" + status + ".tmp' && mv '" + status + ".tmp' '" + status + "' ) &";
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        command.addAll(List.of(argv));
        Process shell = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        shell.waitFor();
        waitFor(pid);
        return new RunningProgram(Integer.parseInt(Files.readString(pid).trim()), out, status);
    }

    /** Waits until the program has printed {@code text}. */
    void awaitOutput(String text) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (!(Files.exists(stdout) && Files.readString(stdout).contains(text))) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the program never printed '" + text + "'");
            }
            Thread.sleep(20);
        }
    }

    /** Waits for the program's end and returns its exit status. */
    int awaitExit() throws IOException, InterruptedException {
        waitFor(status);
        return Integer.parseInt(Files.readString(status).trim());
    }

    private static void waitFor(Path file) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (!Files.exists(file)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + file);
            }
            Thread.sleep(20);
        }
    }
}
