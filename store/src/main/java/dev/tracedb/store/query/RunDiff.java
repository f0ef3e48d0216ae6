package dev.tracedb.store.query;

import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.RunReader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How two runs differ: instructions per function (or per block where no symbol is known) in each,
 * and the first instruction at which their streams part. Code is matched by module path and offset,
 * never by block id or address, so the runs may have split their blocks differently or been loaded
 * at other addresses; the streams are compared instruction by instruction where their blocks differ.
 */
public final class RunDiff {

    /** One function's instructions in each run. */
    public record Change(String name, String module, long instructionsA, long instructionsB) {
        public long delta() {
            return instructionsB - instructionsA;
        }
    }

    /**
     * Where the streams part.
     *
     * @param instruction index of the first instruction that differs (or where the shorter stream ends)
     * @param blockEventA block event of run A holding it, -1 if A ended there
     * @param blockEventB block event of run B holding it, -1 if B ended there
     * @param whereA      what A executed there ({@code main+0x1b}), or {@code end of run}
     * @param whereB      what B executed there
     */
    public record Divergence(long instruction, long blockEventA, long blockEventB, String whereA, String whereB) {
    }

    private RunDiff() {
    }

    /** Functions whose instruction counts differ, biggest change first. */
    public static List<Change> profile(HotCode a, HotCode b) {
        Map<String, Change> changes = new LinkedHashMap<>();
        for (HotCode.Entry e : a.byFunction()) {
            changes.put(e.module() + "\0" + e.name(), new Change(e.name(), e.module(), e.instructions(), 0));
        }
        for (HotCode.Entry e : b.byFunction()) {
            changes.merge(e.module() + "\0" + e.name(), new Change(e.name(), e.module(), 0, e.instructions()),
                    (old, add) -> new Change(old.name(), old.module(), old.instructionsA(), add.instructionsB()));
        }
        List<Change> differing = new ArrayList<>(changes.values().stream().filter(c -> c.delta() != 0).toList());
        differing.sort(Comparator.comparingLong((Change c) -> Math.abs(c.delta())).reversed().thenComparing(Change::name));
        return differing;
    }

    /** The first instruction at which the two streams differ; empty if they are the same. */
    public static Optional<Divergence> firstDivergence(RunReader readerA, RunCode codeA, CodeNames namesA,
                                                       RunReader readerB, RunCode codeB, CodeNames namesB) {
        Map<String, Integer> modules = new HashMap<>();
        try (Decoder decoder = Decoder.open()) {
            Cursor a = new Cursor(readerA, codeA, modules, decoder);
            Cursor b = new Cursor(readerB, codeB, modules, decoder);
            long instruction = 0;
            while (a.hasNext() && b.hasNext()) {
                if (a.atBlockStart() && b.atBlockStart() && a.blockKey() == b.blockKey()
                        && a.blockBytes() == b.blockBytes() && a.blockInstructions() == b.blockInstructions()) {
                    instruction += a.blockInstructions();
                    a.nextBlock();
                    b.nextBlock();
                    continue;
                }
                if (a.instructionKey() != b.instructionKey()) break;
                a.nextInstruction();
                b.nextInstruction();
                instruction++;
            }
            if (!a.hasNext() && !b.hasNext()) return Optional.empty();
            return Optional.of(new Divergence(instruction, a.hasNext() ? a.event : -1, b.hasNext() ? b.event : -1,
                    a.hasNext() ? a.where(namesA) : "end of run", b.hasNext() ? b.where(namesB) : "end of run"));
        }
    }

    /** A position in one run's stream: a block event and an instruction within that block. */
    private static final class Cursor {
        private final RunReader reader;
        private final RunCode code;
        private final Map<String, Integer> modules;
        private final Decoder decoder;
        private final long[] moduleKeys;
        private final Map<Integer, long[]> instructionOffsets = new HashMap<>();
        private final List<ExecBatchHeader> batches;
        private final int[] ids;
        private int batch = -1;
        private int index;
        private int count;
        private int within;
        long event = -1;

        Cursor(RunReader reader, RunCode code, Map<String, Integer> modules, Decoder decoder) {
            this.reader = reader;
            this.code = code;
            this.modules = modules;
            this.decoder = decoder;
            int maxModule = code.modules().stream().mapToInt(m -> m.moduleId()).max().orElse(-1);
            moduleKeys = new long[maxModule + 1];
            code.modules().forEach(m -> moduleKeys[m.moduleId()] =
                    (long) modules.computeIfAbsent(m.path(), p -> modules.size()) << 44);
            batches = reader.batches();
            ids = new int[Math.max(1, reader.maxBatchEvents())];
            nextBlock();
        }

        boolean hasNext() {
            return index < count;
        }

        boolean atBlockStart() {
            return within == 0;
        }

        private BlockDefined block() {
            return code.block(ids[index]);
        }

        long blockKey() {
            BlockDefined b = block();
            return moduleKeys[b.moduleId()] | b.offset();
        }

        int blockBytes() {
            return block().bytes().length;
        }

        int blockInstructions() {
            return block().instructionCount();
        }

        long instructionKey() {
            return blockKey() + offsets()[within];
        }

        /** Offsets of the block's instructions from its start, decoded once per block. */
        private long[] offsets() {
            return instructionOffsets.computeIfAbsent(ids[index], id -> {
                BlockDefined b = code.block(id);
                long address = code.address(b);
                byte[] bytes = b.bytes();
                long[] offsets = new long[b.instructionCount()];
                long pc = address;
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = pc - address;
                    Instruction insn = decoder.decode(bytes, address, pc);
                    pc = insn.nextAddress();
                }
                return offsets;
            });
        }

        void nextInstruction() {
            if (++within == blockInstructions()) nextBlock();
        }

        void nextBlock() {
            within = 0;
            if (batch >= 0 && ++index < count) {
                event++;
                return;
            }
            index = count;
            while (index >= count && batch + 1 < batches.size()) {
                ExecBatchHeader h = batches.get(++batch);
                count = reader.readBatch(h, ids);
                index = 0;
                event = h.firstBlockEvent();
            }
        }

        String where(CodeNames names) {
            BlockDefined b = block();
            return names.describe(b.moduleId(), b.offset() + offsets()[within]);
        }
    }
}
