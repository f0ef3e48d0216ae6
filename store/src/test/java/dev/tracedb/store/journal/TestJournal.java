package dev.tracedb.store.journal;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.format.ByteSink;
import dev.tracedb.store.format.EventCodec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an inputs journal exactly as the contract says the native recorder does (header, then each
 * event as an i32 length and one {@link EventCodec} frame), through the {@link RunWriter} methods an
 * inputs recording uses, so a test can drive this and a Chronicle run writer with the same calls and
 * compare what they produce. Test scope: the C recorder's own parity tests cover real recordings.
 */
public final class TestJournal implements RunWriter {
    private final RunId id;
    private final OutputStream out;
    private final EventCodec codec = new EventCodec();
    private final Clock clock;
    /** Where each frame's length field starts, then the end of the last frame. */
    private final List<Long> frameStarts = new ArrayList<>();
    private long position;

    private TestJournal(RunId id, Path file, Clock clock) throws IOException {
        this.id = id;
        this.out = Files.newOutputStream(file);
        this.clock = clock;
    }

    /** Creates {@code file} and writes the header and RUN_STARTED. */
    public static TestJournal create(Path file, RunId id, String runName, RunStarted started, Clock clock) {
        try {
            TestJournal j = new TestJournal(id, file, clock);
            j.raw(JournalFormat.MAGIC);
            j.raw(le(JournalFormat.VERSION));
            byte[] name = runName.getBytes(StandardCharsets.UTF_8);
            j.raw(le(name.length));
            j.raw(name);
            j.frame(j.codec.encode(started));
            return j;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offsets of each frame's length field, in order. */
    public List<Long> frameStarts() {
        return List.copyOf(frameStarts);
    }

    /** Bytes written so far. */
    public long position() {
        return position;
    }

    private void frame(ByteSink sink) {
        frameStarts.add(position);
        raw(le(sink.length()));
        raw(java.util.Arrays.copyOf(sink.array(), sink.length()));
    }

    private void raw(byte[] b) {
        try {
            out.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        position += b.length;
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Override
    public RunId id() {
        return id;
    }

    @Override
    public void inputsOnly() {
        frame(codec.encodeInputsOnly());
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        frame(codec.encode(new SyscallResult(0, number, args, result)));
    }

    @Override
    public void signal(int signo, int code, long address) {
        frame(codec.encode(new SignalDelivered(0, signo, code, address)));
    }

    @Override
    public void memoryWritten(long address, byte[] bytes) {
        frame(codec.encode(new MemoryWritten(0, address, bytes)));
    }

    @Override
    public void fileMapped(String path, long size, long modifiedNanos, long inode, long changedNanos, long device) {
        frame(codec.encode(new FileMapped(0, path, size, modifiedNanos, inode, changedNanos, device)));
    }

    @Override
    public void timestampRead(long value, long aux, boolean withAux) {
        frame(codec.encode(new TimestampRead(0, value, aux, withAux)));
    }

    @Override
    public void unplacedStop() {
        frame(codec.encodeUnplacedStop());
    }

    @Override
    public RunEnded end(ExitStatus status) {
        RunEnded end = new RunEnded(status, 0, 0, clock.instant());
        frame(codec.encode(end));
        return end;
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long blockEvents() {
        return 0;
    }

    @Override
    public long instructions() {
        return 0;
    }

    @Override
    public void moduleMapped(ModuleMapped event) {
        throw new UnsupportedOperationException("an inputs journal has no modules");
    }

    @Override
    public void defineBlock(BlockDefined event) {
        throw new UnsupportedOperationException("an inputs journal has no blocks");
    }

    @Override
    public void appendExec(int blockId) {
        throw new UnsupportedOperationException("an inputs journal has no block events");
    }

    @Override
    public void appendExec(int[] ids, int off, int len) {
        throw new UnsupportedOperationException("an inputs journal has no block events");
    }
}
