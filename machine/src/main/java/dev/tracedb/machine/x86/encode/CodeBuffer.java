package dev.tracedb.machine.x86.encode;

import java.util.Arrays;

/**
 * A growable little-endian byte buffer for machine code, which knows the address its byte 0 will
 * have when the code runs, so that rel32 branches and RIP-relative operands to absolute targets
 * can be computed while emitting. Growing never changes that address: the bytes are copied to it
 * later (a code cache slot, a mapped trace).
 */
public final class CodeBuffer {
    private final long baseAddress;
    private byte[] bytes = new byte[256];
    private int position;

    /** A buffer whose byte 0 will live at {@code baseAddress} in the process that runs it. */
    public CodeBuffer(long baseAddress) {
        this.baseAddress = baseAddress;
    }

    /** The run-time address of byte 0. */
    public long baseAddress() {
        return baseAddress;
    }

    /** The offset of the next byte to be emitted, which is also the number of bytes emitted. */
    public int position() {
        return position;
    }

    /** The run-time address of the next byte to be emitted. */
    public long address() {
        return baseAddress + position;
    }

    /** Appends the low 8 bits of {@code value}. */
    public void emit8(int value) {
        ensure(1);
        bytes[position++] = (byte) value;
    }

    /** Appends the low 16 bits of {@code value}, little-endian. */
    public void emit16(int value) {
        emit8(value);
        emit8(value >>> 8);
    }

    /** Appends {@code value}, little-endian. */
    public void emit32(int value) {
        emit16(value);
        emit16(value >>> 16);
    }

    /** Appends {@code value}, little-endian. */
    public void emit64(long value) {
        emit32((int) value);
        emit32((int) (value >>> 32));
    }

    /** Overwrites the byte at {@code offset}, which must already have been emitted. */
    public void patch8(int offset, int value) {
        checkPatch(offset, 1);
        bytes[offset] = (byte) value;
    }

    /** Overwrites the four bytes at {@code offset}, little-endian; they must already exist. */
    public void patch32(int offset, int value) {
        checkPatch(offset, 4);
        for (int i = 0; i < 4; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** Drops the bytes from {@code offset} on; only for undoing an instruction that failed midway. */
    void rewind(int offset) {
        if (offset < 0 || offset > position) {
            throw new IndexOutOfBoundsException("rewind to " + offset + " of " + position);
        }
        position = offset;
    }

    /** A copy of the bytes emitted so far. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, position);
    }

    private void checkPatch(int offset, int length) {
        if (offset < 0 || offset + length > position) {
            throw new IndexOutOfBoundsException(
                    "patch of " + length + " bytes at " + offset + " outside the " + position + " emitted");
        }
    }

    private void ensure(int more) {
        if (position + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, position + more));
        }
    }
}
