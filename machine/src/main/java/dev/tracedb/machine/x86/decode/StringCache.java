package dev.tracedb.machine.x86.decode;

import java.nio.charset.StandardCharsets;

/**
 * A direct-mapped cache of Latin-1 strings by content. A decoder sees the same few hundred
 * mnemonics and many repeated operand texts ("rbp, rsp", "eax, eax") over and over; handing out
 * the cached String instead of a new one removes most of the text allocation per instruction.
 * A miss simply replaces the slot, so memory stays bounded.
 *
 * <p>Not thread-safe: one per decoder.
 */
final class StringCache {
    private final String[] slots;
    private final int mask;

    /** @param slots a power of two */
    StringCache(int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        this.slots = new String[slots];
        this.mask = slots - 1;
    }

    /** The NUL-terminated Latin-1 string at {@code bytes[from]}, at most {@code capacity} bytes long. */
    String cString(byte[] bytes, int from, int capacity) {
        // find the end and hash in one pass
        int hash = 0;
        int length = 0;
        for (byte b; length < capacity && (b = bytes[from + length]) != 0; length++) {
            hash = 31 * hash + b;
        }
        return get(bytes, from, length, hash);
    }

    private String get(byte[] bytes, int from, int length, int hash) {
        int slot = (hash ^ (hash >>> 15)) & mask;
        String cached = slots[slot];
        if (cached != null && matches(cached, bytes, from, length)) {
            return cached;
        }
        String string = new String(bytes, from, length, StandardCharsets.ISO_8859_1);
        slots[slot] = string;
        return string;
    }

    private static boolean matches(String cached, byte[] bytes, int from, int length) {
        if (cached.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (cached.charAt(i) != (bytes[from + i] & 0xff)) {
                return false;
            }
        }
        return true;
    }
}
