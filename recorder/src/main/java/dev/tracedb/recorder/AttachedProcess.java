package dev.tracedb.recorder;

import dev.tracedb.machine.linux.ErrnoException;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A running process to record: what {@code RunStarted} says about it (argv, working directory,
 * environment, from {@code /proc/PID}), and the attach itself, which refuses a multi-threaded
 * process (one run records one thread). Immutable; {@link #attach} on the tracer thread.
 */
record AttachedProcess(int pid, List<String> argv, String workingDirectory, List<String> environment) {

    /** Reads {@code /proc/PID}; one clear line if there is no such process or it is not ours to read. */
    static AttachedProcess read(int pid) {
        Path proc = Path.of("/proc", Integer.toString(pid));
        if (pid <= 0 || !Files.isDirectory(proc)) {
            throw new AttachException("no such process: " + pid);
        }
        try {
            List<String> argv = strings(Files.readAllBytes(proc.resolve("cmdline")));
            if (argv.isEmpty()) {
                throw new AttachException("process " + pid + " has no command line (a kernel thread or a zombie)");
            }
            return new AttachedProcess(pid, argv, Files.readSymbolicLink(proc.resolve("cwd")).toString(),
                    strings(Files.readAllBytes(proc.resolve("environ"))));
        } catch (NoSuchFileException gone) {
            throw new AttachException("no such process: " + pid);
        } catch (IOException e) {
            throw new AttachException("cannot read /proc/" + pid + " (" + e.getMessage()
                    + "): process " + pid + " is not yours to record");
        }
    }

    /**
     * Seizes and stops the process, with every child auto-attached ({@link ChildProcesses#OPTIONS});
     * detaches again and refuses if it has more than one thread. Its threads are counted once it is
     * stopped, so none can appear between the count and the recording.
     */
    Tracee attach(Tracer tracer) {
        Tracee tracee;
        try {
            tracee = Tracee.attach(tracer, pid, ChildProcesses.OPTIONS);
        } catch (ErrnoException e) {
            throw new AttachException("cannot attach to process " + pid + ": " + e.getMessage());
        } catch (IllegalStateException ended) {
            throw new AttachException("process " + pid + " ended while attaching");
        }
        long threads = threads();
        if (threads != 1) {
            tracee.detach();
            throw new AttachException("process " + pid + " has " + threads + " threads: only single-threaded"
                    + " processes can be recorded (one run records one thread); left as it was");
        }
        return tracee;
    }

    private long threads() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Integer.toString(pid), "task"))) {
            return tasks.count();
        } catch (IOException e) {
            throw new AttachException("cannot count the threads of process " + pid + ": " + e.getMessage());
        }
    }

    private static List<String> strings(byte[] nulSeparated) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < nulSeparated.length; i++) {
            if (nulSeparated[i] == 0) {
                out.add(new String(nulSeparated, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        if (from < nulSeparated.length) {
            out.add(new String(nulSeparated, from, nulSeparated.length - from, StandardCharsets.UTF_8));
        }
        return out;
    }
}
