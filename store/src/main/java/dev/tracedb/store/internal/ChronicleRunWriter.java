package dev.tracedb.store.internal;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.format.BatchEncoding;
import dev.tracedb.store.format.ByteSink;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.ProbeFrames;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.time.Clock;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Writes one run log. Holds the run's writer lock for its whole life, so other processes see the
 * run as recording; the kernel drops the lock if this process dies.
 */
final class ChronicleRunWriter implements RunWriter {
    private final RunId id;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final FileLocks.Held writerLock;
    private final EventCodec codec;
    private final Clock clock;
    private final Consumer<RunEnded> onEnd;

    /** Instruction count per block id; 0 means "not defined" (a defined block has at least one). */
    private int[] instructionsOf = new int[1024];
    private final BitSet modules = new BitSet();

    /**
     * The pending batch is {@code batch[0 .. pending)}. The array holds at least {@link #batchEvents}
     * ids and grows to stage a chunk larger than the room left (see {@link #appendExec(int[], int, int)}).
     */
    private int[] batch;
    private final int batchEvents;
    /** Scratch: instruction counts of the batches a staged chunk will fill. */
    private long[] stagedInstructions = new long[4];
    /** {@link #appendExec(ByteBuffer)}'s: one batch of ids read out to be checked, allocated on first use. */
    private int[] scratch;
    private int pending;
    private long pendingInstructions;
    private int batchSequence;
    private long flushedEvents;
    private long flushedInstructions;

    private boolean ended;
    private boolean closed;

    ChronicleRunWriter(RunId id, SingleChronicleQueue queue, FileLocks.Held writerLock, int batchEvents,
                       BatchEncoding encoding, Clock clock, Consumer<RunEnded> onEnd) {
        if (batchEvents < 1) throw new IllegalArgumentException("batchEvents < 1");
        this.id = id;
        this.queue = queue;
        this.writerLock = writerLock;
        this.appender = queue.createAppender();
        // Chronicle pins an appender to the thread that first used it, as a debugging aid. Our
        // contract is weaker and what a recorder needs: one thread at a time, handed over with a
        // happens-before edge (e.g. the tracer thread creates the writer, a drainer thread appends).
        this.appender.singleThreadedCheckDisabled(true);
        this.codec = new EventCodec(encoding);
        this.clock = clock;
        this.onEnd = onEnd;
        this.batchEvents = batchEvents;
        this.batch = new int[batchEvents];
    }

    void start(RunStarted started) {
        write(codec.encode(started));
    }

    @Override
    public RunId id() {
        return id;
    }

    @Override
    public void moduleMapped(ModuleMapped event) {
        checkWritable();
        if (modules.get(event.moduleId())) throw new IllegalArgumentException("module " + event.moduleId() + " already mapped");
        // No flush: pending block events cannot depend on a module mapped after them.
        write(codec.encode(event));
        modules.set(event.moduleId());
    }

    @Override
    public void defineBlock(BlockDefined event) {
        checkWritable();
        int blockId = event.blockId();
        if (blockId < instructionsOf.length && instructionsOf[blockId] != 0) {
            throw new IllegalArgumentException("block " + blockId + " already defined");
        }
        if (!modules.get(event.moduleId())) {
            throw new IllegalArgumentException("block " + blockId + " refers to unmapped module " + event.moduleId());
        }
        // No flush: pending block events only use earlier blocks, and a definition that lands in
        // the log before the batch holding them is still "defined before use". Flushing here would
        // cut batches short during warm-up, when the recorder defines blocks at a high rate.
        write(codec.encode(event));
        if (blockId >= instructionsOf.length) {
            instructionsOf = Arrays.copyOf(instructionsOf, Math.max(blockId + 1, instructionsOf.length * 2));
        }
        instructionsOf[blockId] = event.instructionCount();
    }

    @Override
    public void appendExec(int blockId) {
        checkWritable();
        int[] table = instructionsOf;
        int n;
        if (blockId < 0 || blockId >= table.length || (n = table[blockId]) == 0) throw undefined(blockId);
        batch[pending++] = blockId;
        pendingInstructions += n;
        if (pending == batchEvents) writeBatch();
    }

