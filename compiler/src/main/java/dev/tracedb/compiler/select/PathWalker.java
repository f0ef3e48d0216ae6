package dev.tracedb.compiler.select;

import dev.tracedb.compiler.forecast.SimulatedTrace;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.PathStatistics;
import dev.tracedb.store.Terminator;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Builds one trace from a head's {@link PathStatistics}: starting at the head, it follows the most
 * frequent recorded continuation of the path so far (a whole-path count, not a per-block majority)
 * and stops:
 * <ul>
 *   <li>when the path returns to the head — a loop trace, continuing at its own head;</li>
 *   <li>after a return from a frame the trace did not call (one it entered inside a function):
 *       the trace ends with that {@code ret}, executed natively, so that the CPU's return-stack
 *       predictor, which saw the matching {@code call}, stays in step; calls and returns the path
 *       makes in pairs are inlined;</li>
 *   <li>at another chosen trace's head — the trace continues there (traces link);</li>
 *   <li>before a block ending in a system call or another unsupported instruction, or one the runs
 *       disagree about — it continues at that block, which runs in the original code;</li>
 *   <li>where the most frequent continuation is cold (taken in fewer than {@code coldShare} of
 *       the head's passes), or at {@code maxBlocks} / {@code maxInstructions};</li>
 *   <li>before an inner loop: a cycle that the recorded path repeats at once (see
 *       {@link #innerLoopStart}) — it continues at the inner loop's start;</li>
 *   <li>when the path leaves the head's module, or nothing was recorded after it: then the last
 *       block is dropped too and the trace continues at it, so that every continuation is a known
 *       address in the head's module.</li>
 * </ul>
 */
final class PathWalker {
    /** Further iterations that show the path has entered an inner loop. */
    private static final int INNER_LOOP_REPEATS = 3;

    /**
     * A walk's result: a trace, or why there is none.
     *
     * @param recordedInstructions instructions the recorded runs executed along the trace's path from
     *                             this head (each block's instructions times how often the stream went
     *                             through the path up to it): the trace's worth if it stood alone
     */
    record Walk(SimulatedTrace trace, String stop, String noTraceReason, long recordedInstructions) {
    }

    private final BlockCatalog catalog;
    private final SelectionOptions options;

    PathWalker(BlockCatalog catalog, SelectionOptions options) {
        this.catalog = catalog;
        this.options = options;
    }

    /**
     * @param isChosenHead true for blocks that already head a chosen trace
     */
    Walk walk(PathStatistics statistics, int head, IntPredicate isChosenHead) {
        int root = statistics.root(head);
        if (root < 0 || statistics.count(root) == 0) return new Walk(null, null, "head never reached", 0);
        long coldBelow = Math.max(2, (long) Math.ceil(options.coldShare() * statistics.count(root)));
        int[] path = new int[16];
        path[0] = head;
        int length = 1;
        long instructions = catalog.instructionCount(head);
        int node = root;
        long[] worth = new long[16];
        worth[0] = catalog.instructionCount(head) * statistics.count(root);
        int depth = 0;
        boolean returnsOut = false;
        while (true) {
            // calls the path follows into their callee, less the returns from them
            Terminator last = catalog.terminator(path[length - 1]);
            if (last == Terminator.CALL || last == Terminator.INDIRECT_CALL) {
                depth++;
            } else if (last == Terminator.RETURN) {
                returnsOut = depth == 0;
                depth = Math.max(0, depth - 1);
            }
            int child = statistics.mostFrequentChild(node);
            if (child < 0) return dropLast(path, worth, length, "no recorded continuation");
            int block = statistics.blockAt(child);
            if (block == head) return trace(path, worth, length, head, "loop closed");
            if (catalog.moduleOf(block) != catalog.moduleOf(head)) return dropLast(path, worth, length, "leaves the module");
            if (returnsOut) return trace(path, worth, length, block, "returns from a frame it did not call");
            if (last == Terminator.CALL || last == Terminator.INDIRECT_CALL) {
                return trace(path, worth, length, block, "calls out");
            }
            if (statistics.count(child) < coldBelow) return trace(path, worth, length, block, "cold continuation");
            Terminator terminator = catalog.terminator(block);
            if (terminator == Terminator.SYSCALL || terminator == Terminator.OTHER) {
                return trace(path, worth, length, block, "system call or unsupported instruction next");
            }
            if (!catalog.consistent(block)) return trace(path, worth, length, block, "runs disagree about the next block");
            if (isChosenHead.test(block)) return trace(path, worth, length, block, "links to another trace");
            int innerLoop = innerLoopStart(statistics, child, path, length);
            if (innerLoop > 0) return trace(path, worth, innerLoop, path[innerLoop], "inner loop");
            if (length >= options.maxBlocks() || instructions + catalog.instructionCount(block) > options.maxInstructions()) {
                return trace(path, worth, length, block, "length limit");
            }
            if (length == path.length) {
                path = Arrays.copyOf(path, length * 2);
                worth = Arrays.copyOf(worth, length * 2);
            }
            worth[length] = worth[length - 1] + catalog.instructionCount(block) * statistics.count(child);
            path[length++] = block;
            instructions += catalog.instructionCount(block);
            node = child;
        }
    }

    /**
     * Where an inner loop starts, or -1: if the next block {@code path[p]} already is on the path and
     * the recorded continuation repeats the cycle {@code path[p .. length)} {@value #INNER_LOOP_REPEATS}
     * more times, the path has entered a loop nested in the trace's own. Unrolling it would tie the
     * trace to one trip count, so the trace ends before it and continues at its start, where the
     * inner loop gets a trace of its own. A merge point that is merely passed again on another
     * cycle (an interpreter's shared dispatch block, reached from several opcode handlers) does not
     * repeat its cycle, so a trace goes on through it.
     */
    private static int innerLoopStart(PathStatistics statistics, int child, int[] path, int length) {
        int block = statistics.blockAt(child);
        int p = length - 1;
        while (p > 0 && path[p] != block) p--;
        if (p == 0) return -1;
        int cycle = length - p;
        int node = child;
        for (int k = 1; k <= cycle * INNER_LOOP_REPEATS; k++) {
            node = statistics.mostFrequentChild(node);
            if (node < 0 || statistics.blockAt(node) != path[p + k % cycle]) return -1;
        }
        return p;
    }

    private Walk trace(int[] path, long[] worth, int length, int continuation, String stop) {
        return new Walk(new SimulatedTrace(Arrays.copyOf(path, length), catalog.moduleOf(continuation),
                catalog.offset(continuation)), stop, null, worth[length - 1]);
    }

    private Walk dropLast(int[] path, long[] worth, int length, String stop) {
        if (length == 1) return new Walk(null, null, "path from the head " + stop + " at once", 0);
        return trace(path, worth, length - 1, path[length - 1], stop);
    }
}
