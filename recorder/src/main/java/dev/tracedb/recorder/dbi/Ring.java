package dev.tracedb.recorder.dbi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The event ring: translated blocks append their 4-byte id at the cursor, which lives in the
 * control page as an absolute tracee address. Java drains it whenever the tracee is stopped
 * (every miss, syscall, signal and the exit): the events since the last drain go to the sink as a
 * view of the ring's own memory, not a copy, and the cursor stays where it is.
 *
 * <p>Two halves: the ring is split by a guard page ({@link RegionLayout#midGuardOffset()}), and
 * another follows it, both PROT_NONE in the tracee. The prologue store that would write past the
 * end of a half faults with SIGSEGV at exactly that half's guard, with rax holding that address.
 * {@link #onOverflow} hands the rest of the full half to the sink and moves the cursor to the
 * start of the other half, which the engine restarts the faulting store with. So an overflow
 * stops the program for a register write, while the writer side reads the full half; the program
 * waits only when it has filled the other half too before the writer side is done with it
 * (backpressure, never a lost event). Why: copying the 16 MiB ring out on every overflow, with
 * the program stopped, was ~2–4 ms per overflow, seconds per recording.
 *
 * <p>Views handed to {@link EventSink#executed(ByteBuffer, Runnable)} stay valid until their
 * {@code written} callback has run (on any thread); a half is reused only when every view of it
 * has been released, and {@link #awaitWritten} waits for all of them (before the region is
 * unmapped).
 *
 * <p>Not thread-safe; use only on the tracer thread while the tracee is stopped (or gone), except
 * that the release callbacks may run on any thread.
 */
final class Ring {
    /** How long a wait for the writer side sleeps between looks: far below one half's fill time. */
    private static final long WAIT_NANOS = 20_000;

    private final SharedRegion region;
    private final ByteBuffer bytes;
    /** The ring's slots (the guard page between the halves included, never read). */
    private final IntBuffer slots;
    /** The same memory as bytes, which the views handed to the sink are slices of. */
    private final ByteBuffer ringBytes;
    private final long ringStart;
    /** Per half: its first slot's address and its guard page's (one past its last slot). */
    private final long[] halfStart = new long[2];
    private final long[] halfGuard = new long[2];
    /** Per half: events handed to the sink (tracer thread), and of those, released by the sink. */
    private final long[] handed = new long[2];
    private final AtomicLong[] released = {new AtomicLong(), new AtomicLong()};
    private int half;
    /** The address of the first event not handed to the sink yet, in {@link #half}. */
    private long handedUpTo;
    private long drained;
    private long overflows;
    private long drainNanos;
    private long waitNanos;

    Ring(SharedRegion region) {
        this.region = region;
        this.bytes = region.buffer();
        RegionLayout layout = region.layout();
        this.ringStart = region.at(layout.ringOffset()).value();
        halfStart[0] = ringStart;
        halfGuard[0] = region.at(layout.midGuardOffset()).value();
        halfStart[1] = halfGuard[0] + RegionLayout.PAGE;
        halfGuard[1] = region.at(layout.guardOffset()).value();
        ByteBuffer ring = bytes.duplicate();
        ring.position(layout.ringOffset()).limit(layout.ringEnd());
        this.ringBytes = ring.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.slots = ringBytes.asIntBuffer();
        this.half = 0;
        this.handedUpTo = halfStart[0];
        bytes.putLong(RegionLayout.RING_CURSOR, handedUpTo);
    }

    /** Whether {@code address} is one of the ring's guard pages' first byte (an overflow's fault address). */
    boolean isGuard(long address) {
        return address == halfGuard[0] || address == halfGuard[1];
    }

    /** The session's value probes, whose samples are converted at each drain, or null. */
    private ValueProbes probes;

    void probes(ValueProbes probes) {
        this.probes = probes;
    }

    /**
     * Converts the value-probe samples taken so far: by the ring's state now, before a drain moves
     * it (a sample's ring cursor tells its block event only against the events not yet handed over).
     */
    void collectProbes(EventSink sink) {
        if (probes != null) probes.collect(drained + deliveredElsewhere, handedUpTo, sink);
    }

    /** Block events delivered to the sink other than from the ring (a cut-short block's prefix). */
    private long deliveredElsewhere;

    /** Notes {@code events} block events delivered to the sink directly, after the ring's: they shift the stream. */
    void deliveredElsewhere(int events) {
        deliveredElsewhere += events;
    }

    /** Delivers the events since the last drain to {@code sink}, as a view of the ring. */
    void drain(EventSink sink) {
        collectProbes(sink);
        long t0 = System.nanoTime();
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        if (cursor < handedUpTo || cursor > halfGuard[half] || (cursor - handedUpTo) % 4 != 0) {
            throw new IllegalStateException("ring cursor corrupted: 0x" + Long.toHexString(cursor)
                    + " (expected in 0x" + Long.toHexString(handedUpTo) + "..0x" + Long.toHexString(halfGuard[half]) + ")");
        }
        int events = (int) ((cursor - handedUpTo) / 4);
        if (events > 0) {
            ByteBuffer view = ringBytes.slice((int) (handedUpTo - ringStart), 4 * events).order(ByteOrder.LITTLE_ENDIAN);
            int h = half;
            handed[h] += events;
            handedUpTo = cursor;
            drained += events;
            sink.executed(view, () -> released[h].addAndGet(events));
        }
        sink.drained();
        drainNanos += System.nanoTime() - t0;
    }

    /**
     * Whether the last event appended since the last drain is {@code id}: then it can still be
     * taken back ({@link #retractLast}), the log has not seen it.
     */
    boolean lastIs(int id) {
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        return cursor > handedUpTo && slots.get((int) ((cursor - ringStart) / 4) - 1) == id;
    }

    /** Takes back the last event appended (a block cut short by a signal, logged as its prefix instead). */
    void retractLast() {
        long cursor = bytes.getLong(RegionLayout.RING_CURSOR);
        if (cursor <= handedUpTo) {
            throw new IllegalStateException("no event to take back since the last drain");
        }
        bytes.putLong(RegionLayout.RING_CURSOR, cursor - 4);
    }

    /**
     * A prologue hit the guard page at {@code faultAddress}: the current half is full. Hands it
     * over, moves the cursor to the other half (once the writer side is done with it) and returns
     * that half's start, the value the faulting store must be restarted with in rax.
     */
    CacheAddress onOverflow(EventSink sink, long faultAddress) {
        if (faultAddress != halfGuard[half]) {
            throw new IllegalStateException("ring overflow at 0x" + Long.toHexString(faultAddress)
                    + ", but the cursor is in the half that ends at 0x" + Long.toHexString(halfGuard[half]));
        }
        overflows++;
        drain(sink);
        // The faulting prologue's append runs again, into the other half. A block translated ahead
        // stored its PREFETCHED_RAN mark before that append, and the drain has just consumed it: set
        // it again, or the next drain would not look for the block's provisional id (PrefetchedBlocks).
        bytes.put(RegionLayout.PREFETCHED_RAN, (byte) 1);
        long t0 = System.nanoTime();
        int next = 1 - half;
        awaitReleased(next);
        half = next;
        handedUpTo = halfStart[next];
        bytes.putLong(RegionLayout.RING_CURSOR, handedUpTo);
        long waited = System.nanoTime() - t0;
        waitNanos += waited;
        drainNanos += waited;
        return CacheAddress.of(handedUpTo);
    }

    /** Waits until the sink has released every view of the ring handed to it (before the region goes). */
    void awaitWritten() {
        awaitReleased(0);
        awaitReleased(1);
    }

    private void awaitReleased(int h) {
        while (released[h].get() < handed[h]) {
            LockSupport.parkNanos(WAIT_NANOS);
        }
    }

    /** Time spent draining and waiting for a free half: the tracee is stopped all that time. */
    long drainNanos() {
        return drainNanos;
    }

    /** Of {@link #drainNanos}, the time spent waiting for the writer side to release a half. */
    long waitNanos() {
        return waitNanos;
    }

    /** Block events delivered to the sink so far, by the ring and otherwise: the stream's length. */
    long eventsDelivered() {
        return drained + deliveredElsewhere;
    }

    long eventsDrained() {
        return drained;
    }

    long overflows() {
        return overflows;
    }
}
