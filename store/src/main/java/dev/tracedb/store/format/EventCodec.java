package dev.tracedb.store.format;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.ProbeSite;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TimestampRead;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes and reads every framed event of the run log and the catalog; the single place that knows
 * the byte layout (documented in {@code docs/formats/run-log.md}). A frame is
 * <pre>
 *   u8  type      {@link EventType#code()}
 *   u8  version   {@link FormatVersion#code()}
 *   ... payload   little-endian, per type
 *   u32 crc32c    of every byte before it
 * </pre>
 * Encoding methods return the codec's reused {@link ByteSink}: copy its bytes out before the next
 * call. Confined to one thread.
 */
public final class EventCodec {
    /** Bytes a frame adds around its payload. */
    public static final int FRAME_OVERHEAD = 2 + 4;

    private final ByteSink sink = new ByteSink(1 << 12);
    private final ExecBatchCodec batchCodec;
    private final CRC32C crc = new CRC32C();

    public EventCodec(BatchEncoding encoding) {
        this.batchCodec = new ExecBatchCodec(encoding);
    }

    public EventCodec() {
        this(BatchEncoding.DEFAULT);
    }

    // ------------------------------------------------------------------ writing

    public ByteSink encode(RunStarted e) {
        begin(EventType.RUN_STARTED);
        instant(e.startTime());
        sink.string(e.cwd());
        strings(e.argv());
        strings(e.environment());
        MachineInfo m = e.machine();
        sink.string(m.hostname());
        sink.string(m.kernel());
        sink.string(m.cpuModel());
        sink.i32(m.pageSize());
        return end();
    }

    public ByteSink encode(ModuleMapped e) {
        begin(EventType.MODULE_MAPPED);
        sink.i32(e.moduleId());
        sink.string(e.path());
        sink.i64(e.base());
        sink.i64(e.size());
        sink.bytes(e.buildId());
        sink.bytes(e.contentHash());
        return end();
    }

    public ByteSink encode(BlockDefined e) {
        begin(EventType.BLOCK_DEFINED);
        sink.i32(e.blockId());
        sink.i32(e.moduleId());
        sink.i64(e.offset());
        sink.i32(e.instructionCount());
        sink.u8(e.terminator().code());
        sink.bytes(e.bytes());
        return end();
    }

    /** Encodes an execution batch of {@code ids[0..count)}. */
    public ByteSink encodeBatch(int sequence, long firstBlockEvent, long firstInstruction, int[] ids, int count,
                                long instructionCount) {
        return encodeBatch(sequence, firstBlockEvent, firstInstruction, ids, 0, count, instructionCount);
    }

    /** As above, for the ids {@code ids[from .. from+count)}. */
    public ByteSink encodeBatch(int sequence, long firstBlockEvent, long firstInstruction, int[] ids, int from,
                                int count, long instructionCount) {
        begin(EventType.EXEC_BATCH);
        sink.i32(sequence);
        sink.i64(firstBlockEvent);
        sink.i64(firstInstruction);
        sink.i32(count);
        sink.i64(instructionCount);
        batchCodec.encode(ids, from, count, sink);
        return end();
    }

    /**
     * As above, for {@code count} ids read as 4 little-endian bytes each from {@code ids} at byte
     * {@code at} (LZ4 compresses them from there, without a copy).
     */
    public ByteSink encodeBatch(int sequence, long firstBlockEvent, long firstInstruction, java.nio.ByteBuffer ids,
                                int at, int count, long instructionCount) {
        begin(EventType.EXEC_BATCH);
        sink.i32(sequence);
        sink.i64(firstBlockEvent);
        sink.i64(firstInstruction);
        sink.i32(count);
        sink.i64(instructionCount);
        batchCodec.encode(ids, at, count, sink);
        return end();
    }

    public ByteSink encode(SyscallResult e) {
        begin(EventType.SYSCALL_RESULT);
        sink.i64(e.blockEvent());
        sink.i32(e.number());
        for (long a : e.args()) sink.i64(a);
        sink.i64(e.result());
        return end();
    }

    public ByteSink encode(SignalDelivered e) {
        begin(EventType.SIGNAL_DELIVERED);
        sink.i64(e.blockEvent());
        sink.i32(e.signo());
        sink.i32(e.code());
        sink.i64(e.address());
        return end();
    }

    public ByteSink encode(MemoryWritten e) {
        begin(EventType.MEMORY_WRITTEN);
        sink.i64(e.blockEvent());
        sink.i64(e.address());
        sink.bytes(e.bytes());
        return end();
    }

    /**
     * A version 2 frame, or version 1 for a file recorded without its change time and device (one
     * read from a version 1 frame is written back as it was).
     */
    public ByteSink encode(FileMapped e) {
        boolean v2 = e.hasChangeTimeAndDevice();
        begin(EventType.FILE_MAPPED, v2 ? FormatVersion.V2 : FormatVersion.V1);
        sink.i64(e.blockEvent());
        sink.string(e.path());
        sink.i64(e.size());
        sink.i64(e.modifiedNanos());
        sink.i64(e.inode());
        if (v2) {
            sink.i64(e.changedNanos());
            sink.i64(e.device());
        }
        return end();
    }

    public ByteSink encode(TimestampRead e) {
        begin(EventType.TIMESTAMP_READ);
        sink.i64(e.blockEvent());
        sink.i64(e.value());
        sink.i64(e.aux());
        sink.u8(e.withAux() ? 1 : 0);
        return end();
    }

    /** The marker of an inputs-only run; it has no payload. */
    public ByteSink encodeInputsOnly() {
        begin(EventType.INPUTS_ONLY);
        return end();
    }

    /** The marker of an inputs-only run that stopped at a point its log cannot place; no payload. */
    public ByteSink encodeUnplacedStop() {
        begin(EventType.UNPLACED_STOP);
        return end();
    }

    /** A {@link EventType#PROBE_SITES} frame (version 3). */
    public ByteSink encode(ProbeFrames.Sites e) {
        begin(EventType.PROBE_SITES, FormatVersion.V3);
        sink.i64(e.firstEvent());
        sink.i32(e.sites().size());
        for (ProbeSite site : e.sites()) {
            sink.string(site.module());
            sink.i64(site.offset());
        }
        return end();
    }

    /**
     * A {@link EventType#PROBE_SAMPLES} frame (version 3) of samples {@code [from, from+count)}:
     * each block event as a varint delta from the previous (the first from 0), the site and the
     * value as varints.
     */
    public ByteSink encodeProbeSamples(long[] blockEvents, int[] sites, long[] values, int from, int count,
                                       long coveredTo) {
        begin(EventType.PROBE_SAMPLES, FormatVersion.V3);
        sink.i64(coveredTo);
        sink.i32(count);
        long previous = 0;
        for (int i = from, end = from + count; i < end; i++) {
            sink.varLong(blockEvents[i] - previous);
            previous = blockEvents[i];
            sink.varLong(sites[i]);
            sink.varLong(values[i]);
        }
        return end();
    }

    /** A {@link EventType#PROBE_WINDOW_END} frame (version 3). */
    public ByteSink encode(ProbeFrames.WindowEnd e) {
        begin(EventType.PROBE_WINDOW_END, FormatVersion.V3);
        sink.i64(e.endEvent());
        sink.u8(e.cutOff() ? 1 : 0);
        sink.i64(e.samples());
        return end();
    }

    public ByteSink encode(RunEnded e) {
        begin(EventType.RUN_ENDED);
        exit(e.status());
        sink.i64(e.blockEvents());
        sink.i64(e.instructions());
        instant(e.endTime());
        return end();
    }

    public ByteSink encode(CatalogRecord r) {
        if (r instanceof CatalogRecord.RunCreated c) {
            begin(EventType.RUN_CREATED);
            sink.i64(c.id().sequence());
            sink.string(c.name());
            sink.string(c.program());
            instant(c.startTime());
        } else {
            CatalogRecord.RunClosed c = (CatalogRecord.RunClosed) r;
            begin(EventType.RUN_CLOSED);
            sink.i64(c.id().sequence());
            exit(c.exit());
            instant(c.endTime());
        }
        return end();
    }

    private void begin(EventType type) {
        begin(type, FormatVersion.CURRENT);
    }

    private void begin(EventType type, FormatVersion version) {
        sink.clear();
        sink.u8(type.code());
        sink.u8(version.code());
    }

    private ByteSink end() {
        crc.reset();
        crc.update(sink.array(), 0, sink.length());
        sink.i32((int) crc.getValue());
        return sink;
    }

    private void instant(Instant t) {
        sink.i64(t.getEpochSecond());
        sink.i32(t.getNano());
    }

    private void exit(ExitStatus s) {
        sink.u8(s.kind().ordinal());
        sink.i32(s.value());
    }

    private void strings(List<String> list) {
        sink.i32(list.size());
        for (String s : list) sink.string(s);
    }

    // ------------------------------------------------------------------ reading

    /**
     * Checks a frame's checksum, version and type and returns its type. Call before any other
     * reading method; they assume a checked frame.
     */
    public EventType check(byte[] buf, int len) throws FormatException {
        if (len < FRAME_OVERHEAD) throw new FormatException("event of " + len + " bytes is shorter than a frame");
        crc.reset();
        crc.update(buf, 0, len - 4);
        int stored = (int) ByteSink.INT.get(buf, len - 4);
        if ((int) crc.getValue() != stored) {
            throw new FormatException(String.format("CRC32C mismatch: stored %08x, computed %08x over %d bytes",
                    stored, (int) crc.getValue(), len - 4));
        }
        int version = buf[1] & 0xFF;
        if (FormatVersion.ofCode(version) == null) {
            throw new FormatException("unknown format version " + version + " (this build reads up to "
                    + FormatVersion.LATEST.code() + ")");
        }
        EventType type = EventType.ofCode(buf[0] & 0xFF);
        if (type == null) throw new FormatException("unknown event type " + (buf[0] & 0xFF));
        return type;
    }

    private static ByteSource payload(byte[] buf, int len) {
        return new ByteSource(buf, 2, len - 4);
    }

    /** Decodes any checked frame except an execution batch into its event record. */
    public Object decode(EventType type, byte[] buf, int len) throws FormatException {
        ByteSource in = payload(buf, len);
        Object event = switch (type) {
            case RUN_STARTED -> runStarted(in);
            case MODULE_MAPPED -> new ModuleMapped(in.i32(), in.string(), in.i64(), in.i64(), in.bytes(), in.bytes());
            case BLOCK_DEFINED -> blockDefined(in);
            case SYSCALL_RESULT -> syscall(in);
            case SIGNAL_DELIVERED -> new SignalDelivered(in.i64(), in.i32(), in.i32(), in.i64());
            case RUN_ENDED -> new RunEnded(exit(in), in.i64(), in.i64(), instant(in));
            case MEMORY_WRITTEN -> new MemoryWritten(in.i64(), in.i64(), in.bytes());
            case FILE_MAPPED -> fileMapped(in, FormatVersion.ofCode(buf[1] & 0xFF));
            case TIMESTAMP_READ -> new TimestampRead(in.i64(), in.i64(), in.i64(), in.u8() != 0);
            case INPUTS_ONLY -> EventType.INPUTS_ONLY;
            case UNPLACED_STOP -> EventType.UNPLACED_STOP;
            case PROBE_SITES -> probeSites(in);
            case PROBE_SAMPLES -> probeSamples(in);
            case PROBE_WINDOW_END -> probeWindowEnd(in);
            case RUN_CREATED -> new CatalogRecord.RunCreated(runId(in), in.string(), in.string(), instant(in));
            case RUN_CLOSED -> new CatalogRecord.RunClosed(runId(in), exit(in), instant(in));
            case EXEC_BATCH -> throw new IllegalArgumentException("use batchHeader/batchIds for execution batches");
        };
        in.expectEnd();
        return event;
    }

    /** Reads a checked execution batch's header, without decoding its ids. */
    public ExecBatchHeader batchHeader(byte[] buf, int len, long logIndex) throws FormatException {
        ByteSource in = payload(buf, len);
        ExecBatchHeader h = batchHeader(in, logIndex);
        in.skip(h.encodedBytes());
        in.expectEnd();
        return h;
    }

    /** Decodes a checked execution batch's ids into {@code out}; returns its header. */
    public ExecBatchHeader batchIds(byte[] buf, int len, long logIndex, int[] out) throws FormatException {
        ByteSource in = payload(buf, len);
        int start = in.position();
        ExecBatchHeader h = batchHeader(in, logIndex);
        if (out.length < h.eventCount()) {
            throw new IllegalArgumentException("buffer of " + out.length + " ids for a batch of " + h.eventCount());
        }
        ByteSource ids = new ByteSource(buf, start + 32, len - 4);
        batchCodec.decode(ids, h.eventCount(), out);
        ids.expectEnd();
        return h;
    }

    private static ExecBatchHeader batchHeader(ByteSource in, long logIndex) throws FormatException {
        int sequence = in.i32();
        long firstBlockEvent = in.i64();
        long firstInstruction = in.i64();
        int count = in.i32();
        long instructions = in.i64();
        // in is now at payload offset 32, the codec section
        int encoded = ExecBatchCodec.encodedLength(in);
        if (sequence < 0 || firstBlockEvent < 0 || firstInstruction < 0 || count < 0 || instructions < count
                || encoded < 0) {
            throw new FormatException("implausible batch header: sequence " + sequence + ", first event "
                    + firstBlockEvent + ", first instruction " + firstInstruction + ", " + count + " events, "
                    + instructions + " instructions, " + encoded + " bytes");
        }
        return new ExecBatchHeader(sequence, logIndex, firstBlockEvent, firstInstruction, count, instructions, encoded);
    }

    private static RunStarted runStarted(ByteSource in) throws FormatException {
        Instant start = instant(in);
        String cwd = in.string();
        List<String> argv = strings(in);
        List<String> env = strings(in);
        MachineInfo machine = new MachineInfo(in.string(), in.string(), in.string(), in.i32());
        try {
            return new RunStarted(argv, cwd, env, machine, start);
        } catch (IllegalArgumentException e) {
            throw new FormatException("invalid RunStarted: " + e.getMessage(), e);
        }
    }

    private static BlockDefined blockDefined(ByteSource in) throws FormatException {
        int id = in.i32();
        int module = in.i32();
        long offset = in.i64();
        int insns = in.i32();
        int term = in.u8();
        byte[] bytes = in.bytes();
        try {
            return new BlockDefined(id, module, offset, bytes, insns, Terminator.ofCode(term));
        } catch (IllegalArgumentException e) {
            throw new FormatException("invalid BlockDefined: " + e.getMessage(), e);
        }
    }

    private static ProbeFrames.Sites probeSites(ByteSource in) throws FormatException {
        long first = in.i64();
        int n = in.length(12);
        List<ProbeSite> sites = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String module = in.string();
            long offset = in.i64();
            try {
                sites.add(new ProbeSite(module, offset));
            } catch (IllegalArgumentException e) {
                throw new FormatException("invalid probe site: " + e.getMessage(), e);
            }
        }
        if (first < 0) throw new FormatException("probe window starts at block event " + first);
        return new ProbeFrames.Sites(sites, first);
    }

    /** The header of a checked {@link EventType#PROBE_SAMPLES} frame: its coveredTo and count, samples not decoded. */
    public ProbeFrames.Samples probeSamplesHeader(byte[] buf, int len) throws FormatException {
        ByteSource in = payload(buf, len);
        long coveredTo = in.i64();
        int count = in.length(3);
        return new ProbeFrames.Samples(coveredTo, count, null, null, null);
    }

    private static ProbeFrames.Samples probeSamples(ByteSource in) throws FormatException {
        long coveredTo = in.i64();
        int count = in.length(3);
        long[] events = new long[count];
        int[] sites = new int[count];
        long[] values = new long[count];
        long event = 0;
        for (int i = 0; i < count; i++) {
            long delta = in.varLong();
            long site = in.varLong();
            if (delta < 0 || site < 0 || site > Integer.MAX_VALUE) {
                throw new FormatException("implausible probe sample " + i + ": event delta " + delta + ", site " + site);
            }
            event += delta;
            events[i] = event;
            sites[i] = (int) site;
            values[i] = in.varLong();
        }
        return new ProbeFrames.Samples(coveredTo, count, events, sites, values);
    }

    private static ProbeFrames.WindowEnd probeWindowEnd(ByteSource in) throws FormatException {
        long end = in.i64();
        int cut = in.u8();
        long samples = in.i64();
        if (end < 0 || cut > 1 || samples < 0) {
            throw new FormatException("invalid probe window end: event " + end + ", cut off " + cut + ", " + samples + " samples");
        }
        return new ProbeFrames.WindowEnd(end, cut == 1, samples);
    }

    private static FileMapped fileMapped(ByteSource in, FormatVersion version) throws FormatException {
        long at = in.i64();
        String path = in.string();
        long size = in.i64();
        long modified = in.i64();
        long inode = in.i64();
        if (version == FormatVersion.V1) return new FileMapped(at, path, size, modified, inode);
        long changed = in.i64();
        long device = in.i64();
        if (changed == FileMapped.UNKNOWN || device == FileMapped.UNKNOWN) {
            throw new FormatException("invalid FileMapped: change time " + changed + ", device " + device);
        }
        return new FileMapped(at, path, size, modified, inode, changed, device);
    }

    private static SyscallResult syscall(ByteSource in) throws FormatException {
        long at = in.i64();
        int nr = in.i32();
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) args[i] = in.i64();
        return new SyscallResult(at, nr, args, in.i64());
    }

    private static RunId runId(ByteSource in) throws FormatException {
        long seq = in.i64();
        if (seq < 1) throw new FormatException("invalid run sequence " + seq);
        return new RunId(seq);
    }

    private static ExitStatus exit(ByteSource in) throws FormatException {
        int kind = in.u8();
        if (kind >= ExitStatus.Kind.values().length) throw new FormatException("unknown exit kind " + kind);
        return new ExitStatus(ExitStatus.Kind.values()[kind], in.i32());
    }

    private static Instant instant(ByteSource in) throws FormatException {
        long seconds = in.i64();
        int nanos = in.i32();
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (RuntimeException e) {
            throw new FormatException("invalid time " + seconds + "s " + nanos + "ns", e);
        }
    }

    private static List<String> strings(ByteSource in) throws FormatException {
        int n = in.length(4);
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) list.add(in.string());
        return list;
    }
}
