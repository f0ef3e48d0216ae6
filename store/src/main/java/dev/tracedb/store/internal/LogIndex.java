package dev.tracedb.store.internal;

import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import dev.tracedb.store.format.FormatException;
import dev.tracedb.store.format.ProbeFrames;
import net.openhft.chronicle.queue.ExcerptTailer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What one scan of a run log learns without decoding block ids: every checksum checked, the batch
 * index, the structural rules (RunStarted first, batches contiguous, nothing after RunEnded, totals
 * agree). Built when a reader opens; about 1 header per 64 Ki block events, so it stays small.
 */
final class LogIndex {
    RunStarted started;
    final List<ModuleMapped> modules = new ArrayList<>();
    final List<ExecBatchHeader> batches = new ArrayList<>();
    long blocksDefined;
    long syscalls;
    long signals;
    boolean inputsOnly;
    long blockEvents;
    long instructions;
    long encodedBytes;
    int maxBatchEvents;
    RunEnded ended;
    long lastIndex = -1;
    /** Value probes: the sites and first event (null: the run has no probes), the sample chunks, the window end. */
    ProbeFrames.Sites probeSites;
    final List<Long> probeChunks = new ArrayList<>();
    long probeSamples;
    long probeCoveredTo;
    ProbeFrames.WindowEnd probeEnd;

    static LogIndex scan(ExcerptTailer tailer, LogDocuments docs, EventCodec codec) {
        LogIndex ix = new LogIndex();
        while (docs.next(tailer)) {
            try {
                ix.add(codec.check(docs.buffer(), docs.length()), docs, codec);
            } catch (FormatException e) {
                throw docs.corrupt(e);
            }
            ix.lastIndex = docs.index();
        }
        if (ix.started == null) throw docs.corrupt("log has no RunStarted event");
        return ix;
    }

    private void add(EventType type, LogDocuments docs, EventCodec codec) throws FormatException {
        if (started == null && type != EventType.RUN_STARTED) throw docs.corrupt("first event is " + type + ", not RUN_STARTED");
        if (ended != null) throw docs.corrupt(type + " after RUN_ENDED");
        byte[] buf = docs.buffer();
        int len = docs.length();
        switch (type) {
            case RUN_STARTED -> {
                if (started != null) throw docs.corrupt("second RUN_STARTED");
                started = (RunStarted) codec.decode(type, buf, len);
            }
            case MODULE_MAPPED -> modules.add((ModuleMapped) codec.decode(type, buf, len));
            case BLOCK_DEFINED -> blocksDefined++;
            case SYSCALL_RESULT -> syscalls++;
            case SIGNAL_DELIVERED -> signals++;
            case INPUTS_ONLY -> {
                if (blocksDefined > 0 || blockEvents > 0 || syscalls > 0) throw docs.corrupt("INPUTS_ONLY after the run's first events");
                inputsOnly = true;
            }
            case MEMORY_WRITTEN, FILE_MAPPED, TIMESTAMP_READ, UNPLACED_STOP -> {
                if (!inputsOnly) throw docs.corrupt("a run with blocks cannot hold a " + type + " event");
            }
            case PROBE_SITES -> {
                if (probeSites != null) throw docs.corrupt("second PROBE_SITES");
                probeSites = (ProbeFrames.Sites) codec.decode(type, buf, len);
                probeCoveredTo = probeSites.firstEvent();
            }
            case PROBE_SAMPLES -> {
                if (probeSites == null || probeEnd != null) throw docs.corrupt("PROBE_SAMPLES outside a probe window");
                ProbeFrames.Samples h = codec.probeSamplesHeader(buf, len);
                probeChunks.add(docs.index());
                probeSamples += h.count();
                probeCoveredTo = Math.max(probeCoveredTo, h.coveredTo());
            }
            case PROBE_WINDOW_END -> {
                if (probeSites == null || probeEnd != null) throw docs.corrupt("PROBE_WINDOW_END outside a probe window");
                probeEnd = (ProbeFrames.WindowEnd) codec.decode(type, buf, len);
            }
            case EXEC_BATCH -> addBatch(codec.batchHeader(buf, len, docs.index()), docs);
            case RUN_ENDED -> {
                RunEnded end = (RunEnded) codec.decode(type, buf, len);
                if (end.blockEvents() != blockEvents || end.instructions() != instructions) {
                    throw docs.corrupt("RUN_ENDED totals (" + end.blockEvents() + " block events, " + end.instructions()
                            + " instructions) disagree with the batches (" + blockEvents + ", " + instructions + ")");
                }
                ended = end;
            }
            default -> throw docs.corrupt("a run log cannot hold a " + type + " event");
        }
    }

    private void addBatch(ExecBatchHeader h, LogDocuments docs) {
        // Batches must tile the stream: a gap means a lost or damaged batch, which would silently
        // shift every position after it.
        if (h.sequence() != batches.size() || h.firstBlockEvent() != blockEvents || h.firstInstruction() != instructions) {
            throw docs.corrupt("batch " + h.sequence() + " starts at block event " + h.firstBlockEvent()
                    + " / instruction " + h.firstInstruction() + ", expected batch " + batches.size() + " at "
                    + blockEvents + " / " + instructions);
        }
        batches.add(h);
        blockEvents += h.eventCount();
        instructions += h.instructionCount();
        encodedBytes += h.encodedBytes();
        maxBatchEvents = Math.max(maxBatchEvents, h.eventCount());
    }

    /** The batch holding {@code blockEvent}, or -1. */
    int batchAtBlockEvent(long blockEvent) {
        if (blockEvent < 0 || blockEvent >= blockEvents) return -1;
        int lo = 0;
        int hi = batches.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (batches.get(mid).firstBlockEvent() <= blockEvent) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The batch holding {@code instruction}, or -1. */
    int batchAtInstruction(long instruction) {
        if (instruction < 0 || instruction >= instructions) return -1;
        int lo = 0;
        int hi = batches.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (batches.get(mid).firstInstruction() <= instruction) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    List<ExecBatchHeader> batchList() {
        return Collections.unmodifiableList(batches);
    }
}
