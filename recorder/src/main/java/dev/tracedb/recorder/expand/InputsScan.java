package dev.tracedb.recorder.expand;

import static dev.tracedb.machine.linux.SyscallNumber.BRK;
import static dev.tracedb.machine.linux.SyscallNumber.MMAP;
import static dev.tracedb.machine.linux.SyscallNumber.MREMAP;

import dev.tracedb.recorder.dbi.AddressRange;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What an expansion must know before the program starts, from one pass over the inputs run:
 * every address range the recorded program ever mapped (mmap and mremap results, the brk heap), so
 * that the engine's code-cache views never take one of them (the forced mappings would then
 * fail); the files it mapped; the bytes written before its first syscall (AT_RANDOM); and how many
 * counter reads it logged.
 *
 * <p>The pass streams the run and keeps only ranges and file names. Not thread-safe.
 */
final class InputsScan implements EventVisitor {
    private static final long PAGE = 4096;

    private final List<AddressRange> mapped = new ArrayList<>();
    private final List<FileMapped> files = new ArrayList<>();
    private final List<MemoryWritten> initialWrites = new ArrayList<>();
    private long syscalls;
    private long timestampReads;
    private long lowestBreak = Long.MAX_VALUE;
    private long highestBreak;

    private InputsScan() {
    }

    /** Scans the whole run once. */
    static InputsScan of(RunReader run) {
        InputsScan scan = new InputsScan();
        run.replay(scan);
        return scan;
    }

    @Override
    public void syscall(SyscallResult event) {
        syscalls++;
        long result = event.result();
        if (result < 0 && result >= -4095) {
            return;
        }
        long[] args = event.args();
        switch (event.number()) {
            case MMAP -> mapped.add(new AddressRange(result, result + pageUp(args[1])));
            case MREMAP -> mapped.add(new AddressRange(result, result + pageUp(args[2])));
            case BRK -> {
                lowestBreak = Math.min(lowestBreak, result);
                highestBreak = Math.max(highestBreak, result);
            }
            default -> {
                // other calls map nothing
            }
        }
    }

    @Override
    public void memoryWritten(MemoryWritten event) {
        if (syscalls == 0) {
            initialWrites.add(event);
        }
    }

    @Override
    public void timestampRead(TimestampRead event) {
        timestampReads++;
    }

    @Override
    public void fileMapped(FileMapped event) {
        files.add(event);
    }

    /** The ranges the recorded program mapped, sorted and merged. */
    List<AddressRange> mappedRanges() {
        List<AddressRange> all = new ArrayList<>(mapped);
        if (highestBreak > lowestBreak) {
            all.add(new AddressRange(pageDown(lowestBreak), pageUp(highestBreak)));
        }
        all.sort(Comparator.comparingLong(AddressRange::start));
        List<AddressRange> merged = new ArrayList<>();
        for (AddressRange r : all) {
            AddressRange last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r.start() <= last.end()) {
                merged.set(merged.size() - 1, new AddressRange(last.start(), Math.max(last.end(), r.end())));
            } else {
                merged.add(r);
            }
        }
        return merged;
    }

    /** Every file mapping, in order. */
    List<FileMapped> files() {
        return files;
    }

    /** The bytes the kernel had written before the program's first syscall (AT_RANDOM). */
    List<MemoryWritten> initialWrites() {
        return initialWrites;
    }

    long timestampReads() {
        return timestampReads;
    }

    long syscalls() {
        return syscalls;
    }

    private static long pageUp(long n) {
        return (n + PAGE - 1) & -PAGE;
    }

    private static long pageDown(long n) {
        return n & -PAGE;
    }
}
