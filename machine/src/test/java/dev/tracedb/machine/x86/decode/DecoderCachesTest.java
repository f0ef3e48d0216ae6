package dev.tracedb.machine.x86.decode;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The decoder's caches hand out equal values for equal keys, shared where possible, and never stale ones. */
class DecoderCachesTest {

    private static byte[] cString(String text, int capacity) {
        byte[] bytes = new byte[capacity];
        byte[] content = text.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(content, 0, bytes, 0, content.length);
        return bytes;
    }

    @Test
    void stringCacheSharesEqualStringsAndStopsAtNul() {
        StringCache cache = new StringCache(2);
        String first = cache.cString(cString("rbp, rsp", 16), 0, 16);
        assertEquals("rbp, rsp", first);
        assertSame(first, cache.cString(cString("rbp, rsp", 16), 0, 16));
        // with two slots, many different strings must collide and replace each other correctly
        for (int i = 0; i < 100; i++) {
            assertEquals("eax, " + i, cache.cString(cString("eax, " + i, 16), 0, 16));
        }
        assertEquals("", cache.cString(new byte[4], 0, 4));
        assertEquals("abcd", cache.cString("abcdef".getBytes(StandardCharsets.ISO_8859_1), 0, 4), "capacity bounds it");
    }

    @Test
    void bitSetCacheReturnsExactlyTheWordsAsked() {
        BitSetCache<Register> cache = new BitSetCache<>(Register.values(), 2);
        long[] words = new long[(Register.values().length + 63) >>> 6];
        for (Register register : Register.values()) {
            java.util.Arrays.fill(words, 0);
            words[register.ordinal() >>> 6] |= 1L << register.ordinal();
            words[Register.RSP.ordinal() >>> 6] |= 1L << Register.RSP.ordinal();
            Set<Register> set = cache.get(words);
            assertEquals(EnumSet.of(register, Register.RSP), set);
            // the caller reuses its array: the set must not change with it
            java.util.Arrays.fill(words, -1L);
            assertEquals(EnumSet.of(register, Register.RSP), set);
        }
        java.util.Arrays.fill(words, 0);
        assertSame(cache.get(words), cache.get(words));
    }

    @Test
    void encodingCacheSharesEqualEncodings() {
        EncodingCache cache = new EncodingCache();
        assertSame(Encoding.NONE, cache.get(0, 0, 0, 0, 0));
        for (int modrm = 0; modrm < 16; modrm++) {
            for (int immediate = 0; immediate < 16; immediate++) {
                Encoding encoding = cache.get(modrm, 2, 4, immediate, 1);
                assertEquals(new Encoding(modrm, 2, 4, immediate, 1), encoding);
                assertSame(encoding, cache.get(modrm, 2, 4, immediate, 1));
            }
        }
    }
}
