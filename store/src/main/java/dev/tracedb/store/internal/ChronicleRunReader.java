package dev.tracedb.store.internal;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.CorruptLogException;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import dev.tracedb.store.format.FormatException;
import dev.tracedb.store.format.ProbeFrames;
import dev.tracedb.store.ProbeWindow;
import dev.tracedb.store.ProbedValueVisitor;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads one run log through a read-only queue. Confined to one thread, like its tailer. */
final class ChronicleRunReader implements RunReader {
    private final RunId id;
    private final Path directory;
    private final Path logDir;
    private final SingleChronicleQueue queue;
    private ExcerptTailer tailer;
    private LogDocuments docs;
    private final EventCodec codec = new EventCodec();
    private final LogIndex index;
    private boolean closed;

    ChronicleRunReader(RunId id, Path directory, Path logDir) {
        this.id = id;
        this.directory = directory;
        this.logDir = logDir;
        this.queue = Queues.forReading(logDir);
        try {
            this.tailer = queue.createTailer();
            this.docs = new LogDocuments(logDir);
            this.index = LogIndex.scan(tailer, docs, codec);
        } catch (RuntimeException | InternalError e) {
            closeQuietly();
            throw e instanceof InternalError ie ? truncated(ie) : (RuntimeException) e;
        }
    }

