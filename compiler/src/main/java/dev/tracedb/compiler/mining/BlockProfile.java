package dev.tracedb.compiler.mining;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.projection.LongLongMap;
import java.util.Arrays;
import java.util.List;

/**
 * Block and edge counts over one or more runs, by {@link BlockCatalog global block id}: how often
 * each block ran, and how often each block was directly followed by each other block. Edges do not
 * cross from one run into the next. Built in one streaming pass; memory is proportional to the
 * distinct blocks and edges.
 *
 * <p>Not thread-safe while building; read-only afterwards.
 */
public final class BlockProfile implements BlockStream.Sink {
    private long[] counts = new long[1024];
    private final LongLongMap edges = new LongLongMap(4096);
    private long events;
    private long instructions;
    private int previous = -1;
    private final BlockCatalog catalog;

    private BlockProfile(BlockCatalog catalog) {
        this.catalog = catalog;
    }

    /** Streams {@code runs} once, entering their blocks into {@code catalog}. */
    public static BlockProfile mine(List<RunReader> runs, BlockCatalog catalog, ProgressListener progress) {
        BlockProfile profile = new BlockProfile(catalog);
        BlockStream.stream(runs, catalog, profile, progress, "profile");
        return profile;
    }

    @Override
    public void runStarted(int runIndex, RunReader run) {
        previous = -1;
    }

    @Override
    public void block(int block) {
        if (block >= counts.length) counts = Arrays.copyOf(counts, Math.max(counts.length * 2, block + 1));
        counts[block]++;
        events++;
        instructions += catalog.instructionCount(block);
        if (previous >= 0) edges.add(LongLongMap.pair(previous, block), 1);
        previous = block;
    }

    /** How often {@code block} ran. */
    public long count(int block) {
        return block < counts.length ? counts[block] : 0;
    }

    /** How often {@code to} ran right after {@code from}. */
    public long edgeCount(int from, int to) {
        return edges.get(LongLongMap.pair(from, to), 0);
    }

    @FunctionalInterface
    public interface EdgeConsumer {
        void accept(int from, int to, long count);
    }

    /** Visits every executed edge, in no particular order. */
    public void forEachEdge(EdgeConsumer consumer) {
        edges.forEach((key, count) -> consumer.accept(LongLongMap.high(key), LongLongMap.low(key), count));
    }

    /** Distinct edges executed. */
    public int edgeCount() {
        return edges.size();
    }

    /** Block events streamed. */
    public long events() {
        return events;
    }

    /** Instructions those block events executed. */
    public long instructions() {
        return instructions;
    }
}
