package dev.tracedb.store.journal;

import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.StoreException;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import dev.tracedb.store.format.FormatException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Reads one inputs journal front to back, checking as it goes: the header when opened, then per
 * {@link #next()} one frame's length, CRC32C ({@link EventCodec#check}), payload (decoded, so a frame
 * the run reader would refuse is refused here) and place in the run (RUN_STARTED first, INPUTS_ONLY
 * second, RUN_ENDED last and with no block events). A journal cut inside a frame reads as ending
 * after its last whole frame ({@link #endsInsideFrame()}); anything else wrong throws
 * {@link CorruptJournalException}. Confined to one thread.
 */
public final class JournalReader implements AutoCloseable {
    /** The events the native inputs recorder writes between RUN_STARTED/INPUTS_ONLY and RUN_ENDED. */
    private static final Set<EventType> INPUT_EVENTS = EnumSet.of(EventType.SYSCALL_RESULT,
            EventType.MEMORY_WRITTEN, EventType.FILE_MAPPED, EventType.TIMESTAMP_READ,
            EventType.SIGNAL_DELIVERED, EventType.UNPLACED_STOP);

    private final Path file;
    private final InputStream in;
    private final JournalHeader header;
    private final EventCodec codec = new EventCodec();
    private final byte[] lengthField = new byte[4];

    private byte[] frame = new byte[1 << 16];
    private int frameLength;
    private EventType frameType;
    /** Where the next frame's length field starts. */
    private long offset;
    private long frameOffset = -1;
    private int frames;
    private boolean endsInsideFrame;
    private RunStarted started;
    private RunEnded ended;

    private JournalReader(Path file, InputStream in) {
        this.file = file;
        this.in = in;
        this.header = readHeader();
    }

    /**
     * Opens a journal and reads its header.
     *
     * @throws CorruptJournalException     if the header is damaged or cut short
     * @throws UnsupportedJournalException if the header is of another format version
     * @throws StoreException              if the file cannot be read
     */
    public static JournalReader open(Path file) {
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (IOException e) {
            throw new StoreException("cannot read journal " + file + ": " + e, e);
        }
        try {
            return new JournalReader(file, in);
        } catch (RuntimeException e) {
            closeQuietly(in, e);
            throw e;
        }
    }

    private JournalHeader readHeader() {
        byte[] magic = readFully(JournalFormat.MAGIC.length);
        if (magic == null || !Arrays.equals(magic, JournalFormat.MAGIC)) {
            throw new CorruptJournalException(file, 0, magic == null
                    ? "the file ends inside the header (" + offset + " bytes)"
                    : "bad magic " + printable(magic) + ", expected TDBJRNL1: not an inputs journal");
        }
        Integer version = readInt();
        if (version == null) throw new CorruptJournalException(file, 8, "the file ends inside the header");
        if (version != JournalFormat.VERSION) throw new UnsupportedJournalException(file, version);
        Integer nameLength = readInt();
        if (nameLength == null) throw new CorruptJournalException(file, 12, "the file ends inside the header");
        if (nameLength < 0 || nameLength > JournalFormat.MAX_NAME) {
            throw new CorruptJournalException(file, 12, "bad run-name length " + nameLength);
        }
        byte[] name = readFully(nameLength);
        if (name == null) throw new CorruptJournalException(file, 16, "the file ends inside the header's run name");
        return new JournalHeader(version, new String(name, StandardCharsets.UTF_8));
    }

    public Path file() {
        return file;
    }

    public JournalHeader header() {
        return header;
    }

    /**
     * Reads and checks the next frame.
     *
     * @return false at the end of the journal: a clean end, or a frame cut short by a killed recorder
     * @throws CorruptJournalException if the frame is damaged or out of place
     */
    public boolean next() {
        if (endsInsideFrame) return false;
        long at = offset;
        Integer length = readInt();
        if (ended != null && (length != null || endsInsideFrame)) throw corrupt(at, "bytes after RUN_ENDED");
        if (length == null) return false;
        if (length < EventCodec.FRAME_OVERHEAD
                || length > (frames == 0 ? JournalFormat.MAX_FRAME : JournalFormat.MAX_INPUT_FRAME)) {
            throw corrupt(at, "bad frame length " + length);
        }
        if (frame.length < length) frame = new byte[Math.max(length, frame.length * 2)];
        if (!readFully(frame, length)) {
            endsInsideFrame = true; // even when not one byte of the frame made it after its length
            return false;
        }
        frameOffset = at;
        frameLength = length;
        frameType = checkFrame(at);
        frames++;
        return true;
    }

    private EventType checkFrame(long at) {
        EventType type;
        Object event;
        try {
            type = codec.check(frame, frameLength);
            if (type == EventType.EXEC_BATCH) throw new FormatException("an inputs run holds no EXEC_BATCH");
            event = codec.decode(type, frame, frameLength);
        } catch (FormatException | IllegalArgumentException e) {
            throw corrupt(at, "frame " + frames + ": " + e.getMessage(), e);
        }
        String misplaced = misplaced(type);
        if (misplaced != null) throw corrupt(at, "frame " + frames + " is " + type + ": " + misplaced);
        if (event instanceof RunStarted s) started = s;
        if (event instanceof RunEnded e) {
            if (e.blockEvents() != 0 || e.instructions() != 0) {
                throw corrupt(at, "RUN_ENDED of an inputs run counts " + e.blockEvents() + " block events and "
                        + e.instructions() + " instructions, expected 0 and 0");
            }
            ended = e;
        }
        return type;
    }

    /** Why an event of {@code type} cannot be frame number {@link #frames}, or null if it can. */
    private String misplaced(EventType type) {
        if (frames == 0) return type == EventType.RUN_STARTED ? null : "the first event must be RUN_STARTED";
        if (frames == 1) return type == EventType.INPUTS_ONLY ? null : "the second event must be INPUTS_ONLY";
        if (type == EventType.RUN_ENDED || INPUT_EVENTS.contains(type)) return null;
        return "not an event of an inputs journal after the first two";
    }

    /** The last frame read: {@code frame()[0 .. frameLength())}, one run-log event frame. Reused. */
    public byte[] frame() {
        return frame;
    }

    public int frameLength() {
        return frameLength;
    }

    public EventType frameType() {
        return frameType;
    }

    /** Byte offset of the last frame's length field. */
    public long frameOffset() {
        return frameOffset;
    }

    /** Whole frames read so far. */
    public int frames() {
        return frames;
    }

    /** Bytes consumed so far (header, whole frames, and any cut tail). */
    public long position() {
        return offset;
    }

    /** After {@link #next()} returned false: true if the journal ends inside a frame (a cut recording). */
    public boolean endsInsideFrame() {
        return endsInsideFrame;
    }

    /** The run's RUN_STARTED, once its frame has been read. */
    public Optional<RunStarted> started() {
        return Optional.ofNullable(started);
    }

    /** The run's RUN_ENDED, once its frame has been read (absent: the run is incomplete). */
    public Optional<RunEnded> ended() {
        return Optional.ofNullable(ended);
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new StoreException("cannot close journal " + file + ": " + e, e);
        }
    }

    private CorruptJournalException corrupt(long at, String what) {
        return new CorruptJournalException(file, at, what);
    }

    private CorruptJournalException corrupt(long at, String what, Throwable cause) {
        return new CorruptJournalException(file, at, what, cause);
    }

    /** A little-endian i32, or null at the end of the file (a partial field marks the journal as cut). */
    private Integer readInt() {
        if (!readFully(lengthField, 4)) return null;
        return ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private byte[] readFully(int n) {
        byte[] b = new byte[n];
        return readFully(b, n) ? b : null;
    }

    /**
     * Reads exactly {@code n} bytes into {@code into}. Returns false at the end of the file; if some
     * but not all were there, the journal was cut inside what was being read.
     */
    private boolean readFully(byte[] into, int n) {
        int got;
        try {
            got = in.readNBytes(into, 0, n);
        } catch (IOException e) {
            throw new StoreException("cannot read journal " + file + " at byte " + offset + ": " + e, e);
        }
        offset += got;
        if (got == n) return true;
        if (got > 0) endsInsideFrame = true;
        return false;
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : b) sb.append(x >= 0x20 && x < 0x7f ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xFF));
        return sb.append('"').toString();
    }

    private static void closeQuietly(InputStream in, RuntimeException failure) {
        try {
            in.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
