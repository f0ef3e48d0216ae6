package dev.tracedb.store.projection;

import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.format.ByteSink;
import dev.tracedb.store.format.ByteSource;
import dev.tracedb.store.format.FormatException;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The execution profile of a run: how often each block ran, and how often each block was directly
 * followed by each other block (edges, across batch boundaries too: the stream is one sequence).
 * Built by replaying the log; its serialized form ({@link #toBytes()}) depends only on the log, so
 * a rebuild is bit-identical.
 *
 * <p>Serialized form, little-endian: {@code "TDBPROF1"}, i64 log last index, i64 block events,
 * u32 n, n × (i32 block id, i64 count) ascending by id, u32 m, m × (i32 from, i32 to, i64 count)
 * ascending by (from, to), u32 CRC32C of all preceding bytes.
 */
public final class Profile {
    private static final byte[] MAGIC = "TDBPROF1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final long lastIndex;
    private final long blockEvents;
    private final int[] blockIds;
    private final long[] blockCounts;
    private final long[] edgeKeys;
    private final long[] edgeCounts;

    private Profile(long lastIndex, long blockEvents, int[] blockIds, long[] blockCounts, long[] edgeKeys,
                    long[] edgeCounts) {
        this.lastIndex = lastIndex;
        this.blockEvents = blockEvents;
        this.blockIds = blockIds;
        this.blockCounts = blockCounts;
        this.edgeKeys = edgeKeys;
        this.edgeCounts = edgeCounts;
    }

    /** Replays the whole run. Memory is proportional to distinct blocks and edges, not to events. */
    public static Profile build(RunReader reader) {
        Builder b = new Builder();
        reader.replay(b);
        return b.finish(reader.lastIndex());
    }

    /** The log index this profile was built from (see {@link RunReader#lastIndex()}). */
    public long lastIndex() {
        return lastIndex;
    }

    public long blockEvents() {
        return blockEvents;
    }

    /** Distinct blocks executed. */
    public int blocks() {
        return blockIds.length;
    }

    /** Distinct edges executed. */
    public int edges() {
        return edgeKeys.length;
    }

    /** How often {@code blockId} ran. */
    public long count(int blockId) {
        int i = Arrays.binarySearch(blockIds, blockId);
        return i < 0 ? 0 : blockCounts[i];
    }

    /** How often {@code to} ran right after {@code from}. */
    public long edgeCount(int from, int to) {
        int i = Arrays.binarySearch(edgeKeys, LongLongMap.pair(from, to));
        return i < 0 ? 0 : edgeCounts[i];
    }

    /** Visits executed blocks in ascending id order. */
    public void forEachBlock(BlockCountConsumer consumer) {
        for (int i = 0; i < blockIds.length; i++) consumer.accept(blockIds[i], blockCounts[i]);
    }

    /** Visits executed edges in ascending (from, to) order. */
    public void forEachEdge(EdgeCountConsumer consumer) {
        for (int i = 0; i < edgeKeys.length; i++) {
            consumer.accept(LongLongMap.high(edgeKeys[i]), LongLongMap.low(edgeKeys[i]), edgeCounts[i]);
        }
    }

    @FunctionalInterface
    public interface BlockCountConsumer {
        void accept(int blockId, long count);
    }

    @FunctionalInterface
    public interface EdgeCountConsumer {
        void accept(int from, int to, long count);
    }

    /** The stable serialized form. */
    public byte[] toBytes() {
        ByteSink out = new ByteSink(32 + blockIds.length * 12 + edgeKeys.length * 16);
        out.raw(MAGIC, 0, MAGIC.length);
        out.i64(lastIndex);
        out.i64(blockEvents);
        out.i32(blockIds.length);
        for (int i = 0; i < blockIds.length; i++) {
            out.i32(blockIds[i]);
            out.i64(blockCounts[i]);
        }
        out.i32(edgeKeys.length);
        for (int i = 0; i < edgeKeys.length; i++) {
            out.i32(LongLongMap.high(edgeKeys[i]));
            out.i32(LongLongMap.low(edgeKeys[i]));
            out.i64(edgeCounts[i]);
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.length());
        out.i32((int) crc.getValue());
        return Arrays.copyOf(out.array(), out.length());
    }

    /** Parses {@link #toBytes()}; a damaged cache is a {@link FormatException}, to be rebuilt. */
    public static Profile fromBytes(byte[] bytes) throws FormatException {
        if (bytes.length < MAGIC.length + 4) throw new FormatException("profile too short");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteSource tail = new ByteSource(bytes, bytes.length - 4, bytes.length);
        if (tail.i32() != (int) crc.getValue()) throw new FormatException("profile CRC32C mismatch");
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) throw new FormatException("not a profile");
        ByteSource in = new ByteSource(bytes, MAGIC.length, bytes.length - 4);
        long lastIndex = in.i64();
        long events = in.i64();
        int n = in.length(12);
        int[] ids = new int[n];
        long[] counts = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = in.i32();
            counts[i] = in.i64();
        }
        int m = in.length(16);
        long[] keys = new long[m];
        long[] edgeCounts = new long[m];
        for (int i = 0; i < m; i++) {
            keys[i] = LongLongMap.pair(in.i32(), in.i32());
            edgeCounts[i] = in.i64();
        }
        in.expectEnd();
        return new Profile(lastIndex, events, ids, counts, keys, edgeCounts);
    }

    /** Accumulates counts during a replay. Block counts in a dense array: ids are small and dense. */
    private static final class Builder implements EventVisitor {
        private long[] counts = new long[1024];
        private final LongLongMap edges = new LongLongMap(1 << 12);
        private long events;
        private int prev = -1;

        @Override
        public void execBatch(ExecBatchHeader header, int[] ids) {
            int n = header.eventCount();
            long[] c = counts;
            int p = prev;
            for (int i = 0; i < n; i++) {
                int id = ids[i];
                if (id >= c.length) c = counts = Arrays.copyOf(c, Math.max(id + 1, c.length * 2));
                c[id]++;
                if (p >= 0) edges.add(LongLongMap.pair(p, id), 1);
                p = id;
            }
            prev = p;
            events += n;
        }

        Profile finish(long lastIndex) {
            int n = 0;
            for (long c : counts) {
                if (c != 0) n++;
            }
            int[] ids = new int[n];
            long[] cs = new long[n];
            int j = 0;
            for (int id = 0; id < counts.length; id++) {
                if (counts[id] != 0) {
                    ids[j] = id;
                    cs[j++] = counts[id];
                }
            }
            long[] edgeKeys = edges.sortedKeys();
            long[] edgeCounts = new long[edgeKeys.length];
            for (int k = 0; k < edgeKeys.length; k++) edgeCounts[k] = edges.get(edgeKeys[k], 0);
            return new Profile(lastIndex, events, ids, cs, edgeKeys, edgeCounts);
        }
    }
}
