package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.recorder.CodeWrites;
import dev.tracedb.machine.linux.RemoteMemory;
import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes blocks straight from the tracee's memory and numbers them 0, 1, 2, ... in the order they
 * are asked for: the engine's own block source, without a log. Not thread-safe.
 */
final class DecodingBlockSource implements BlockSource, AutoCloseable {
    private static final long PAGE = 4096;

    private final int pid;
    private final RemoteMemory memory;
    private final List<ViewPlacement.Extent> modules = new ArrayList<>();
    private final Decoder decoder = Decoder.open();
    private int nextId;
    private final Map<Long, Source> peeked = new HashMap<>();
    private final Set<Long> defined = new HashSet<>();

    DecodingBlockSource(int pid, RemoteMemory memory) {
        this.pid = pid;
        this.memory = memory;
    }

    @Override
    public Source blockAt(AppAddress start) {
        Source peeked = this.peeked.remove(start.value());
        Source decoded = peeked != null ? peeked : decode(start);
        defined.add(start.value());
        return new Source(nextId++, decoded.block(), decoded.module());
    }

    @Override
    public Source prefix(AppAddress start, int count) {
        Source whole = decode(start);
        List<dev.tracedb.machine.x86.decode.Instruction> insns = whole.block().instructions().subList(0, count);
        return new Source(nextId++, new BasicBlock(start.value(), insns, BasicBlock.End.INSTRUCTION_LIMIT),
                whole.module());
    }

    @Override
    public Source peek(AppAddress start) {
        if (defined.contains(start.value())) {
            return null;
        }
        Source known = peeked.get(start.value());
        if (known != null) {
            return known;
        }
        try {
            Source decoded = decode(start);
            peeked.put(start.value(), decoded);
            return decoded;
        } catch (RuntimeException e) {
            // Unreadable, undecodable or unmapped: code that may never run stops nothing.
            return null;
        }
    }

    /** Decodes from the rest of the page at {@code start} and the next page, if that is mapped; id -1. */
    private Source decode(AppAddress start) {
        long pageEnd = (start.value() & -PAGE) + PAGE;
        byte[] code;
        try {
            code = memory.read(RemoteAddress.of(start.value()), (int) (pageEnd + PAGE - start.value()));
        } catch (RemoteMemory.RemoteMemoryException nextPageUnmapped) {
            try {
                code = memory.read(RemoteAddress.of(start.value()), (int) (pageEnd - start.value()));
            } catch (RemoteMemory.RemoteMemoryException e) {
                throw new UnsupportedProgramException("the program jumps to unreadable memory at " + start, e);
            }
        }
        try {
            BasicBlock bb = decoder.decodeBlock(code, start.value(), start.value());
            if (bb.instructions().isEmpty()) {
                throw new UnsupportedProgramException("no complete instruction at " + start);
            }
            return new Source(-1, bb, moduleAt(start.value()));
        } catch (UndecodableInstructionException e) {
            throw new UnsupportedProgramException("cannot decode the program's code in the block at " + start
                    + ": " + e.getMessage(), e);
        }
    }

    /** Its extents carry no inode: any file may be code it entered, and the maps decide (this source is for tests). */
    @Override
    public CodeWrites.EnteredCode enteredCode() {
        return new CodeWrites.EnteredCode() {
            @Override
            public boolean overlaps(long start, long end) {
                return modules.stream()
                        .anyMatch(m -> Long.compareUnsigned(m.start(), end) < 0 && Long.compareUnsigned(start, m.end()) < 0);
            }

            @Override
            public boolean holdsCodeOf(long inode) {
                return true;
            }
        };
    }

    private ViewPlacement.Extent moduleAt(long address) {
        for (ViewPlacement.Extent m : modules) {
            if (address >= m.start() && address < m.end()) {
                return m;
            }
        }
        ViewPlacement.Extent m = ViewPlacement.extentAt(pid, address);
        modules.add(m);
        return m;
    }

    @Override
    public void close() {
        decoder.close();
    }
}
