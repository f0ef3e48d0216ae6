package dev.tracedb.recorder;

import static dev.tracedb.machine.linux.SyscallNumber.COPY_FILE_RANGE;
import static dev.tracedb.machine.linux.SyscallNumber.PWRITE64;
import static dev.tracedb.machine.linux.SyscallNumber.PWRITEV;
import static dev.tracedb.machine.linux.SyscallNumber.PWRITEV2;
import static dev.tracedb.machine.linux.SyscallNumber.SENDFILE;
import static dev.tracedb.machine.linux.SyscallNumber.SPLICE;
import static dev.tracedb.machine.linux.SyscallNumber.WRITE;
import static dev.tracedb.machine.linux.SyscallNumber.WRITEV;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Code rewritten through a descriptor: a call that writes to a file ({@code write},
 * {@code pwrite64}, {@code writev}, {@code pwritev}, {@code pwritev2}, and as their destination
 * {@code sendfile}, {@code splice}, {@code copy_file_range}) whose file backs an executable mapping
 * of code the run has entered, or that is the process's own {@code /proc/PID/mem} (the kernel writes
 * through it to any page, read-execute code included, without an {@code mprotect}). The new bytes
 * show up in a shared mapping, and in a private one's pages that were only read (they are the file's
 * pages), so the code that runs next may not be the code the run decoded: one of {@link CodeWrites}'
 * rules, for both engines.
 *
 * <p>Kept cheap, since writes are frequent: one {@code stat} of {@code /proc/PID/fd/N} per such
 * call with something to write; only a regular file whose inode is one of the entered code's
 * ({@link CodeWrites.EnteredCode#holdsCodeOf}, no maps read) leads to one read of
 * {@code /proc/PID/maps}, for the mapping the line names, and only a file on procfs to one
 * {@code readlink}. Inodes are compared without the device: on overlayfs a descriptor's
 * {@code stat} gives the overlay's device while {@code /proc/PID/maps} gives the layer's. A file
 * elsewhere with the same inode number then ends the recording early, which is safe; missing a
 * write would not be.
 *
 * <p>Wherever in the file the write lands, it counts: the position of a {@code write} is the
 * descriptor's, and no ordinary program writes to a file it runs code from.
 */
final class CodeFileWrites {
    /** {@code S_IFMT} and {@code S_IFREG} of {@code st_mode}: only a regular file (a memfd is one) can be mapped code. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    /** A call that writes to a file: its name, and which argument holds the destination descriptor and the length. */
    private record WriteCall(String name, int descriptorArgument, int lengthArgument) {}

    private static final Map<Long, WriteCall> WRITE_CALLS = Map.of(
            (long) WRITE, new WriteCall("write", 0, 2),
            (long) PWRITE64, new WriteCall("pwrite64", 0, 2),
            (long) WRITEV, new WriteCall("writev", 0, 2),
            (long) PWRITEV, new WriteCall("pwritev", 0, 2),
            (long) PWRITEV2, new WriteCall("pwritev2", 0, 2),
            (long) SENDFILE, new WriteCall("sendfile", 0, 3),
            (long) SPLICE, new WriteCall("splice", 2, 4),
            (long) COPY_FILE_RANGE, new WriteCall("copy_file_range", 2, 4));

    private final int pid;
    private final CodeWrites.EnteredCode entered;
    /** procfs's device, or -1 if unknown: a descriptor on it may be the process's own memory. */
    private final long procDevice;
    /** What {@code /proc/PID/fd/N} links to when N is open on this process's memory (or one of its threads'). */
    private final Pattern ownMemory;

    CodeFileWrites(int pid, CodeWrites.EnteredCode entered) {
        this.pid = pid;
        this.entered = entered;
        this.procDevice = deviceOf(Path.of("/proc"));
        this.ownMemory = Pattern.compile("/proc/" + pid + "(/task/\\d+)?/mem");
    }

    /** Whether syscall {@code number} writes to a descriptor's file. */
    static boolean concerns(long number) {
        return WRITE_CALLS.containsKey(number);
    }

    /**
     * What is wrong if syscall {@code number} with arguments {@code args}, not yet run, would write
     * to the file of code the run has entered or to the process's own memory; null if it would not.
     */
    String cause(long number, long[] args) {
        WriteCall call = WRITE_CALLS.get(number);
        // A length of 0 writes nothing.
        if (call == null || args[call.lengthArgument()] == 0) {
            return null;
        }
        int fd = (int) args[call.descriptorArgument()];
        Map<String, Object> stat = regularFileStat(fd);
        if (stat == null) {
            return null;
        }
        MemoryMapping code = enteredCodeOf(stat);
        if (code != null) {
            return String.format("the program writes to the file of code it ran (%s to fd %d, %s): self-modifying code"
                    + " is not recorded", call.name(), fd, CodeWrites.describe(code));
        }
        String memory = (Long) stat.get("dev") == procDevice ? ownMemoryLink(descriptorPath(fd)) : null;
        return memory == null ? null : String.format("the program writes to its own memory (%s to fd %d, %s): self-modifying"
                + " code is not recorded", call.name(), fd, memory);
    }

    /**
     * What is wrong if an {@code mmap} of descriptor {@code fdArgument} (its low 32 bits, as the
     * kernel reads it), shared and writable, not yet run, maps the file of code the run has entered:
     * stores through that second mapping rewrite the code (the same pages). Null if it does not.
     */
    String sharedWritableMappingCause(long fdArgument, long length) {
        int fd = (int) fdArgument;
        Map<String, Object> stat = regularFileStat(fd);
        MemoryMapping code = stat == null ? null : enteredCodeOf(stat);
        return code == null ? null : String.format("the program maps the file of code it ran shared and writable (mmap"
                + " of fd %d, 0x%x bytes; %s): self-modifying code is not recorded", fd, length, CodeWrites.describe(code));
    }

    /**
     * An executable mapping of entered code from the file {@code stat} describes, or null: not a file
     * of entered code (no maps read), or its code unmapped since (nothing that ran can change).
     */
    private MemoryMapping enteredCodeOf(Map<String, Object> stat) {
        long inode = (Long) stat.get("ino");
        if (!entered.holdsCodeOf(inode)) {
            return null;
        }
        return ProcMaps.read(pid).stream()
                .filter(m -> m.isExecutable() && m.isFileBacked() && m.inode() == inode && entered.overlaps(m.start(), m.end()))
                .findFirst().orElse(null);
    }

    private Path descriptorPath(int fd) {
        return Path.of("/proc", Integer.toString(pid), "fd", Integer.toString(fd));
    }

    /**
     * The ino, mode and dev of the regular file open as the tracee's descriptor {@code fd}, or null:
     * negative (the kernel reads a descriptor as 32 bits; such a call fails with EBADF), not open, or
     * not a regular file.
     */
    private Map<String, Object> regularFileStat(int fd) {
        if (fd < 0) {
            return null;
        }
        try {
            Map<String, Object> stat = Files.readAttributes(descriptorPath(fd), "unix:ino,mode,dev");
            return ((Integer) stat.get("mode") & S_IFMT) == S_IFREG ? stat : null;
        } catch (IOException | RuntimeException e) {
            return null; // not an open descriptor: the call fails with EBADF and writes nothing
        }
    }

    /** The descriptor's target if it is this process's memory file, else null. */
    private String ownMemoryLink(Path descriptor) {
        try {
            String target = Files.readSymbolicLink(descriptor).toString();
            return ownMemory.matcher(target).matches() ? target : null;
        } catch (IOException | RuntimeException e) {
            return null; // closed meanwhile: the call fails with EBADF
        }
    }

    private static long deviceOf(Path path) {
        try {
            return (Long) Files.getAttribute(path, "unix:dev");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
