package dev.tracedb.store.format;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes and decodes the block-id stream of one execution batch. Layout appended to the event:
 * <pre>
 *   u8  encoding        {@link BatchEncoding#code()}
 *   i32 plainLength     bytes before LZ4 (4 * count for int32, the varint length otherwise)
 *   i32 encodedLength   bytes that follow
 *   u8[encodedLength]   the ids
 * </pre>
 * Confined to one thread: it reuses scratch arrays so that a batch costs no allocation.
 */
public final class ExecBatchCodec {
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

    private final BatchEncoding encoding;
    private final LZ4Compressor compressor = LZ4.fastCompressor();
    private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
    private byte[] plain = new byte[0];

    public ExecBatchCodec(BatchEncoding encoding) {
        this.encoding = encoding;
    }

    public BatchEncoding encoding() {
        return encoding;
    }

    /** Appends the encoded {@code ids[0..count)} to {@code sink}; returns the encoded length. */
    public int encode(int[] ids, int count, ByteSink sink) {
        return encode(ids, 0, count, sink);
    }

    /** Appends the encoded {@code ids[from .. from+count)} to {@code sink}; returns the encoded length. */
    public int encode(int[] ids, int from, int count, ByteSink sink) {
        sink.u8(encoding.code());
        int lengthsAt = sink.reserve(8);
        sink.advance(8);
        int plainLength;
        int encodedLength;
        if (!encoding.lz4()) {
            int start = sink.reserve(maxPlain(count));
            plainLength = encoding.varint()
                    ? writeVarints(ids, from, count, sink.array(), start)
                    : writeInts(ids, from, count, sink.array(), start);
            encodedLength = plainLength;
        } else {
            if (plain.length < maxPlain(count)) plain = new byte[maxPlain(count)];
            plainLength = encoding.varint() ? writeVarints(ids, from, count, plain, 0) : writeInts(ids, from, count, plain, 0);
            int start = sink.reserve(compressor.maxCompressedLength(plainLength));
            encodedLength = compressor.compress(plain, 0, plainLength, sink.array(), start,
                    sink.array().length - start);
        }
        sink.advance(encodedLength);
        sink.i32At(lengthsAt, plainLength);
        sink.i32At(lengthsAt + 4, encodedLength);
        return encodedLength;
    }

    /**
     * Appends the encoded ids read as 4 little-endian bytes each from {@code ids[at ..]}, {@code
     * count} of them. {@link BatchEncoding#LZ4_INT32}'s plain bytes are exactly those, so LZ4 reads
     * them where they are; other encodings copy them out first.
     */
    public int encode(ByteBuffer ids, int at, int count, ByteSink sink) {
        if (encoding != BatchEncoding.LZ4_INT32) {
            int[] copy = new int[count];
            ids.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(at).asIntBuffer().get(copy);
            return encode(copy, 0, count, sink);
        }
        sink.u8(encoding.code());
        int lengthsAt = sink.reserve(8);
        sink.advance(8);
        int plainLength = 4 * count;
        int start = sink.reserve(compressor.maxCompressedLength(plainLength));
        byte[] out = sink.array();
        int encodedLength = compressor.compress(ids, at, plainLength, ByteBuffer.wrap(out), start, out.length - start);
        sink.advance(encodedLength);
        sink.i32At(lengthsAt, plainLength);
        sink.i32At(lengthsAt + 4, encodedLength);
        return encodedLength;
    }

    /** Reads the encoded length from the batch's codec header without decoding (for the seek index). */
    public static int encodedLength(ByteSource in) throws FormatException {
        in.u8();
        in.i32();
        return in.i32();
    }

    /** Decodes {@code count} ids from {@code in} into {@code out[0..count)}. */
    public void decode(ByteSource in, int count, int[] out) throws FormatException {
        int code = in.u8();
        BatchEncoding enc = BatchEncoding.ofCode(code);
        if (enc == null) throw new FormatException("unknown batch encoding " + code);
        int plainLength = in.i32();
        int encodedLength = in.i32();
        int expected = enc.varint() ? -1 : 4 * count;
        if (plainLength < 0 || plainLength > 5L * count || (expected >= 0 && plainLength != expected)) {
            throw new FormatException("batch of " + count + " ids claims " + plainLength + " plain bytes");
        }
        int at = in.skip(encodedLength);
        byte[] src = in.array();
        byte[] data = src;
        int dataAt = at;
        if (enc.lz4()) {
            if (plain.length < plainLength) plain = new byte[plainLength];
            int n;
            try {
                n = decompressor.decompress(src, at, encodedLength, plain, 0, plainLength);
            } catch (LZ4Exception e) {
                throw new FormatException("LZ4 data does not decompress: " + e.getMessage(), e);
            }
            if (n != plainLength) throw new FormatException("LZ4 data decompressed to " + n + " bytes, expected " + plainLength);
            data = plain;
            dataAt = 0;
        } else if (encodedLength != plainLength) {
            throw new FormatException("uncompressed batch with encoded length " + encodedLength + " != " + plainLength);
        }
        if (enc.varint()) {
            readVarints(data, dataAt, dataAt + plainLength, count, out);
        } else {
            ByteBuffer.wrap(data, dataAt, plainLength).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out, 0, count);
        }
    }

    private static int maxPlain(int count) {
        return 5 * count;
    }

    private static int writeInts(int[] ids, int from, int count, byte[] dst, int at) {
        ByteBuffer.wrap(dst, at, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(ids, from, count);
        return 4 * count;
    }

    private static int writeVarints(int[] ids, int from, int count, byte[] dst, int at) {
        int p = at;
        int prev = 0;
        for (int i = from, end = from + count; i < end; i++) {
            int id = ids[i];
            int d = id - prev;
            prev = id;
            int z = (d << 1) ^ (d >> 31);
            while ((z & ~0x7F) != 0) {
                dst[p++] = (byte) (z | 0x80);
                z >>>= 7;
            }
            dst[p++] = (byte) z;
        }
        return p - at;
    }

    private static void readVarints(byte[] src, int at, int end, int count, int[] out) throws FormatException {
        int p = at;
        int prev = 0;
        try {
            for (int i = 0; i < count; i++) {
                int b = src[p++];
                int z = b & 0x7F;
                int shift = 7;
                while (b < 0) {
                    b = src[p++];
                    z |= (b & 0x7F) << shift;
                    shift += 7;
                    if (shift > 35) throw new FormatException("varint longer than 5 bytes at " + (p - at));
                }
                prev += (z >>> 1) ^ -(z & 1);
                out[i] = prev;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new FormatException("varint stream ends early");
        }
        if (p != end) throw new FormatException("varint stream has " + (end - p) + " bytes left over");
    }
}
