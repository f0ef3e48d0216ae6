package dev.tracedb.machine.x86.decode;

/**
 * Shares {@link Encoding} instances between instructions: its five fields are each below 16, so
 * there are few distinct values, and most instructions can reuse one instead of allocating it.
 *
 * <p>Not thread-safe: one per decoder (the encodings are immutable and may be shared).
 */
final class EncodingCache {
    private static final int SLOTS = 1024;

    private final int[] keys = new int[SLOTS];
    private final Encoding[] encodings = new Encoding[SLOTS];

    Encoding get(int modrmOffset, int displacementOffset, int displacementSize, int immediateOffset, int immediateSize) {
        if ((modrmOffset | displacementOffset | displacementSize | immediateOffset | immediateSize) == 0) {
            return Encoding.NONE;
        }
        if (((modrmOffset | displacementOffset | displacementSize | immediateOffset | immediateSize) & ~15) != 0) {
            // cannot happen within 15 bytes, but a wrong value must not alias another key
            return new Encoding(modrmOffset, displacementOffset, displacementSize, immediateOffset, immediateSize);
        }
        int key = modrmOffset | displacementOffset << 4 | displacementSize << 8 | immediateOffset << 12
                | immediateSize << 16;
        int slot = (key * 0x9E3779B9 >>> 22) & (SLOTS - 1);
        Encoding cached = encodings[slot];
        if (cached != null && keys[slot] == key) {
            return cached;
        }
        Encoding encoding = new Encoding(modrmOffset, displacementOffset, displacementSize, immediateOffset,
                immediateSize);
        keys[slot] = key;
        encodings[slot] = encoding;
        return encoding;
    }
}
