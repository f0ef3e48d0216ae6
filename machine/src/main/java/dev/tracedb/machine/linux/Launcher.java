package dev.tracedb.machine.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a program under ptrace, stopped before its first instruction.
 *
 * <p>The sequence, all on the tracer thread:
 * <ol>
 * <li>Check the program up front (exists, is a regular executable file), so a typo fails with
 *     "no such program: X" before any process exists.
 * <li>{@code posix_spawn} a stand-in: {@code /bin/sh -c 'kill -STOP $$; exit 127'} with an empty
 *     environment. It stops itself at once; {@code waitpid(WUNTRACED)} sees that (it is our
 *     child and not yet traced).
 * <li>{@code PTRACE_SEIZE} it with the options (EXITKILL from here on: if the JVM dies, it
 *     dies), send SIGCONT to end the job-control stop, and then, through
 *     {@link RemoteSyscalls}, make the stand-in call chdir, personality and finally
 *     {@code execve} of the real program with the exact argv and environment.
 * <li>The tracee is left at the syscall-exit-stop of that execve: at the ELF entry (static) or
 *     the dynamic loader's entry, nothing of the program has run. With
 *     {@link LaunchOptions#hideVdso()}, its auxiliary vector no longer offers the vDSO.
 * </ol>
 *
 * <p>Why execve is injected rather than left to the shell ({@code exec "$0" "$@"}): dash sorts
 * the environment it passes on and adds PWD, which changes the program's initial stack; an
 * injected execve passes argv and environment byte for byte, reports the exact errno when exec
 * fails, and lets personality(ADDR_NO_RANDOMIZE) be set in the child alone. The alternatives for
 * ASLR were worse: setting it on the tracer thread around posix_spawn would rely on glibc's
 * spawn inheriting a per-thread attribute, and {@code setarch -R} adds a second exec.
 * No PTRACE_TRACEME, because it requires code in the child between fork and exec, which a JVM
 * cannot run.
 */
final class Launcher {
    static final String SHELL = "/bin/sh";
    static final String STAND_IN_SCRIPT = "kill -STOP $$; exit 127";

    private Launcher() {}

    static Tracee launch(Tracer tracer, LaunchOptions options) {
        tracer.checkThread();
        Path program = resolve(options.program(), options.environment(), options.workingDirectory());
        if (options.workingDirectory() != null && !Files.isDirectory(options.workingDirectory())) {
            throw new LaunchException("no such directory: " + options.workingDirectory());
        }
        int pid = Spawner.spawn(SHELL, List.of("sh", "-c", STAND_IN_SCRIPT), List.of(), options.stdio());
        int[] status = new int[1];
        if (LibC.waitpid(pid, status, LibC.WUNTRACED) == -1) {
            throw LibC.failure("waitpid(" + pid + ", WUNTRACED)");
        }
        StopEvent first = StopEvent.decode(status[0]);
        if (!(first instanceof StopEvent.SignalStop)) {
            throw new LaunchException("the stand-in shell " + SHELL + " did not stop itself: " + first);
        }
        if (LibC.ptrace(LibC.PTRACE_SEIZE, pid, 0, TraceOption.bits(options.traceOptions())) == -1) {
            ErrnoException e = LibC.failure("ptrace(PTRACE_SEIZE, " + pid + ")");
            LibC.kill(pid, Signal.SIGKILL.number());
            LibC.waitpid(pid, status, 0);
            throw e;
        }
        LibC.kill(pid, Signal.SIGCONT.number());
        // A process seized while stopped reports PTRACE_EVENT_STOP at once.
        Tracee tracee = Tracee.launched(tracer, pid, null);
        boolean ok = false;
        try {
            tracee.markRunning();
            StopEvent stop = tracee.waitForStop();
            if (stop.isTerminal()) {
                throw new LaunchException("the stand-in shell ended before exec: " + stop);
            }
            exec(tracee, program, options);
            if (options.hideVdso()) {
                AuxiliaryVector.atExec(tracee).hideVdso();
            }
            ok = true;
            return tracee;
        } finally {
            if (!ok) {
                tracee.close();
            }
        }
    }

    private static void exec(Tracee tracee, Path program, LaunchOptions options) {
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            if (options.workingDirectory() != null) {
                remote.chdir(options.workingDirectory().toAbsolutePath().toString());
            }
            if (options.randomization() == AddressRandomization.DISABLED) {
                int persona = remote.personality(LibC.PERSONALITY_QUERY);
                remote.personality(persona | LibC.ADDR_NO_RANDOMIZE);
            }
            int errno = remote.execve(program.toString(), options.argv(), options.environment());
            if (errno != 0) {
                throw new LaunchException("cannot execute " + program + ": " + ErrnoException.describe(errno));
            }
        }
    }

    /**
     * The program as an absolute path: as given if it contains a slash (relative to the working
     * directory), else the first executable match in the environment's PATH, as execvp does.
     */
    static Path resolve(String program, List<String> environment, Path workingDirectory) {
        Path base = workingDirectory != null ? workingDirectory : Path.of("").toAbsolutePath();
        if (program.contains("/")) {
            return checkExecutable(program, base.resolve(program).normalize());
        }
        String path = "/usr/local/bin:/usr/bin:/bin";
        for (String entry : environment) {
            if (entry.startsWith("PATH=")) {
                path = entry.substring(5);
            }
        }
        for (String dir : path.split(":", -1)) {
            Path candidate = base.resolve(dir.isEmpty() ? "." : dir).resolve(program).normalize();
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new LaunchException("no such program: " + program + " (not found in PATH " + path + ")");
    }

    private static Path checkExecutable(String program, Path file) {
        if (!Files.exists(file)) {
            throw new LaunchException("no such program: " + program);
        }
        if (!Files.isRegularFile(file)) {
            throw new LaunchException("not a regular file: " + program);
        }
        if (!Files.isExecutable(file)) {
            throw new LaunchException("not executable: " + program);
        }
        return file;
    }
}
