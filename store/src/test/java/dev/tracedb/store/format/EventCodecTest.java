package dev.tracedb.store.format;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.Terminator;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {
    private final EventCodec codec = new EventCodec();

    private Object roundTrip(ByteSink sink) throws FormatException {
        byte[] bytes = Arrays.copyOf(sink.array(), sink.length());
        return codec.decode(codec.check(bytes, bytes.length), bytes, bytes.length);
    }

    @Test
    void everyEventRoundTrips() throws FormatException {
        List<Object> events = List.of(
                StoreTestSupport.started("/usr/bin/ünïcode"),
                StoreTestSupport.module(3),
                new BlockDefined(7, 3, -1L, new byte[0x1000], 1000, Terminator.INDIRECT_CALL),
                new SyscallResult(Long.MAX_VALUE, 231, new long[] {-1, 0, 1, Long.MIN_VALUE, 5, 6}, -38),
                new SignalDelivered(5, 11, -6, 0),
                new RunEnded(ExitStatus.exited(255), 0, 0, Instant.EPOCH),
                new CatalogRecord.RunCreated(new RunId(12), "n", "p", Instant.ofEpochSecond(-5, 1)),
                new CatalogRecord.RunClosed(new RunId(12), ExitStatus.killedBy(9), Instant.MAX));
        for (Object e : events) {
            ByteSink sink;
            if (e instanceof dev.tracedb.store.RunStarted x) sink = codec.encode(x);
            else if (e instanceof dev.tracedb.store.ModuleMapped x) sink = codec.encode(x);
            else if (e instanceof BlockDefined x) sink = codec.encode(x);
            else if (e instanceof SyscallResult x) sink = codec.encode(x);
            else if (e instanceof SignalDelivered x) sink = codec.encode(x);
            else if (e instanceof RunEnded x) sink = codec.encode(x);
            else sink = codec.encode((CatalogRecord) e);
            assertEquals(e, roundTrip(sink));
        }
    }

    /** FILE_MAPPED is written at version 2 with the change time and device; everything else stays at 1. */
    @Test
    void fileMappedRoundTripsAtVersion2() throws FormatException {
        FileMapped file = new FileMapped(17, "/usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136,
                1_700_000_000_123_456_789L, 4242, 1_700_000_100_987_654_321L, 0xfd01);
        ByteSink sink = codec.encode(file);
        assertEquals(2, sink.array()[1]);
        assertEquals(file, roundTrip(sink));
        assertEquals(1, codec.encode(new SignalDelivered(1, 2, 3, 4)).array()[1]);
    }

    /** A version 1 FILE_MAPPED frame, as logs written before the change time and device hold it, still reads. */
    @Test
    void aVersion1FileMappedFrameStillReadsWithoutChangeTimeAndDevice() throws FormatException {
        ByteSink v1 = new ByteSink(64);
        v1.u8(EventType.FILE_MAPPED.code());
        v1.u8(1);
        v1.i64(17);
        v1.string("/usr/lib/x86_64-linux-gnu/libc.so.6");
        v1.i64(1_922_136);
        v1.i64(1_700_000_000_123_456_789L);
        v1.i64(4242);
        v1.i32(0);
        byte[] bytes = Arrays.copyOf(v1.array(), v1.length());
        recrc(bytes);
        FileMapped read = (FileMapped) codec.decode(codec.check(bytes, bytes.length), bytes, bytes.length);
        assertEquals(new FileMapped(17, "/usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136, 1_700_000_000_123_456_789L, 4242),
                read);
        assertFalse(read.hasChangeTimeAndDevice());
        // written back as it was read: the same version 1 bytes
        ByteSink again = codec.encode(read);
        assertArrayEquals(bytes, Arrays.copyOf(again.array(), again.length()));
        // the version byte decides the layout: a version 1 payload under version 2 is short, not misread
        byte[] relabelled = bytes.clone();
        relabelled[1] = 2;
        recrc(relabelled);
        assertThrows(FormatException.class,
                () -> codec.decode(codec.check(relabelled, relabelled.length), relabelled, relabelled.length));
    }

    @Test
    void batchesRoundTripInEveryEncodingIncludingExtremeIds() throws FormatException {
        Random rnd = new Random(1);
        int[] ids = new int[5000];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(3) == 0 ? rnd.nextInt() : rnd.nextInt(100);
        ids[0] = Integer.MIN_VALUE;
        ids[1] = Integer.MAX_VALUE;
        ids[2] = Integer.MIN_VALUE;
        for (BatchEncoding enc : BatchEncoding.values()) {
            EventCodec c = new EventCodec(enc);
            ByteSink sink = c.encodeBatch(4, 1000, 2000, ids, ids.length, 77_777);
            byte[] bytes = Arrays.copyOf(sink.array(), sink.length());
            assertEquals(EventType.EXEC_BATCH, c.check(bytes, bytes.length));
            ExecBatchHeader h = c.batchHeader(bytes, bytes.length, 42);
            assertEquals(new ExecBatchHeader(4, 42, 1000, 2000, 5000, 77_777, h.encodedBytes()), h);
            int[] out = new int[ids.length];
            // a different codec instance decodes it: the encoding travels with the batch
            assertEquals(h, new EventCodec(BatchEncoding.RAW_INT32).batchIds(bytes, bytes.length, 42, out));
            assertArrayEquals(ids, out, enc.name());
        }
    }

    @Test
    void anyFlippedBitIsACrcMismatch() {
        ByteSink sink = codec.encode(StoreTestSupport.module(1));
        byte[] good = Arrays.copyOf(sink.array(), sink.length());
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            FormatException e = assertThrows(FormatException.class, () -> codec.check(bad, bad.length));
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
        }
    }

    @Test
    void unknownVersionAndTypeAndShortFramesAreRejected() {
        ByteSink sink = codec.encode(new SignalDelivered(1, 2, 3, 4));
        byte[] bytes = Arrays.copyOf(sink.array(), sink.length());
        bytes[1] = 9;
        recrc(bytes);
        assertTrue(assertThrows(FormatException.class, () -> codec.check(bytes, bytes.length)).getMessage()
                .contains("unknown format version 9"));
        bytes[1] = 1;
        bytes[0] = 99;
        recrc(bytes);
        assertTrue(assertThrows(FormatException.class, () -> codec.check(bytes, bytes.length)).getMessage()
                .contains("unknown event type 99"));
        assertThrows(FormatException.class, () -> codec.check(bytes, 3));
    }

    @Test
    void damagedLengthFieldIsAFormatErrorNotACrash() {
        ByteSink sink = codec.encode(StoreTestSupport.module(1));
        byte[] bytes = Arrays.copyOf(sink.array(), sink.length());
        // the path length field sits right after the module id (payload offset 4 => frame offset 6)
        bytes[9] = 0x7F;
        recrc(bytes);
        assertThrows(FormatException.class, () -> codec.decode(codec.check(bytes, bytes.length), bytes, bytes.length));
    }

    private static void recrc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int v = (int) crc.getValue();
        for (int i = 0; i < 4; i++) bytes[bytes.length - 4 + i] = (byte) (v >>> (8 * i));
    }
}
