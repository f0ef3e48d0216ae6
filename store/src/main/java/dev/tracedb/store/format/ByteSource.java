package dev.tracedb.store.format;

import java.nio.charset.StandardCharsets;

/**
 * Reads little-endian values from a byte array region, checking every bound: a damaged length field
 * must become a {@link FormatException}, not an {@code ArrayIndexOutOfBoundsException} or a 2 GiB
 * allocation.
 */
public final class ByteSource {
    private final byte[] buf;
    private int pos;
    private final int limit;

    public ByteSource(byte[] buf, int off, int limit) {
        this.buf = buf;
        this.pos = off;
        this.limit = limit;
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return limit - pos;
    }

    private void need(int n) throws FormatException {
        if (n < 0 || limit - pos < n) {
            throw new FormatException("event truncated: need " + n + " bytes at payload offset " + pos
                    + ", " + (limit - pos) + " left");
        }
    }

    public int u8() throws FormatException {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int i32() throws FormatException {
        need(4);
        int v = (int) ByteSink.INT.get(buf, pos);
        pos += 4;
        return v;
    }

    public long i64() throws FormatException {
        need(8);
        long v = (long) ByteSink.LONG.get(buf, pos);
        pos += 8;
        return v;
    }

    /** An unsigned LEB128 varint ({@link ByteSink#varLong}). */
    public long varLong() throws FormatException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new FormatException("varint longer than 10 bytes at payload offset " + (pos - 10));
    }

    /** A length field, checked against what is left so damage cannot trigger a huge allocation. */
    public int length(int elementSize) throws FormatException {
        int n = i32();
        if (n < 0 || (long) n * elementSize > remaining()) {
            throw new FormatException("bad length " + n + " at payload offset " + (pos - 4));
        }
        return n;
    }

    public byte[] bytes() throws FormatException {
        int n = length(1);
        byte[] b = new byte[n];
        System.arraycopy(buf, pos, b, 0, n);
        pos += n;
        return b;
    }

    public String string() throws FormatException {
        int n = length(1);
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Skips {@code n} bytes and returns where they started. */
    public int skip(int n) throws FormatException {
        need(n);
        int start = pos;
        pos += n;
        return start;
    }

    public byte[] array() {
        return buf;
    }

    public void expectEnd() throws FormatException {
        if (pos != limit) throw new FormatException((limit - pos) + " unexpected bytes after event payload");
    }
}
