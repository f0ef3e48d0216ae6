package dev.tracedb.compiler.forecast;

import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.projection.LongLongMap;
import java.util.Arrays;
import java.util.List;

/**
 * Replays recorded block streams against a set of traces, as the patched program would run them.
 *
 * <p>The model: outside traces, reaching a head block enters its trace (the loader patched a jump
 * there). Inside a trace, each next block event must be the path's next block; otherwise the guard
 * at the end of the previous block fails and the program side-exits to the block the stream really
 * went to. After the last block the stream must continue at the trace's continuation: then the
 * trace <em>completed</em>, and the continuation is reached like any other address, so a loop trace
 * runs its next iteration and a continuation at another trace's head enters that trace (linked
 * traces). A side exit that lands on a head enters that head's trace too, since the original code
 * there is patched. Instructions of blocks matched inside a trace are "inside"; all others run in
 * the original code.
 *
 * <p>Traces are switched on when the stream first reaches the {@link ProgramEntry} given (in each
 * run): code before it runs in the original code, as under the loader. Without an entry, traces are
 * on from the first block event.
 *
 * <p>Per trace it counts entries (from the original code or another trace, not its own loop-back),
 * passes through the head (entries plus loop iterations), completions, exits at the first guard,
 * instructions inside, and side exits by target block. Per block it counts executions outside
 * traces, which is what selects further heads. Memory: per trace and per distinct exit target.
 *
 * <p>Not thread-safe.
 */
public final class TraceSimulator implements BlockStream.Sink {
    private final BlockCatalog catalog;
    private final int[][] paths;
    private final int[] continuationModule;
    private final long[] continuationOffset;
    private int[] headTrace = new int[0];

    private final long[] entries;
    private final long[] passes;
    private final long[] completions;
    private final long[] firstGuardExits;
    private final long[] inside;
    private final long[][] reached;
    private final LongLongMap exits = new LongLongMap(256);
    private long[] outside = new long[1024];
    private long totalInstructions;
    private long instructionsInTraces;

    private int current = -1;
    private int position;
    private final ProgramEntry activation;
    private boolean active;

    /** @param activation where traces are switched on in each run, or null for "from the start" */
    public TraceSimulator(BlockCatalog catalog, List<SimulatedTrace> traces, ProgramEntry activation) {
        this.catalog = catalog;
        this.activation = activation;
        int n = traces.size();
        paths = new int[n][];
        continuationModule = new int[n];
        continuationOffset = new long[n];
        entries = new long[n];
        passes = new long[n];
        completions = new long[n];
        firstGuardExits = new long[n];
        inside = new long[n];
        reached = new long[n][];
        for (int t = 0; t < n; t++) {
            SimulatedTrace trace = traces.get(t);
            paths[t] = trace.blocks();
            reached[t] = new long[paths[t].length];
            continuationModule[t] = trace.continuationModule();
            continuationOffset[t] = trace.continuationOffset();
            int head = trace.head();
            if (head >= headTrace.length) {
                int old = headTrace.length;
                headTrace = Arrays.copyOf(headTrace, Math.max(head + 1, old * 2));
                Arrays.fill(headTrace, old, headTrace.length, -1);
            }
            if (headTrace[head] >= 0) throw new IllegalArgumentException("two traces share head block " + head);
            headTrace[head] = t;
        }
    }

    /** Streams {@code runs} through a new simulator of {@code traces}. */
    public static TraceSimulator simulate(List<RunReader> runs, BlockCatalog catalog, List<SimulatedTrace> traces,
                                          ProgramEntry activation, ProgressListener progress) {
        TraceSimulator simulator = new TraceSimulator(catalog, traces, activation);
        BlockStream.stream(runs, catalog, simulator, progress, "forecast");
        return simulator;
    }

    @Override
    public void runStarted(int runIndex, RunReader run) {
        current = -1;
        active = activation == null;
    }

    @Override
    public void block(int block) {
        int instructions = catalog.instructionCount(block);
        totalInstructions += instructions;
        if (!active) {
            if (catalog.offset(block) != activation.offset()
                    || !catalog.moduleKey(catalog.moduleOf(block)).equals(activation.module())) {
                return;
            }
            active = true;
        }
        int t = current;
        int completed = -1;
        if (t >= 0) {
            int[] path = paths[t];
            if (position < path.length) {
                if (path[position] == block) {
                    reached[t][position]++;
                    position++;
                    inside[t] += instructions;
                    instructionsInTraces += instructions;
                    return;
                }
                sideExit(t, block);
            } else if (catalog.moduleOf(block) == continuationModule[t]
                    && catalog.offset(block) == continuationOffset[t]) {
                completions[t]++;
                completed = t;
            } else {
                sideExit(t, block);
            }
            current = -1;
        }
        arrive(block, instructions, completed);
    }

    /**
     * The original code reaches {@code block}: enter its trace if it is a head. {@code completed}
     * is the trace that just completed into it, if any: a loop trace's next iteration is not an entry.
     */
    private void arrive(int block, int instructions, int completed) {
        int t = block < headTrace.length ? headTrace[block] : -1;
        if (t < 0) {
            if (block >= outside.length) outside = Arrays.copyOf(outside, Math.max(outside.length * 2, block + 1));
            outside[block]++;
            return;
        }
        if (completed != t) entries[t]++;
        passes[t]++;
        reached[t][0]++;
        current = t;
        position = 1;
        inside[t] += instructions;
        instructionsInTraces += instructions;
    }

    private void sideExit(int t, int to) {
        if (position == 1) firstGuardExits[t]++;
        exits.add(LongLongMap.pair(t, to), 1);
    }

    /**
     * True if the last block event ran in the original code: traces were on and it was neither
     * inside a trace nor the head of one.
     */
    public boolean inOriginalCode() {
        return active && current < 0;
    }

    /**
     * The trace the last block event ran inside (its head included), or -1 if it ran in the
     * original code; {@link #currentPosition()} is its place on that trace's path. Lets a sink
     * streamed after this one align per-event data (value samples) to trace positions.
     */
    public int currentTrace() {
        return current;
    }

    /** The path index of the last block event inside {@link #currentTrace()} (meaningless when that is -1). */
    public int currentPosition() {
        return position - 1;
    }

    public int traceCount() {
        return paths.length;
    }

    public long entries(int trace) {
        return entries[trace];
    }

    /** Entries plus loop iterations: how often the head's code ran inside the trace. */
    public long passes(int trace) {
        return passes[trace];
    }

    public long completions(int trace) {
        return completions[trace];
    }

    /** How often block {@code position} of the trace's path ran inside it. */
    public long reached(int trace, int position) {
        return reached[trace][position];
    }

    /** Side exits right after the head block. */
    public long firstGuardExits(int trace) {
        return firstGuardExits[trace];
    }

    public long instructionsInside(int trace) {
        return inside[trace];
    }

    /** How often {@code block} ran in the original code, outside every trace, once traces were on. */
    public long outsideCount(int block) {
        return block < outside.length ? outside[block] : 0;
    }

    public long totalInstructions() {
        return totalInstructions;
    }

    public long instructionsInTraces() {
        return instructionsInTraces;
    }

    @FunctionalInterface
    public interface ExitConsumer {
        void accept(int trace, int toBlock, long count);
    }

    /** Visits every (trace, exit target) pair, in no particular order. */
    public void forEachExit(ExitConsumer consumer) {
        exits.forEach((key, count) -> consumer.accept(LongLongMap.high(key), LongLongMap.low(key), count));
    }
}