    @Override
    public void appendExec(int[] ids, int off, int len) {
        checkWritable();
        Objects.checkFromIndexSize(off, len, ids.length);
        int room = batchEvents - pending;
        if (len <= room) {
            // One pass that copies, sums and validates; nothing is committed until the chunk is good.
            pendingInstructions += copyAndSum(ids, off, len, batch, pending);
            pending += len;
            if (pending == batchEvents) writeBatch();
            return;
        }
        // The chunk fills the pending batch and spills over (the recorder hands over 1 Mi events at a
        // time). Writing a batch before every later id is checked would half-append a bad chunk, and
        // checking first would walk the chunk twice; so stage the whole chunk behind the pending
        // events in the same single pass, summing each batch's share, and write only then.
        if (batch.length < pending + len) batch = Arrays.copyOf(batch, pending + len);
        int batches = 1 + (len - room + batchEvents - 1) / batchEvents;
        if (stagedInstructions.length < batches) stagedInstructions = new long[batches];
        long[] sums = stagedInstructions;
        int[] staged = batch;
        for (int b = 0, p = off, at = pending; b < batches; b++) {
            int k = b == 0 ? room : Math.min(batchEvents, off + len - p);
            sums[b] = copyAndSum(ids, p, k, staged, at);
            p += k;
            at += k;
        }
        pending += room;
        pendingInstructions += sums[0];
        writeBatch(0);
        int from = batchEvents;
        int left = len - room;
        for (int b = 1; b < batches; b++) {
            int k = Math.min(batchEvents, left);
            pending = k;
            pendingInstructions = sums[b];
            if (k == batchEvents) {
                writeBatch(from);
            } else {
                System.arraycopy(staged, from, staged, 0, k); // the tail becomes the pending batch
            }
            from += k;
            left -= k;
        }
    }

    /**
     * Tops up the pending batch by copying, then encodes each whole batch straight from {@code ids}'
     * memory (LZ4 reads it there: no copy for the recorder's ring), then copies the tail to pending.
     * Each whole batch is checked (and its instructions summed) just before it is written, through
     * {@link #scratch}, a batch-sized array that stays in cache for the compressor's read after it.
     */
    @Override
    public void appendExec(ByteBuffer ids) {
        checkWritable();
        if (ids.remaining() % 4 != 0) {
            throw new IllegalArgumentException("block ids are 4 bytes each: " + ids.remaining() + " bytes");
        }
        ByteBuffer bytes = ids.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        IntBuffer ints = bytes.asIntBuffer();
        int at = bytes.position();
        int count = ints.remaining();
        if (scratch == null) scratch = new int[batchEvents];
        int done = pending == 0 ? 0 : copyIn(ints, 0, Math.min(count, batchEvents - pending));
        while (count - done >= batchEvents) {
            ints.get(done, scratch, 0, batchEvents);
            long insns = sumDefined(scratch, batchEvents);
            write(codec.encodeBatch(batchSequence, flushedEvents, flushedInstructions, bytes, at + 4 * done,
                    batchEvents, insns));
            batchSequence++;
            flushedEvents += batchEvents;
            flushedInstructions += insns;
            done += batchEvents;
        }
        copyIn(ints, done, count - done);
    }

    /** Appends {@code ints[from .. from+len)} through {@link #scratch}; returns {@code from + len}. */
    private int copyIn(IntBuffer ints, int from, int len) {
        for (int done = 0; done < len; ) {
            int n = Math.min(len - done, scratch.length);
            ints.get(from + done, scratch, 0, n);
            appendExec(scratch, 0, n);
            done += n;
        }
        return from + len;
    }