    @Override
    public RunId id() {
        return id;
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public RunStarted started() {
        return index.started;
    }

    @Override
    public boolean isComplete() {
        return index.ended != null;
    }

    @Override
    public Optional<RunEnded> ended() {
        return Optional.ofNullable(index.ended);
    }

    @Override
    public List<ModuleMapped> modules() {
        return List.copyOf(index.modules);
    }

    @Override
    public List<ExecBatchHeader> batches() {
        return index.batchList();
    }

    @Override
    public long blockEventCount() {
        return index.blockEvents;
    }

    @Override
    public long instructionCount() {
        return index.instructions;
    }

    @Override
    public int maxBatchEvents() {
        return index.maxBatchEvents;
    }

    @Override
    public Optional<ExecBatchHeader> batchAtBlockEvent(long blockEvent) {
        int i = index.batchAtBlockEvent(blockEvent);
        return i < 0 ? Optional.empty() : Optional.of(index.batches.get(i));
    }

    @Override
    public Optional<ExecBatchHeader> batchAtInstruction(long instruction) {
        int i = index.batchAtInstruction(instruction);
        return i < 0 ? Optional.empty() : Optional.of(index.batches.get(i));
    }

    @Override
    public int readBatch(ExecBatchHeader header, int[] blockIds) {
        checkOpen();
        if (header.sequence() >= index.batches.size() || !index.batches.get(header.sequence()).equals(header)) {
            throw new IllegalArgumentException("not a batch of run " + id + ": " + header);
        }
        if (blockIds.length < header.eventCount()) {
            throw new IllegalArgumentException("buffer of " + blockIds.length + " ids for a batch of " + header.eventCount());
        }
        try {
            docs.read(tailer, header.logIndex());
            if (codec.check(docs.buffer(), docs.length()) != EventType.EXEC_BATCH) throw docs.corrupt("not a batch");
            codec.batchIds(docs.buffer(), docs.length(), header.logIndex(), blockIds);
        } catch (FormatException e) {
            throw docs.corrupt(e);
        } catch (InternalError e) {
            throw truncated(e);
        }
        return header.eventCount();
    }

    @Override
    public void replay(EventVisitor visitor) {
        replay(-1, visitor);
    }

    @Override
    public void replayFrom(ExecBatchHeader from, EventVisitor visitor) {
        if (from.sequence() >= index.batches.size() || !index.batches.get(from.sequence()).equals(from)) {
            throw new IllegalArgumentException("not a batch of run " + id + ": " + from);
        }
        replay(from.logIndex(), visitor);
    }

    /**
     * Streams the log up to the index's last event (a log still being written does not move under
     * a reader). Before {@code fromIndex}, only definitions reach the visitor.
     */
    private void replay(long fromIndex, EventVisitor visitor) {
        checkOpen();
        int[] ids = new int[Math.max(1, index.maxBatchEvents)];
        try {
            replayScan(fromIndex, visitor, ids);
        } catch (InternalError e) {
            throw truncated(e);
        }
    }

    private void replayScan(long fromIndex, EventVisitor visitor, int[] ids) {
        tailer.toStart();
        long last = index.lastIndex;
        do {
            if (!docs.next(tailer)) {
                throw docs.corrupt("log ends before index 0x" + Long.toHexString(last) + ", which it had when opened");
            }
            boolean skipping = docs.index() < fromIndex;
            try {
                dispatch(codec.check(docs.buffer(), docs.length()), skipping, visitor, ids);
            } catch (FormatException e) {
                throw docs.corrupt(e);
            }
        } while (docs.index() != last);
    }

    private void dispatch(EventType type, boolean skipping, EventVisitor v, int[] ids) throws FormatException {
        byte[] buf = docs.buffer();
        int len = docs.length();
        switch (type) {
            case RUN_STARTED -> v.runStarted((RunStarted) codec.decode(type, buf, len));
            case MODULE_MAPPED -> v.moduleMapped((ModuleMapped) codec.decode(type, buf, len));
            case BLOCK_DEFINED -> v.blockDefined((BlockDefined) codec.decode(type, buf, len));
            case EXEC_BATCH -> {
                if (!skipping) v.execBatch(codec.batchIds(buf, len, docs.index(), ids), ids);
            }
            case SYSCALL_RESULT -> {
                if (!skipping) v.syscall((SyscallResult) codec.decode(type, buf, len));
            }
            case SIGNAL_DELIVERED -> {
                if (!skipping) v.signal((SignalDelivered) codec.decode(type, buf, len));
            }
            case MEMORY_WRITTEN -> {
                if (!skipping) v.memoryWritten((MemoryWritten) codec.decode(type, buf, len));
            }
            case FILE_MAPPED -> {
                if (!skipping) v.fileMapped((FileMapped) codec.decode(type, buf, len));
            }
            case TIMESTAMP_READ -> {
                if (!skipping) v.timestampRead((TimestampRead) codec.decode(type, buf, len));
            }
            case INPUTS_ONLY -> {
                // a marker: RunInfo.inputsOnly() says it
            }
            case UNPLACED_STOP -> {
                if (!skipping) v.unplacedStop();
            }
            case PROBE_SITES, PROBE_SAMPLES, PROBE_WINDOW_END -> {
                // read through probes() and probedValues()
            }
            case RUN_ENDED -> v.runEnded((RunEnded) codec.decode(type, buf, len));
            default -> throw docs.corrupt("a run log cannot hold a " + type + " event");
        }
    }

    @Override
    public Optional<ProbeWindow> probes() {
        ProbeFrames.Sites sites = index.probeSites;
        if (sites == null) return Optional.empty();
        long first = Math.min(sites.firstEvent(), index.blockEvents);
        ProbeFrames.WindowEnd end = index.probeEnd;
        // A window the log closed ends where it says; one whose recorder died, at the last block
        // event whose samples are all in the log. Either way no further than the complete batches.
        long endEvent = Math.max(first, Math.min(index.blockEvents, end != null ? end.endEvent() : index.probeCoveredTo));
        boolean cutOff = end != null && end.cutOff() && end.endEvent() <= index.blockEvents;
        long samples;
        if (end != null && end.endEvent() <= index.blockEvents && index.probeSamples == end.samples()) {
            samples = end.samples();
        } else {
            long[] n = new long[1];
            visitSamples(first, endEvent, (e, s, v) -> n[0]++);
            samples = n[0];
        }
        return Optional.of(new ProbeWindow(sites.sites(), first, endEvent, cutOff, samples));
    }

    @Override
    public void probedValues(ProbedValueVisitor visitor) {
        probes().ifPresent(w -> visitSamples(w.firstEvent(), w.endEvent(), visitor));
    }

    /** Streams the samples whose block event is in {@code [first, end)}. */
    private void visitSamples(long first, long end, ProbedValueVisitor visitor) {
        checkOpen();
        int sites = index.probeSites.sites().size();
        try {
            for (long logIndex : index.probeChunks) {
                docs.read(tailer, logIndex);
                EventType type = codec.check(docs.buffer(), docs.length());
                if (type != EventType.PROBE_SAMPLES) throw docs.corrupt("not a probe sample chunk");
                ProbeFrames.Samples chunk = (ProbeFrames.Samples) codec.decode(type, docs.buffer(), docs.length());
                for (int i = 0; i < chunk.count(); i++) {
                    long e = chunk.blockEvents()[i];
                    if (chunk.sites()[i] >= sites) throw docs.corrupt("probe sample of site " + chunk.sites()[i] + " of " + sites);
                    if (e >= first && e < end) visitor.value(e, chunk.sites()[i], chunk.values()[i]);
                }
            }
        } catch (FormatException e) {
            throw docs.corrupt(e);
        } catch (InternalError e) {
            throw truncated(e);
        }
    }

    @Override
    public RunInfo info() {
        return new RunInfo(id, index.started, index.modules, index.blocksDefined, index.blockEvents, index.instructions,
                index.batches.size(), index.encodedBytes, index.syscalls, index.signals, index.inputsOnly, index.ended);
    }

    @Override
    public long lastIndex() {
        return index.lastIndex;
    }

    Path logDirectory() {
        return logDir;
    }

    /**
     * Reading a mapped page beyond the end of a truncated file faults; the JVM turns the fault into
     * an asynchronous InternalError in this thread, which is the only sign a truncation gives.
     */
    private CorruptLogException truncated(InternalError e) {
        return docs == null ? new CorruptLogException(logDir, -1, -1, "file is truncated (read past its end)", e)
                : docs.corrupt("file is truncated: read past its end after this position (" + e.getMessage() + ")");
    }

    private void closeQuietly() {
        try {
            if (tailer != null) tailer.close();
        } finally {
            queue.close();
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("reader of run " + id + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeQuietly();
    }
}
