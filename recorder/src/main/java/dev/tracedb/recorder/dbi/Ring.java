package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * The event ring: translated blocks append their 4-byte id at the cursor, which lives in the
 * control page as an absolute tracee address. Java drains it whenever the tracee is stopped
 * (every miss, syscall, signal and the exit) and rewinds the cursor to the start.
 *
 * <p>Overflow: the page after the ring is PROT_NONE in the tracee, so the prologue store that
 * would write past the end faults with SIGSEGV at exactly {@link #guard()}, with rax holding that
 * address. {@link #onOverflow()} drains the full ring and the engine restarts the faulting store
 * with rax set back to the ring's start; no event is lost and the program sees nothing.
 *
 * <p>Not thread-safe; use only while the tracee is stopped (or gone).
 */
final class Ring {
    private static final int CHUNK = 1 << 16;

    private final SharedRegion region;
    private final ByteBuffer bytes;
    /** The ring's slots, read in bulk (a copy at memory speed, not an access per event). */
    private final IntBuffer slots;
    private final long start;
    private final int[] chunk = new int[CHUNK];
    private long drained;
    private long overflows;
    private long drainNanos;

    Ring(SharedRegion region) {
        this.region = region;
        this.bytes = region.buffer();
        this.start = region.at(region.layout().ringOffset()).value();
        bytes.putLong(RegionLayout.RING_CURSOR, start);
        ByteBuffer ring = bytes.duplicate();
        ring.position(region.layout().ringOffset()).limit(region.layout().ringEnd());
        this.slots = ring.slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    }

    /** The tracee address of the first slot, where the cursor goes back to. */
    CacheAddress start() {
        return CacheAddress.of(start);
    }

    /** The first byte of the guard page. */
    CacheAddress guard() {
        return region.at(region.layout().guardOffset());
    }

    /** Delivers the events since the last drain to {@code sink} and rewinds the cursor. */
    void drain(EventSink sink) {
        long t0 = System.nanoTime();
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        long used = cursor - start;
        if (used < 0 || used > region.layout().ringBytes() || used % 4 != 0) {
            throw new IllegalStateException("ring cursor corrupted: 0x" + Long.toHexString(cursor));
        }
        int events = (int) (used / 4);
        for (int done = 0; done < events; ) {
            int n = Math.min(CHUNK, events - done);
            slots.get(done, chunk, 0, n);
            sink.executed(chunk, n);
            done += n;
        }
        drained += events;
        bytes.putLong(RegionLayout.RING_CURSOR, start);
        sink.drained();
        drainNanos += System.nanoTime() - t0;
    }

    /**
     * Whether the last event appended since the last drain is {@code id}: then it can still be
     * taken back ({@link #retractLast}), the log has not seen it.
     */
    boolean lastIs(int id) {
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        return cursor > start && slots.get((int) ((cursor - start) / 4) - 1) == id;
    }

    /** Takes back the last event appended (a block cut short by a signal, logged as its prefix instead). */
    void retractLast() {
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        if (cursor <= start) {
            throw new IllegalStateException("no event to take back since the last drain");
        }
        bytes.putLong(RegionLayout.RING_CURSOR, cursor - 4);
    }

    /** Time spent draining, the sink's included: the tracee is stopped all that time. */
    long drainNanos() {
        return drainNanos;
    }

    /** A prologue hit the guard page: everything in the ring is complete. */
    void onOverflow(EventSink sink) {
        overflows++;
        drain(sink);
    }

    long eventsDrained() {
        return drained;
    }

    long overflows() {
        return overflows;
    }
}