    /**
     * Copies {@code ids[off .. off+len)} to {@code dst[at ..]} and returns their instruction count.
     * Validation rides on the sum: a defined block has at least one instruction and an undefined one
     * reads as 0, so OR-ing {@code n - 1} leaves the sign bit set iff some id was undefined, and an id
     * outside the table fails the array's own bounds check. Either way only the uncommitted tail of
     * {@code dst} has been written, and the first bad id is reported, as the two-pass loop did.
     */
    private long copyAndSum(int[] ids, int off, int len, int[] dst, int at) {
        int[] table = instructionsOf;
        long insns = 0;
        int bad = 0;
        try {
            for (int i = 0; i < len; i++) {
                int id = ids[off + i];
                dst[at + i] = id;
                int n = table[id];
                bad |= n - 1;
                insns += n;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            bad = -1;
        }
        if (bad < 0) checkDefined(ids, off, len);
        return insns;
    }

    /** The instruction count of {@code ids[0 .. len)}, checked as in {@link #copyAndSum}. */
    private long sumDefined(int[] ids, int len) {
        int[] table = instructionsOf;
        long insns = 0;
        int bad = 0;
        try {
            for (int i = 0; i < len; i++) {
                int n = table[ids[i]];
                bad |= n - 1;
                insns += n;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            bad = -1;
        }
        if (bad < 0) checkDefined(ids, 0, len);
        return insns;
    }

    /** Throws the "used before it is defined" error for the first undefined id in the range, if any. */
    private void checkDefined(int[] ids, int off, int len) {
        int[] table = instructionsOf;
        for (int i = off, end = off + len; i < end; i++) {
            int id = ids[i];
            if (id < 0 || id >= table.length || table[id] == 0) throw undefined(id);
        }
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        checkWritable();
        flush();
        write(codec.encode(new SyscallResult(flushedEvents, number, args, result)));
    }

    @Override
    public void signal(int signo, int code, long address) {
        checkWritable();
        flush();
        write(codec.encode(new SignalDelivered(flushedEvents, signo, code, address)));
    }

    @Override
    public void inputsOnly() {
        checkWritable();
        write(codec.encodeInputsOnly());
    }

    @Override
    public void unplacedStop() {
        checkWritable();
        flush();
        write(codec.encodeUnplacedStop());
    }

    @Override
    public void memoryWritten(long address, byte[] bytes) {
        checkWritable();
        flush();
        write(codec.encode(new MemoryWritten(flushedEvents, address, bytes)));
    }

    @Override
    public void fileMapped(String path, long size, long modifiedNanos, long inode, long changedNanos, long device) {
        checkWritable();
        flush();
        write(codec.encode(new FileMapped(flushedEvents, path, size, modifiedNanos, inode, changedNanos, device)));
    }

    @Override
    public void timestampRead(long value, long aux, boolean withAux) {
        checkWritable();
        flush();
        write(codec.encode(new TimestampRead(flushedEvents, value, aux, withAux)));
    }

    /** Samples per PROBE_SAMPLES frame at most. */
    private static final int PROBE_CHUNK = 1 << 16;
    private boolean probing;
    private boolean probeWindowEnded;
    private long probeSamplesWritten;

    @Override
    public void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
        checkWritable();
        if (probing) throw new IllegalStateException("run " + id + " has its probe sites already");
        write(codec.encode(new ProbeFrames.Sites(sites, firstEvent)));
        probing = true;
    }

    @Override
    public void probeSamples(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        checkWritable();
        if (!probing || probeWindowEnded) throw new IllegalStateException("run " + id + " has no open probe window");
        for (int from = 0; from < count; from += PROBE_CHUNK) {
            int n = Math.min(PROBE_CHUNK, count - from);
            // A chunk covers only up to its own last sample's event unless it is the last chunk.
            long covered = from + n == count ? coveredTo : blockEvents[from + n - 1];
            write(codec.encodeProbeSamples(blockEvents, sites, values, from, n, covered));
        }
        if (count == 0) write(codec.encodeProbeSamples(blockEvents, sites, values, 0, 0, coveredTo));
        probeSamplesWritten += count;
    }

    @Override
    public void probeWindowEnd(long endEvent, boolean cutOff) {
        checkWritable();
        if (!probing || probeWindowEnded) throw new IllegalStateException("run " + id + " has no open probe window");
        write(codec.encode(new ProbeFrames.WindowEnd(endEvent, cutOff, probeSamplesWritten)));
        probeWindowEnded = true;
    }

    @Override
    public void flush() {
        if (closed) return;
        if (pending > 0) writeBatch();
    }

    @Override
    public long blockEvents() {
        return flushedEvents + pending;
    }

    @Override
    public long instructions() {
        return flushedInstructions + pendingInstructions;
    }

    @Override
    public RunEnded end(ExitStatus status) {
        checkWritable();
        flush();
        RunEnded end = new RunEnded(status, flushedEvents, flushedInstructions, clock.instant());
        write(codec.encode(end));
        ended = true;
        onEnd.accept(end);
        return end;
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            flush();
        } finally {
            closed = true;
            try {
                appender.close();
                queue.close();
            } finally {
                writerLock.close();
            }
        }
    }

    private void writeBatch() {
        writeBatch(0);
    }

    /** Writes {@code batch[from .. from+pending)} as the next batch; the pending batch is then empty. */
    private void writeBatch(int from) {
        write(codec.encodeBatch(batchSequence, flushedEvents, flushedInstructions, batch, from, pending,
                pendingInstructions));
        batchSequence++;
        flushedEvents += pending;
        flushedInstructions += pendingInstructions;
        pending = 0;
        pendingInstructions = 0;
    }

    private void write(ByteSink bytes) {
        try {
            LogDocuments.write(appender, bytes.array(), bytes.length());
        } catch (RuntimeException e) {
            throw new StoreException("cannot append to run " + id + ": " + e, e);
        }
    }

    private void checkWritable() {
        if (closed) throw new IllegalStateException("run " + id + " writer is closed");
        if (ended) throw new IllegalStateException("run " + id + " has ended");
    }

    private IllegalArgumentException undefined(int blockId) {
        return new IllegalArgumentException("block " + blockId + " is used before it is defined (run " + id + ")");
    }
}
