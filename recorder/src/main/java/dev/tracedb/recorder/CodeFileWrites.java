package dev.tracedb.recorder;

import static dev.tracedb.machine.linux.SyscallNumber.PWRITE64;
import static dev.tracedb.machine.linux.SyscallNumber.PWRITEV;
import static dev.tracedb.machine.linux.SyscallNumber.PWRITEV2;
import static dev.tracedb.machine.linux.SyscallNumber.WRITE;
import static dev.tracedb.machine.linux.SyscallNumber.WRITEV;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Code rewritten through its file: a {@code write}, {@code pwrite64}, {@code writev},
 * {@code pwritev} or {@code pwritev2} to a descriptor whose file backs an executable mapping of
 * code the run has entered. The new bytes show up in a shared mapping, and in a private one's pages
 * that were only read (they are the file's pages), so the code that runs next may not be the code
 * the run decoded: one of {@link CodeWrites}' rules, for both engines.
 *
 * <p>Kept cheap, since writes are frequent: one {@code stat} of {@code /proc/PID/fd/N} per such
 * call with something to write; only a regular file whose inode is one of the entered code's
 * ({@link CodeWrites.EnteredCode#holdsCodeOf}, no maps read) leads to one read of
 * {@code /proc/PID/maps}, for the mapping the line names. Inodes are compared without the device:
 * on overlayfs a descriptor's {@code stat} gives the overlay's device while {@code /proc/PID/maps}
 * gives the layer's. A file elsewhere with the same inode number then ends the recording early,
 * which is safe; missing a write would not be.
 *
 * <p>Wherever in the file the write lands, it counts: the position of a {@code write} is the
 * descriptor's, and no ordinary program writes to a file it runs code from.
 */
final class CodeFileWrites {
    /** {@code S_IFMT} and {@code S_IFREG} of {@code st_mode}: only a regular file (a memfd is one) can be mapped code. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    private final int pid;
    private final CodeWrites.EnteredCode entered;

    CodeFileWrites(int pid, CodeWrites.EnteredCode entered) {
        this.pid = pid;
        this.entered = entered;
    }

    /** Whether syscall {@code number} writes to a descriptor's file. */
    static boolean concerns(long number) {
        return number == WRITE || number == PWRITE64 || number == WRITEV || number == PWRITEV || number == PWRITEV2;
    }

    /**
     * What is wrong if syscall {@code number} with arguments {@code args}, not yet run, would write
     * to the file of code the run has entered; null if it would not.
     */
    String cause(long number, long[] args) {
        // A count (or iovcnt) of 0 writes nothing; a descriptor out of int range fails with EBADF.
        if (!concerns(number) || args[2] == 0 || args[0] < 0 || args[0] > Integer.MAX_VALUE) {
            return null;
        }
        long inode = regularFileInode(args[0]);
        if (inode < 0 || !entered.holdsCodeOf(inode)) {
            return null;
        }
        MemoryMapping code = ProcMaps.read(pid).stream()
                .filter(m -> m.isExecutable() && m.isFileBacked() && m.inode() == inode && entered.overlaps(m.start(), m.end()))
                .findFirst().orElse(null);
        if (code == null) {
            return null; // its code was unmapped since: nothing that ran can change
        }
        return String.format("the program writes to the file of code it ran (%s to fd %d, %s): self-modifying code is not"
                + " recorded", callName(number), args[0], CodeWrites.describe(code));
    }

    /** The inode of the regular file open as the tracee's descriptor {@code fd}, or -1 (not open, not a regular file). */
    private long regularFileInode(long fd) {
        try {
            Map<String, Object> stat = Files.readAttributes(Path.of("/proc", Integer.toString(pid), "fd", Long.toString(fd)),
                    "unix:ino,mode");
            return ((Integer) stat.get("mode") & S_IFMT) == S_IFREG ? (Long) stat.get("ino") : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // not an open descriptor: the call fails with EBADF and writes nothing
        }
    }

    private static String callName(long number) {
        return number == WRITE ? "write" : number == PWRITE64 ? "pwrite64" : number == WRITEV ? "writev"
                : number == PWRITEV ? "pwritev" : "pwritev2";
    }
}
