package dev.tracedb.machine.x86.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CodeBufferTest {
    @Test
    void emitsLittleEndianAndPatchesInPlace() {
        CodeBuffer b = new CodeBuffer(0x1000);
        b.emit8(0xAB);
        b.emit16(0x1234);
        b.emit32(0xDEADBEEF);
        b.emit64(0x0102030405060708L);
        b.patch8(0, 0xCD);
        b.patch32(3, 0x11223344);
        assertArrayEquals(new byte[] {(byte) 0xCD, 0x34, 0x12, 0x44, 0x33, 0x22, 0x11,
            8, 7, 6, 5, 4, 3, 2, 1}, b.toByteArray());
        assertEquals(15, b.position());
        assertEquals(0x100F, b.address());
        assertEquals(0x1000, b.baseAddress());
    }

    @Test
    void growsPastItsInitialCapacity() {
        CodeBuffer b = new CodeBuffer(0);
        for (int i = 0; i < 10_000; i++) {
            b.emit8(i);
        }
        byte[] bytes = b.toByteArray();
        assertEquals(10_000, bytes.length);
        assertEquals((byte) 9_999, bytes[9_999]);
    }

    @Test
    void patchesOnlyWhatWasEmitted() {
        CodeBuffer b = new CodeBuffer(0);
        b.emit16(0);
        b.emit8(0);
        assertThrows(IndexOutOfBoundsException.class, () -> b.patch32(0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.patch8(3, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.patch8(-1, 1));
    }
}
