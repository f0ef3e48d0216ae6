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
 *     ({@link EnteredCode}): the old code's translations would stand for the new bytes;</li>
 * <li>{@code mmap} of the file of code the run has entered, shared and writable: stores through
 *     it rewrite the code's pages;</li>
 * <li>a call that writes to the file of code the run has entered ({@code write}, {@code pwrite64},
 *     {@code writev}, {@code pwritev}, {@code pwritev2}, {@code sendfile}, {@code splice},
 *     {@code copy_file_range}), or to the process's own {@code /proc/PID/mem}
 *     ({@link CodeFileWrites}): the new bytes show up in its mappings.</li>
 * </ul>
 * ld.so's start-up does none of these: its RELRO {@code mprotect}s make data read-only, and the
 * segments it maps with {@code MAP_FIXED} land on a library's reservation, which no code has run
 * from yet. Not seen here: a file's code rewritten by another process (through its own mapping, a
 * descriptor it holds, or its {@code /proc/PID/mem}).
 *
 * <p>For the DBI engine only, {@link #staleTranslationCause}: {@code munmap} or {@code mremap} of
 * code of a module the run has entered, and {@code mprotect} taking execute permission from it. Its
 * code cache keeps a translation per original address and never drops one, so another file mapped
 * there later (a library {@code dlclose}d, another {@code dlopen}ed at the same address) would run
 * the first one's translations, and code no longer executable would still run where a plain run
 * faults. The step engine decodes afresh after such a call ({@code BlockTable.forget}) and its log
 * stays unambiguous (a block names its module, a module is a path at a base, and a block carries its
 * bytes), so it records on; at an address with no executable code it steps into the fault.
 *
 * <p>Both return the cause only; the caller adds what it did ({@link #recordingStopped}, or an
 * expansion's ending). Stateless apart from its two inputs; call from the tracer thread.
 */
public final class CodeWrites {
    private static final long PROT_WRITE = 0x2;
    private static final long PROT_EXEC = 0x4;
    private static final long MAP_FIXED = 0x10;
    private static final long MAP_ANONYMOUS = 0x20;
    private static final long MREMAP_FIXED = 0x2;
    /** {@code MAP_SHARED}, also set in {@code MAP_SHARED_VALIDATE} (0x3). */
    private static final long MAP_SHARED = 0x1;
    private static final long PAGE = 4096;

    /** The code the run has entered, as the engine knows it without reading maps. */
    public interface EnteredCode {
        /** Whether the run has entered code of a module that overlaps {@code [start, end)}. */
        boolean overlaps(long start, long end);

        /** Whether the run has entered code mapped from a file with inode {@code inode} (any device). */
        boolean holdsCodeOf(long inode);
    }

    /** How a recording ends at any of these causes: the call has not run, and is not in the log. */
    private static final String RECORDING_STOPPED = "; recording stopped before the call ran";

    private final int pid;
    private final EnteredCode entered;
    private final CodeFileWrites fileWrites;

    public CodeWrites(int pid, EnteredCode entered) {
        this.pid = pid;
        this.entered = entered;
        this.fileWrites = new CodeFileWrites(pid, entered);
    }

    /** The one line for the user when a recording steps aside at {@code cause}. */
    public static String recordingStopped(String cause) {
        return cause + RECORDING_STOPPED;
    }

    /** Whether syscall {@code number} may let the program write its code in place: cheap, for the engines' fast path. */
    private static boolean changesProtection(long number) {
        return number == MPROTECT || number == PKEY_MPROTECT || number == MMAP;
    }

    /**
     * What is wrong, for either engine, if syscall {@code number} with arguments {@code args} (rdi,
     * rsi, rdx, r10, r8, r9), not yet run, would let the program write code it may run: the
     * recording steps aside there. Null if it would not.
     */
    public String stepAsideCause(long number, long[] args) {
        if (CodeFileWrites.concerns(number)) {
            return fileWrites.cause(number, args);
        }
        if (!changesProtection(number) || args[1] == 0) {
            return null;
        }
        long start = args[0] & -PAGE;
        long end = pageEnd(args[0], args[1]);
        long prot = args[2];
        String call = number == PKEY_MPROTECT ? "pkey_mprotect" : number == MPROTECT ? "mprotect" : "mmap";
        if (number == MMAP) {
            long flags = args[3];
            if ((flags & MAP_ANONYMOUS) == 0 && (prot & PROT_WRITE) != 0) {
                if ((prot & PROT_EXEC) != 0) {
                    // Where it lands is the kernel's choice unless MAP_FIXED: the line names the file and the length.
                    return String.format("the program maps a file writable and executable (mmap %s of %s, 0x%x bytes):"
                            + " self-modifying code is not recorded", protection(prot), openFile(args[4]), args[1]);
                }
                String shared = (flags & MAP_SHARED) == 0 ? null : fileWrites.sharedWritableMappingCause(args[4], args[1]);
                if (shared != null) {
                    return shared;
                }
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
     * For the DBI engine: what is wrong if syscall {@code number} with arguments {@code args}, not
     * yet run, would unmap or move code of a module the run has entered (a {@code munmap}, or an
     * {@code mremap} of it or onto it), or take execute permission from it ({@code mprotect},
     * {@code pkey_mprotect}): the recording steps aside there, since its translations would stand
     * for code no longer there. Null if it would not. Reads {@code /proc/PID/maps} only when the
     * range holds entered code.
     */
    public String staleTranslationCause(long number, long[] args) {
        if (number == MUNMAP && args[1] != 0) {
            return unmapCause("munmap", "unmaps", args[0], args[1]);
        }
        if ((number == MPROTECT || number == PKEY_MPROTECT) && args[1] != 0 && (args[2] & PROT_EXEC) == 0) {
            return noExecCause(number == MPROTECT ? "mprotect" : "pkey_mprotect", args[0], args[1], args[2]);
        }
        if (number != MREMAP) {
            return null;
        }
        String moved = args[1] == 0 ? null : unmapCause("mremap", "moves or resizes", args[0], args[1]);
        if (moved == null && (args[3] & MREMAP_FIXED) != 0 && args[2] != 0) {
            return unmapCause("mremap", "remaps over", args[4], args[2]);
        }
        return moved;
    }

    private String unmapCause(String call, String what, long address, long length) {
        MemoryMapping code = enteredCodeIn(address, length);
        return code == null ? null : String.format("the program %s code it ran (%s 0x%x-0x%x over %s): a later mapping"
                + " there would need fresh translations, which this engine does not make", what, call, address & -PAGE,
                pageEnd(address, length), describe(code));
    }

    /** Execute permission taken from entered code: a plain run faults there, a translation would not. */
    private String noExecCause(String call, long address, long length, long prot) {
        MemoryMapping code = enteredCodeIn(address, length);
        return code == null ? null : String.format("the program takes execute permission from code it ran (%s 0x%x-0x%x"
                + " %s over %s): this engine's translations of it would still run where a plain run faults", call,
                address & -PAGE, pageEnd(address, length), protection(prot), describe(code));
    }

    /** An executable mapping of entered code overlapping the pages of {@code [address, address + length)}; reads maps only if there may be one. */
    private MemoryMapping enteredCodeIn(long address, long length) {
        long start = address & -PAGE;
        long end = pageEnd(address, length);
        if (!entered.overlaps(start, end)) {
            return null;
        }
        return first(overlapping(start, end), m -> m.isExecutable() && isFileCode(m) && entered.overlaps(m.start(), m.end()));
    }

    private static long pageEnd(long address, long length) {
        return address + length + PAGE - 1 & -PAGE;
    }

    /** A mapping as the lines name it: {@code PATH PERMISSIONS 0xSTART-0xEND}. */
    static String describe(MemoryMapping m) {
        return String.format("%s %s 0x%x-0x%x", m.path().orElse("anonymous"), m.permissions(), m.start(), m.end());
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
        return String.format("the program %s (%s 0x%x-0x%x %s over %s): self-modifying code is not recorded", what, call,
                start, end, protection(prot), describe(mapping));
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
