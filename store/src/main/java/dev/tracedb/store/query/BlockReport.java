package dev.tracedb.store.query;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.projection.Profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One block in context: how often it ran, which blocks ran right before and after it (with edge
 * counts), and where in the stream it ran first and last (block event and instruction index).
 *
 * @param block           the block's definition
 * @param executions      how often it ran
 * @param predecessors    blocks that ran right before it, most frequent first
 * @param successors      blocks that ran right after it, most frequent first
 * @param firstBlockEvent its first execution's position in the block stream, -1 if it never ran
 * @param firstInstruction the instruction index where that execution starts, -1 if it never ran
 * @param lastBlockEvent  its last execution's position, -1 if it never ran
 * @param lastInstruction the instruction index where that execution starts, -1 if it never ran
 */
public record BlockReport(BlockDefined block, long executions, List<Neighbour> predecessors, List<Neighbour> successors,
                          long firstBlockEvent, long firstInstruction, long lastBlockEvent, long lastInstruction) {

    /** A neighbouring block and how often the transition happened. */
    public record Neighbour(int blockId, long count) {
    }

    /** Builds the report; scans the block stream once for the first and last positions. */
    public static BlockReport of(RunReader reader, RunCode code, Profile profile, int blockId) {
        BlockDefined block = code.block(blockId);
        List<Neighbour> predecessors = new ArrayList<>();
        List<Neighbour> successors = new ArrayList<>();
        profile.forEachEdge((from, to, count) -> {
            if (to == blockId) predecessors.add(new Neighbour(from, count));
            if (from == blockId) successors.add(new Neighbour(to, count));
        });
        Comparator<Neighbour> hottest = Comparator.comparingLong(Neighbour::count).reversed()
                .thenComparingInt(Neighbour::blockId);
        predecessors.sort(hottest);
        successors.sort(hottest);
        long[] positions = positions(reader, code, blockId);
        return new BlockReport(block, profile.count(blockId), List.copyOf(predecessors), List.copyOf(successors),
                positions[0], positions[1], positions[2], positions[3]);
    }

    private static long[] positions(RunReader reader, RunCode code, int blockId) {
        int[] insns = code.instructionCounts();
        long[] p = {-1, -1, -1, -1};
        int[] ids = new int[Math.max(1, reader.maxBatchEvents())];
        for (ExecBatchHeader batch : reader.batches()) {
            reader.readBatch(batch, ids);
            long position = batch.firstInstruction();
            for (int i = 0, n = batch.eventCount(); i < n; i++) {
                int id = ids[i];
                if (id == blockId) {
                    if (p[0] < 0) {
                        p[0] = batch.firstBlockEvent() + i;
                        p[1] = position;
                    }
                    p[2] = batch.firstBlockEvent() + i;
                    p[3] = position;
                }
                position += insns[id];
            }
        }
        return p;
    }

    /**
     * The blocks whose code covers {@code offset} of the module named {@code module} (its file name,
     * its path, or its id), the one starting there first.
     *
     * @throws IllegalArgumentException if no module has that name
     */
    public static List<Integer> blocksAt(RunCode code, String module, long offset) {
        List<ModuleMapped> matching = code.modules().stream()
                .filter(m -> RunCode.shortName(m).equals(module) || m.path().equals(module)
                        || String.valueOf(m.moduleId()).equals(module))
                .toList();
        if (matching.isEmpty()) {
            throw new IllegalArgumentException("the run has no module '" + module + "' (its modules: "
                    + String.join(", ", code.modules().stream().map(RunCode::shortName).toList()) + ")");
        }
        List<Integer> found = new ArrayList<>();
        for (int id = 0; id < code.blockCount(); id++) {
            BlockDefined b;
            try {
                b = code.block(id);
            } catch (IllegalArgumentException undefined) {
                continue;
            }
            for (ModuleMapped m : matching) {
                if (b.moduleId() == m.moduleId() && offset >= b.offset() && offset < b.offset() + b.bytes().length) {
                    found.add(id);
                }
            }
        }
        found.sort(Comparator.comparingLong((Integer id) -> code.block(id).offset()).reversed());
        return found;
    }
}
