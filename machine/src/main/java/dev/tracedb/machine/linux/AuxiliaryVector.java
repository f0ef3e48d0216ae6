package dev.tracedb.machine.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The auxiliary vector on a tracee's initial stack, read where the kernel put it: at the exec stop,
 * rsp points at argc, then argv's pointers and a null, envp's pointers and a null, then the
 * (type, value) pairs up to AT_NULL. Unlike {@code /proc/PID/auxv} (a copy), each entry here knows
 * its stack address, so it can be changed before the program reads it.
 *
 * <p>Why a recorder cares: two entries differ between otherwise identical execs of a program.
 * AT_RANDOM points at 16 fresh random bytes (stack protector, pointer guard), and AT_SYSINFO_EHDR
 * offers the vDSO, whose clock functions read the time without a syscall. A recording that must be
 * re-executable logs the first and hides the second ({@link #hideVdso}).
 *
 * <p>Only valid at the exec stop, before the program has run (it may move or overwrite its stack).
 */
public final class AuxiliaryVector {
    public static final long AT_NULL = 0;
    /** An entry the program ignores; what {@link #hideVdso} turns AT_SYSINFO_EHDR into. */
    public static final long AT_IGNORE = 1;
    /** The address of 16 random bytes. */
    public static final long AT_RANDOM = 25;
    /** The vDSO's ELF header. */
    public static final long AT_SYSINFO_EHDR = 33;
    /** Bytes at AT_RANDOM. */
    public static final int RANDOM_BYTES = 16;

    /** Far more than any real vector has (about 20); a bound against reading a damaged stack forever. */
    private static final int MAX_WORDS = 1 << 16;

    /**
     * One entry.
     *
     * @param type    AT_*
     * @param value   its value
     * @param address where the entry's type word is on the stack
     */
    public record Entry(long type, long value, RemoteAddress address) {
    }

    private final Tracee tracee;
    private final List<Entry> entries;

    private AuxiliaryVector(Tracee tracee, List<Entry> entries) {
        this.tracee = tracee;
        this.entries = List.copyOf(entries);
    }

    /** Reads the vector of a tracee stopped at its exec, before its first instruction. */
    public static AuxiliaryVector atExec(Tracee tracee) {
        RemoteMemory memory = tracee.memory();
        RemoteAddress at = tracee.registers().rsp();
        long argc = memory.readLong(at);
        at = at.plus(8 * (argc + 2));               // argc, argv[0..argc), null
        for (int i = 0; memory.readLong(at) != 0; i++, at = at.plus(8)) {   // envp up to its null
            if (i > MAX_WORDS) throw new IllegalStateException("no end of the environment on the initial stack");
        }
        at = at.plus(8);
        List<Entry> entries = new ArrayList<>();
        for (long type; (type = memory.readLong(at)) != AT_NULL; at = at.plus(16)) {
            if (entries.size() > MAX_WORDS) throw new IllegalStateException("no AT_NULL on the initial stack");
            entries.add(new Entry(type, memory.readLong(at.plus(8)), at));
        }
        return new AuxiliaryVector(tracee, entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The first entry of this type, if any. */
    public Optional<Entry> find(long type) {
        return entries.stream().filter(e -> e.type() == type).findFirst();
    }

    /** Where AT_RANDOM's 16 bytes are. */
    public RemoteAddress randomBytesAddress() {
        return RemoteAddress.of(find(AT_RANDOM).orElseThrow(() -> new IllegalStateException("no AT_RANDOM entry"))
                .value());
    }

    /**
     * Turns AT_SYSINFO_EHDR into AT_IGNORE, so the dynamic loader does not find the vDSO and libc
     * makes real syscalls for clock_gettime, gettimeofday, time and getcpu. The vDSO stays mapped,
     * unused. Returns whether there was one to hide.
     */
    public boolean hideVdso() {
        Optional<Entry> vdso = find(AT_SYSINFO_EHDR);
        vdso.ifPresent(e -> tracee.memory().writeLong(e.address(), AT_IGNORE));
        return vdso.isPresent();
    }
}
