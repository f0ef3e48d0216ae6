package dev.tracedb.recorder;

import static dev.tracedb.machine.linux.SyscallNumber.MMAP;
import static dev.tracedb.machine.linux.SyscallNumber.MPROTECT;
import static dev.tracedb.machine.linux.SyscallNumber.MREMAP;
import static dev.tracedb.machine.linux.SyscallNumber.MUNMAP;
import static dev.tracedb.machine.linux.SyscallNumber.PKEY_MPROTECT;

import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * The one rule both engines follow for self-modifying code in a file's mapping: <em>before the
 * program can write code that a run defines by its module and offset, the recording steps
 * aside</em>. A block is decoded once, when it first runs; the DBI engine then runs its translation
 * from the code cache, so code rewritten afterwards would run stale (the program would run
 * wrongly), and neither engine's log could say which bytes ran. Code in anonymous memory (JIT) is
 * {@link RunTimeCodeReached} instead, met where execution reaches it.
 *
 * <p>Looked at before the call runs (the DBI engine's syscall vetting trap, the step engine before
 * its single-step), from the arguments in registers and {@code /proc/PID/maps} as they stand then:
 * <ul>
 * <li>{@code mprotect}/{@code pkey_mprotect} adding {@code PROT_WRITE} to (part of) an executable
 *     mapping of a file (or the vDSO): the program could rewrite code in place;</li>
 * <li>{@code mprotect}/{@code pkey_mprotect} adding {@code PROT_EXEC} to (part of) a file mapping
 *     that is writable or made so by the same call: code written through it would be run;</li>
 * <li>{@code mmap} of a file ({@code MAP_ANONYMOUS} not set) both writable and executable;</li>
 * <li>{@code mmap} with {@code MAP_FIXED} over executable code of a module the run has entered
 *     ({@link EnteredCode}): the old code's translations would stand for the new bytes.</li>
 * </ul>
 * ld.so's start-up does none of these: its RELRO {@code mprotect}s make data read-only, and the
 * segments it maps with {@code MAP_FIXED} land on a library's reservation, which no code has run
 * from yet. Not seen here: a file's code rewritten through {@code write} or through another
 * process's mapping.
 *
 * <p>For the DBI engine only, {@link #unmapReason}: {@code munmap} or {@code mremap} of code of a
 * module the run has entered. Its code cache keeps a translation per original address and never
 * drops one, so another file mapped there later (a library {@code dlclose}d, another
 * {@code dlopen}ed at the same address) would run the first one's translations. The step engine
 * decodes afresh after such a call ({@code BlockTable.forget}) and its log stays unambiguous (a block
 * names its module, a module is a path at a base, and a block carries its bytes), so it records on.
 *
 * <p>Stateless apart from its two inputs; call from the tracer thread.
 */
public final class CodeWrites {
    private static final long PROT_WRITE = 0x2;
    private static final long PROT_EXEC = 0x4;
    private static final long MAP_FIXED = 0x10;
    private static final long MAP_ANONYMOUS = 0x20;
    private static final long MREMAP_FIXED = 0x2;
    private static final long PAGE = 4096;

    /** Whether the run has entered code of a module that overlaps {@code [start, end)}. */
    @FunctionalInterface
    public interface EnteredCode {
        boolean overlaps(long start, long end);
    }

    private final int pid;
    private final EnteredCode entered;

    public CodeWrites(int pid, EnteredCode entered) {
        this.pid = pid;
        this.entered = entered;
    }

    /** Whether syscall {@code number} may need the check: cheap, for the engines' fast path. */
    public static boolean concerns(long number) {
        return number == MPROTECT || number == PKEY_MPROTECT || number == MMAP;
    }

    /**
     * The one line for the user if syscall {@code number} with arguments {@code args} (rdi, rsi,
     * rdx, r10, r8, r9), not yet run, would let the program write code it may run: the recording
     * steps aside there. Null if it would not.
     */
    public String stepAsideReason(long number, long[] args) {
        if (!concerns(number) || args[1] == 0) {
            return null;
        }
        long start = args[0] & -PAGE;
        long end = args[0] + args[1] + PAGE - 1 & -PAGE;
        long prot = args[2];
        String call = number == PKEY_MPROTECT ? "pkey_mprotect" : number == MPROTECT ? "mprotect" : "mmap";
        if (number == MMAP) {
            long flags = args[3];
            if ((flags & MAP_ANONYMOUS) == 0 && (prot & PROT_WRITE) != 0 && (prot & PROT_EXEC) != 0) {
                // Where it lands is the kernel's choice unless MAP_FIXED: the line names the file and the length.
                return String.format("the program maps a file writable and executable (mmap %s of %s, 0x%x bytes):"
                        + " self-modifying code is not recorded; recording stopped before the call ran",
                        protection(prot), openFile(args[4]), args[1]);
            }
            if ((flags & MAP_FIXED) == 0 || !entered.overlaps(start, end)) {
                return null;
            }
            MemoryMapping code = first(overlapping(start, end), m -> m.isExecutable() && isFileCode(m));
            return code == null ? null : reason(call, start, end, prot, "maps over its own code", code);
        }
        if ((prot & (PROT_WRITE | PROT_EXEC)) == 0) {
            return null;
        }
        List<MemoryMapping> mappings = overlapping(start, end); // read once for both checks
        if ((prot & PROT_WRITE) != 0) {
            MemoryMapping code = first(mappings, m -> m.isExecutable() && isFileCode(m));
            if (code != null) {
                return reason(call, start, end, prot, "makes its own code writable", code);
            }
        }
        if ((prot & PROT_EXEC) != 0) {
            MemoryMapping writable = first(mappings, m -> m.isFileBacked() && (m.isWritable() || (prot & PROT_WRITE) != 0));
            if (writable != null) {
                return reason(call, start, end, prot, "makes a writable file mapping executable", writable);
            }
        }
        return null;
    }

    /**
     * For the DBI engine: the one line for the user if syscall {@code number} with arguments
     * {@code args}, not yet run, would unmap or move code of a module the run has entered (a
     * {@code munmap}, or an {@code mremap} of it or onto it): the recording steps aside there, since
     * a later mapping at those addresses would need fresh translations. Null if it would not. Reads
     * {@code /proc/PID/maps} only when the range holds entered code.
     */
    public String unmapReason(long number, long[] args) {
        if (number == MUNMAP && args[1] != 0) {
            return unmapReason("munmap", "unmaps", args[0], args[1]);
        }
        if (number != MREMAP) {
            return null;
        }
        String moved = args[1] == 0 ? null : unmapReason("mremap", "moves or resizes", args[0], args[1]);
        if (moved == null && (args[3] & MREMAP_FIXED) != 0 && args[2] != 0) {
            return unmapReason("mremap", "remaps over", args[4], args[2]);
        }
        return moved;
    }

    private String unmapReason(String call, String what, long address, long length) {
        long start = address & -PAGE;
        long end = address + length + PAGE - 1 & -PAGE;
        if (!entered.overlaps(start, end)) {
            return null;
        }
        MemoryMapping code = first(overlapping(start, end),
                m -> m.isExecutable() && isFileCode(m) && entered.overlaps(m.start(), m.end()));
        if (code == null) {
            return null;
        }
        return String.format("the program %s code it ran (%s 0x%x-0x%x over %s %s 0x%x-0x%x): a later mapping there"
                + " would need fresh translations, which this engine does not make; recording stopped before the call ran",
                what, call, start, end, code.path().orElse("anonymous"), code.permissions(), code.start(), code.end());
    }

    private static boolean isFileCode(MemoryMapping m) {
        return m.isFileBacked() || m.path().filter("[vdso]"::equals).isPresent();
    }

    /** The tracee's mappings that overlap {@code [start, end)}, from {@code /proc/PID/maps} now. */
    private List<MemoryMapping> overlapping(long start, long end) {
        return ProcMaps.read(pid).stream()
                .filter(m -> Long.compareUnsigned(m.start(), end) < 0 && Long.compareUnsigned(start, m.end()) < 0)
                .toList();
    }

    private static MemoryMapping first(List<MemoryMapping> mappings, Predicate<MemoryMapping> which) {
        return mappings.stream().filter(which).findFirst().orElse(null);
    }

    private static String reason(String call, long start, long end, long prot, String what, MemoryMapping mapping) {
        return String.format("the program %s (%s 0x%x-0x%x %s over %s %s 0x%x-0x%x): self-modifying code is not"
                + " recorded; recording stopped before the call ran", what, call, start, end, protection(prot),
                mapping.path().orElse("anonymous"), mapping.permissions(), mapping.start(), mapping.end());
    }

    /** The file open as the tracee's descriptor {@code fd}, or {@code fd N} if it cannot be read. */
    private String openFile(long fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "fd", Long.toString(fd))).toString();
        } catch (IOException | RuntimeException e) {
            return "fd " + fd;
        }
    }

    private static String protection(long prot) {
        return ((prot & 1) != 0 ? "r" : "-") + ((prot & PROT_WRITE) != 0 ? "w" : "-") + ((prot & PROT_EXEC) != 0 ? "x" : "-");
    }
}
