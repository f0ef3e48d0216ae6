package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Blocks translated ahead of their first run, and the events they leave in the ring until then.
 *
 * <p>A block gets its log id (and its definition in the log) when it first runs, so that ids and
 * definitions follow the order of first execution, exactly as with the step engine. A block
 * translated ahead cannot know that moment, so its prologue first appends a <em>provisional</em>
 * id, negative ({@code -1 - index}). As an {@link EventSink} in front of the engine's sink, this
 * class finds those ids in each drained chunk (one OR over the chunk tells whether there is any),
 * defines each block on its first appearance, in stream order, through the {@link BlockSource},
 * rewrites the chunk with the log ids, and patches the block's prologue to append its log id from
 * then on. Drains happen only while the tracee is stopped (or gone), so the patch is safe.
 *
 * <p>Looking costs a pass over every drained event (~0.5 ns each, a second per two billion, with
 * the program stopped), so a block translated ahead also sets {@link RegionLayout#PREFETCHED_RAN};
 * chunks are searched only when that byte is set, and a search clears it (a full ring's fault sets it
 * again for the append that runs after the drain, {@link Ring#onOverflow}). The store is replaced by
 * a NOP when the block gets its log id.
 *
 * <p>Not thread-safe: tracer thread only.
 */
final class PrefetchedBlocks implements EventSink {
    private static final int UNDEFINED = -1;

    private final EventSink downstream;
    private final BlockSource source;
    private final CodeCache cache;
    /** By index (provisional id {@code -1 - index}): the fragment under its provisional id, where its id field is. */
    private final List<Fragment> fragments = new ArrayList<>();
    private final List<CacheAddress> idFields = new ArrayList<>();
    private final List<CacheAddress> flagStores = new ArrayList<>();
    private final ByteBuffer control;
    private int[] logIds = new int[256];
    private int defined;

    PrefetchedBlocks(EventSink downstream, BlockSource source, CodeCache cache, SharedRegion region) {
        this.downstream = downstream;
        this.source = source;
        this.cache = cache;
        this.control = region.buffer();
    }

    /** The provisional id the next {@link #add}ed block must carry. */
    int nextProvisionalId() {
        return -1 - fragments.size();
    }

    /**
     * Adds a block translated under {@link #nextProvisionalId()}, whose prologue holds it at
     * {@code idField} and marks its runs with the store at {@code flagStore}.
     */
    void add(Fragment fragment, CacheAddress idField, CacheAddress flagStore) {
        if (fragment.id() != nextProvisionalId()) {
            throw new IllegalArgumentException("expected provisional id " + nextProvisionalId() + ": " + fragment);
        }
        int index = fragments.size();
        fragments.add(fragment);
        idFields.add(idField);
        flagStores.add(flagStore);
        if (index == logIds.length) {
            logIds = Arrays.copyOf(logIds, index * 2);
        }
        logIds[index] = UNDEFINED;
    }

    /** Blocks translated ahead so far. */
    int translated() {
        return fragments.size();
    }

    /** Of those, the blocks that have run (and are defined in the log). */
    int ran() {
        return defined;
    }

    @Override
    public void blockDefined(Fragment block) {
        downstream.blockDefined(block);
    }

    @Override
    public void executed(int[] ids, int count) {
        if (control.get(RegionLayout.PREFETCHED_RAN) == 0) {
            downstream.executed(ids, count);
            return;
        }
        int any = 0;
        for (int i = 0; i < count; i++) {
            any |= ids[i];
        }
        if (any < 0) {
            for (int i = 0; i < count; i++) {
                if (ids[i] < 0) {
                    ids[i] = logId(-1 - ids[i]);
                }
            }
        }
        downstream.executed(ids, count);
    }

    /** As above, on a view of the ring: provisional ids are rewritten in the ring itself. */
    @Override
    public void executed(ByteBuffer ids, Runnable written) {
        if (control.get(RegionLayout.PREFETCHED_RAN) != 0) {
            // Consumed by this search of every event since the last drain. Not cleared by drained():
            // a drain with no events (several come per stop) must not drop a mark stored for an
            // append still to come (Ring.onOverflow).
            control.put(RegionLayout.PREFETCHED_RAN, (byte) 0);
            try {
                ByteBuffer le = ids.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = le.position(), end = le.limit(); i < end; i += 4) {
                    int id = le.getInt(i);
                    if (id < 0) {
                        le.putInt(i, logId(-1 - id));
                    }
                }
            } catch (RuntimeException | Error e) {
                written.run();
                throw e;
            }
        }
        downstream.executed(ids, written);
    }

    /**
     * Defines now the block translated ahead under {@code provisionalId} (a block entered and cut
     * short by a signal before any drain saw it run) and returns its log id.
     */
    int define(int provisionalId) {
        return logId(-1 - provisionalId);
    }

    private int logId(int index) {
        int id = logIds[index];
        if (id == UNDEFINED) {
            Fragment fragment = fragments.get(index);
            id = source.blockAt(fragment.start()).id();
            logIds[index] = id;
            defined++;
            cache.patchInt32(idFields.get(index), id);
            cache.patchNop(flagStores.get(index), BlockTranslator.FLAG_STORE_BYTES);
            downstream.blockDefined(fragment.withId(id));
        }
        return id;
    }

    @Override
    public void drained() {
        downstream.drained();
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        downstream.syscall(number, args, result);
    }

    @Override
    public void signal(int signo, int code, long address) {
        downstream.signal(signo, code, address);
    }

    @Override
    public void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
        downstream.probeSites(sites, firstEvent);
    }

    @Override
    public void probed(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        downstream.probed(blockEvents, sites, values, count, coveredTo);
    }

    @Override
    public void probeWindowEnd(long endEvent, boolean cutOff) {
        downstream.probeWindowEnd(endEvent, cutOff);
    }
}
