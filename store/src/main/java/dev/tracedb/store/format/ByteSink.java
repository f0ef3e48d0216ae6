package dev.tracedb.store.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer that events are encoded into. Reused between events. */
public final class ByteSink {
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] buf;
    private int len;

    public ByteSink(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /** The backing array; bytes {@code [0, length())} are valid until the next write. */
    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    public void clear() {
        len = 0;
    }

    /** Makes room for {@code n} more bytes and returns the position they start at. */
    public int reserve(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
        return len;
    }

    /** Marks {@code n} bytes written directly into {@link #array()} after {@link #reserve}. */
    public void advance(int n) {
        len += n;
    }

    public void u8(int v) {
        reserve(1);
        buf[len++] = (byte) v;
    }

    public void i32(int v) {
        reserve(4);
        INT.set(buf, len, v);
        len += 4;
    }

    public void i64(long v) {
        reserve(8);
        LONG.set(buf, len, v);
        len += 8;
    }

    /** Overwrites 4 bytes at {@code pos} (for lengths known only after the fact). */
    public void i32At(int pos, int v) {
        INT.set(buf, pos, v);
    }

    public void bytes(byte[] b) {
        i32(b.length);
        raw(b, 0, b.length);
    }

    public void raw(byte[] b, int off, int n) {
        reserve(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** An unsigned LEB128 varint: 7 bits a byte, low bits first, 1 to 10 bytes. */
    public void varLong(long v) {
        reserve(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    public void string(String s) {
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }
}
