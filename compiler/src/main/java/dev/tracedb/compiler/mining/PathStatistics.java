package dev.tracedb.compiler.mining;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.projection.LongLongMap;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * Exact path statistics from chosen head blocks: for every head, a prefix tree of the block
 * sequences that the recorded runs executed right after it, each node counting how many times the
 * stream went through exactly that sequence. This is what lets a trace follow the most frequent
 * <em>whole</em> path rather than per-block majorities: in an interpreter the dispatch block is
 * followed by every opcode handler, but after a given head the sequence of handlers of one user loop
 * repeats exactly.
 *
 * <p>Each occurrence of a head starts a cursor that walks the tree with the stream. A cursor stops
 * after the block that returns to its head (the loop closed), a block in another module, a block
 * ending in a system call or another unsupported terminator ({@link Terminator#SYSCALL},
 * {@link Terminator#OTHER}), at {@code maxDepth} blocks after the head, or when the tree is full
 * ({@code maxNodes}; the cut occurrences are counted in {@link #truncated()}), and after any block
 * the caller marks as a stop (the heads of traces already chosen). Those are the points where
 * trace selection stops a trace anyway, so nothing it could use is lost.
 *
 * <p>Memory is proportional to the distinct path prefixes (at most {@code maxNodes}), never to the
 * block events; a pass costs one hash lookup per event and active cursor (at most one per head).
 * Not thread-safe while mining; read-only afterwards.
 */
public final class PathStatistics implements BlockStream.Sink {
    private final BlockCatalog catalog;
    private final int maxDepth;
    private final int maxNodes;
    private final int[] heads;
    private int[] headSlot = new int[0];
    /**
     * Per block: its module, or -1 if every cursor stops after it (system calls, unsupported
     * instructions, the caller's stops). A cursor goes on only through blocks of its head's module.
     */
    private final int[] continuesIn;
    private final int[] headModule;
    private final BooleanSupplier startHere;
    private final int[] roots;

    private int[] nodeBlock = new int[4096];
    private long[] nodeCount = new long[4096];
    private int[] firstChild = new int[4096];
    private int[] nextSibling = new int[4096];
    /** The child a cursor last went to from each node: recorded paths repeat, so it usually is the next one. */
    private int[] lastChild = new int[4096];
    private int nodes;
    private final LongLongMap childOf = new LongLongMap(4096);

    private final int[] cursorSlot;
    private final int[] cursorNode;
    private final int[] cursorDepth;
    private int cursors;
    private long truncated;

    private PathStatistics(BlockCatalog catalog, int[] heads, int maxDepth, int maxNodes, IntPredicate stopAfter,
                           BooleanSupplier startHere) {
        this.catalog = catalog;
        this.startHere = startHere;
        this.continuesIn = new int[catalog.size()];
        for (int b = 0; b < continuesIn.length; b++) {
            Terminator terminator = catalog.terminator(b);
            boolean stop = terminator == Terminator.SYSCALL || terminator == Terminator.OTHER || stopAfter.test(b);
            continuesIn[b] = stop ? -1 : catalog.moduleOf(b);
        }
        this.headModule = new int[heads.length];
        for (int slot = 0; slot < heads.length; slot++) headModule[slot] = catalog.moduleOf(heads[slot]);
        this.heads = heads.clone();
        this.maxDepth = maxDepth;
        this.maxNodes = maxNodes;
        this.roots = new int[heads.length];
        this.cursorSlot = new int[heads.length];
        this.cursorNode = new int[heads.length];
        this.cursorDepth = new int[heads.length];
        for (int slot = 0; slot < heads.length; slot++) {
            int head = heads[slot];
            if (head >= headSlot.length) {
                int old = headSlot.length;
                headSlot = Arrays.copyOf(headSlot, Math.max(head + 1, old * 2));
                Arrays.fill(headSlot, old, headSlot.length, -1);
            }
            if (headSlot[head] >= 0) throw new IllegalArgumentException("head " + head + " given twice");
            headSlot[head] = slot;
            roots[slot] = newNode(head);
        }
    }

    /**
     * Streams {@code runs} once and builds the trees of {@code heads} (global block ids of
     * {@code catalog}, which must already hold the runs' blocks).
     *
     * @param maxDepth blocks recorded after a head, at most
     * @param maxNodes tree nodes over all heads, at most
     */
    public static PathStatistics mine(List<RunReader> runs, BlockCatalog catalog, int[] heads, int maxDepth,
                                      int maxNodes, ProgressListener progress) {
        return mine(runs, catalog, heads, maxDepth, maxNodes, b -> false, progress);
    }

    /**
     * As {@link #mine(List, BlockCatalog, int[], int, int, ProgressListener)}, and every cursor also
     * stops after a block for which {@code stopAfter} is true.
     */
    public static PathStatistics mine(List<RunReader> runs, BlockCatalog catalog, int[] heads, int maxDepth,
                                      int maxNodes, IntPredicate stopAfter, ProgressListener progress) {
        PathStatistics statistics = collector(catalog, heads, maxDepth, maxNodes, stopAfter, () -> true);
        BlockStream.stream(runs, catalog, statistics, progress, "paths");
        return statistics;
    }

    /**
     * Empty statistics to stream into yourself (e.g. next to a simulator, see
     * {@link BlockStream#both}). A head occurrence starts a cursor only if {@code startHere} says so
     * at that moment, e.g. "the original code reached it, not a trace"; the root counts only those.
     */
    public static PathStatistics collector(BlockCatalog catalog, int[] heads, int maxDepth, int maxNodes,
                                           IntPredicate stopAfter, BooleanSupplier startHere) {
        return new PathStatistics(catalog, heads, maxDepth, maxNodes, stopAfter, startHere);
    }

    /** The tree root of {@code head} (the head block itself), or -1 if it is not a head here. */
    public int root(int head) {
        int slot = head < headSlot.length ? headSlot[head] : -1;
        return slot < 0 ? -1 : roots[slot];
    }

    /** The global block id at this node. */
    public int blockAt(int node) {
        return nodeBlock[node];
    }

    /** How often the stream went through this node's whole path from its head (from started cursors). */
    public long count(int node) {
        return nodeCount[node];
    }

    /** The most frequent continuation of this node's path, or -1 if none was recorded. */
    public int mostFrequentChild(int node) {
        int best = -1;
        for (int child = firstChild[node]; child >= 0; child = nextSibling[child]) {
            if (best < 0 || nodeCount[child] > nodeCount[best]
                    || (nodeCount[child] == nodeCount[best] && nodeBlock[child] < nodeBlock[best])) {
                best = child;
            }
        }
        return best;
    }

    /** Tree nodes over all heads: the statistics' memory. */
    public int nodes() {
        return nodes;
    }

    /** Head occurrences whose path was cut because the tree was full. */
    public long truncated() {
        return truncated;
    }

    @Override
    public void runStarted(int runIndex, RunReader run) {
        endAllCursors();
    }

    @Override
    public void runEnded(int runIndex) {
        endAllCursors();
    }

    @Override
    public void block(int block) {
        int module = block < continuesIn.length ? continuesIn[block] : -1;
        for (int c = 0; c < cursors; ) {
            if (advance(c, block, module)) {
                c++;
            } else {
                endCursor(c);
            }
        }
        int slot = block < headSlot.length ? headSlot[block] : -1;
        if (slot >= 0 && startHere.getAsBoolean()) {
            nodeCount[roots[slot]]++;
            cursorSlot[cursors] = slot;
            cursorNode[cursors] = roots[slot];
            cursorDepth[cursors] = 0;
            cursors++;
        }
    }

    /**
     * Moves cursor {@code c} on by {@code block}; false when the cursor stops here.
     *
     * @param module the block's {@link #continuesIn} entry
     */
    private boolean advance(int c, int block, int module) {
        int slot = cursorSlot[c];
        int parent = cursorNode[c];
        int child = lastChild[parent];
        if (child < 0 || nodeBlock[child] != block) {
            child = child(parent, block);
            if (child < 0) {
                truncated++;
                return false;
            }
            lastChild[parent] = child;
        }
        nodeCount[child]++;
        cursorNode[c] = child;
        return module == headModule[slot] && block != heads[slot] && ++cursorDepth[c] < maxDepth;
    }

    /** The child of {@code parent} for {@code block}, added if new; -1 if the tree is full. */
    private int child(int parent, int block) {
        long key = LongLongMap.pair(parent, block);
        int child = (int) childOf.get(key, -1);
        if (child < 0) {
            if (nodes >= maxNodes) return -1;
            child = newNode(block);
            childOf.put(key, child);
            nextSibling[child] = firstChild[parent];
            firstChild[parent] = child;
        }
        return child;
    }

    private void endCursor(int c) {
        cursors--;
        cursorSlot[c] = cursorSlot[cursors];
        cursorNode[c] = cursorNode[cursors];
        cursorDepth[c] = cursorDepth[cursors];
    }

    private void endAllCursors() {
        cursors = 0;
    }

    private int newNode(int block) {
        if (nodes == nodeBlock.length) {
            int capacity = nodes * 2;
            nodeBlock = Arrays.copyOf(nodeBlock, capacity);
            nodeCount = Arrays.copyOf(nodeCount, capacity);
            firstChild = Arrays.copyOf(firstChild, capacity);
            nextSibling = Arrays.copyOf(nextSibling, capacity);
            lastChild = Arrays.copyOf(lastChild, capacity);
        }
        int node = nodes++;
        nodeBlock[node] = block;
        nodeCount[node] = 0;
        firstChild[node] = -1;
        nextSibling[node] = -1;
        lastChild[node] = -1;
        return node;
    }
}
