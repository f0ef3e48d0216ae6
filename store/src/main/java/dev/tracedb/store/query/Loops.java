package dev.tracedb.store.query;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.projection.Profile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Hot loops: back edges are executed transitions from a block ending in a direct jump or conditional
 * branch to a block at the same or a lower offset of the same module (the loop's header). Such a
 * branch has one taken target, so each back-edge source belongs to one loop; a header's back edges
 * form that loop.
 *
 * <p>Everything is measured on the stream itself, in one pass. An <em>entry</em> is a back edge taken
 * while the loop is not running; the loop stops running when a back-edge source falls through instead
 * of branching back, or when the function that ran it returns (tracked by calls and returns). An
 * <em>iteration</em> is a back edge taken; the instructions of an iteration are those from one back
 * edge to the next within one entry, so calls made inside the loop count and an inner loop counts
 * inside its outer one. The first lap of each entry (before its first back edge) is not measured.
 */
public final class Loops {

    /**
     * One loop.
     *
     * @param header          block id of the loop header (the back edges' target)
     * @param backEdgeSources block ids whose back edges reach the header, hottest first
     * @param iterations      back edges taken
     * @param entries         times the loop started running
     * @param measured        iterations measured (all but the first back edge of each entry)
     * @param instructions    instructions in the measured iterations
     */
    public record Loop(int header, int[] backEdgeSources, long iterations, long entries, long measured,
                       long instructions) {
        /** Average iterations per entry. */
        public double tripsPerEntry() {
            return entries == 0 ? 0 : (double) iterations / entries;
        }

        /** Average instructions per measured iteration. */
        public double instructionsPerIteration() {
            return measured == 0 ? 0 : (double) instructions / measured;
        }

    }

    private Loops() {
    }

    /** The run's loops, most instructions first. Reads the stream once. */
    public static List<Loop> find(RunReader reader, RunCode code, Profile profile) {
        int n = code.blockCount();
        int[] headerOf = new int[n];
        Arrays.fill(headerOf, -1);
        long[] backEdges = new long[n];
        List<long[]> edges = new ArrayList<>();
        profile.forEachEdge((from, to, count) -> {
            if (isBackEdge(code.block(from), code.block(to))) {
                headerOf[from] = to;
                backEdges[to] += count;
                edges.add(new long[] {from, to, count});
            }
        });
        Measurement m = new Measurement(n);
        m.run(reader, code, headerOf);

        List<Loop> loops = new ArrayList<>();
        for (int h = 0; h < n; h++) {
            if (backEdges[h] == 0) continue;
            final int target = h;
            int[] sources = edges.stream().filter(e -> e[1] == target)
                    .sorted(Comparator.comparingLong((long[] e) -> e[2]).reversed())
                    .mapToInt(e -> (int) e[0]).toArray();
            loops.add(new Loop(h, sources, backEdges[h], m.entries[h], m.measured[h], m.instructions[h]));
        }
        loops.sort(Comparator.comparingLong(Loop::instructions).reversed().thenComparingInt(Loop::header));
        return loops;
    }

    /** A taken direct branch that goes back (or to itself) within one module. */
    static boolean isBackEdge(BlockDefined from, BlockDefined to) {
        Terminator t = from.terminator();
        return (t == Terminator.JUMP || t == Terminator.CONDITIONAL) && from.moduleId() == to.moduleId()
                && to.offset() <= from.offset();
    }

    /** The one pass over the stream: entries, measured iterations and their instructions per header. */
    private static final class Measurement {
        /** Call depth is kept in a window this deep; deeper frames share slots (only a loss of precision). */
        private static final int DEPTHS = 1 << 12;

        final long[] entries;
        final long[] measured;
        final long[] instructions;
        private final boolean[] running;
        private final long[] lastBackEdge;
        private final int[] depthAt;
        private final long[] frameAt;

        Measurement(int blocks) {
            entries = new long[blocks];
            measured = new long[blocks];
            instructions = new long[blocks];
            running = new boolean[blocks];
            lastBackEdge = new long[blocks];
            depthAt = new int[blocks];
            frameAt = new long[blocks];
        }

        void run(RunReader reader, RunCode code, int[] headerOf) {
            int[] insns = code.instructionCounts();
            byte[] kind = new byte[insns.length]; // 1 call, 2 return
            for (int id = 0; id < kind.length; id++) {
                if (insns[id] == 0) continue;
                Terminator t = code.block(id).terminator();
                kind[id] = (byte) (t == Terminator.CALL || t == Terminator.INDIRECT_CALL ? 1 : t == Terminator.RETURN ? 2 : 0);
            }
            long[] frame = new long[DEPTHS];
            long frames = 0;
            int depth = DEPTHS / 2; // returns out of the first function must not underflow
            int[] ids = new int[Math.max(1, reader.maxBatchEvents())];
            int prev = -1;
            for (ExecBatchHeader batch : reader.batches()) {
                reader.readBatch(batch, ids);
                long position = batch.firstInstruction();
                for (int i = 0, n = batch.eventCount(); i < n; i++) {
                    int id = ids[i];
                    if (prev >= 0) {
                        if (kind[prev] == 1) {
                            depth = Math.min(depth + 1, DEPTHS - 1);
                            frame[depth] = ++frames;
                        } else if (kind[prev] == 2) {
                            depth = Math.max(depth - 1, 0);
                        }
                        int h = headerOf[prev];
                        if (h >= 0) {
                            if (id == h) {
                                if (running[h] && depth >= depthAt[h] && frame[depthAt[h]] == frameAt[h]) {
                                    measured[h]++;
                                    instructions[h] += position - lastBackEdge[h];
                                } else {
                                    entries[h]++;
                                }
                                running[h] = true;
                                lastBackEdge[h] = position;
                                depthAt[h] = depth;
                                frameAt[h] = frame[depth];
                            } else {
                                running[h] = false;
                            }
                        }
                    }
                    position += insns[id];
                    prev = id;
                }
            }
        }
    }
}
