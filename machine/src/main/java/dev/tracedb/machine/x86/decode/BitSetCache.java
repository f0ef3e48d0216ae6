package dev.tracedb.machine.x86.decode;

/**
 * A direct-mapped cache of immutable {@link EnumBitSet}s by their bit words. Register and group
 * sets repeat from instruction to instruction ({RSP}, {RBP, RSP}, ...), so most instructions can
 * share an existing set instead of copying the words and allocating a new one. A miss replaces
 * the slot. The keys sit in one flat array so that a lookup touches one cache line, not a
 * separate array object per slot.
 *
 * <p>Not thread-safe: one per decoder (the sets it hands out are immutable and may be shared).
 */
final class BitSetCache<E extends Enum<E>> {
    private final E[] universe;
    private final int wordsPerSet;
    private final EnumBitSet<E>[] sets;
    private final long[] keys;
    private final int mask;

    /** @param slots a power of two */
    @SuppressWarnings("unchecked")
    BitSetCache(E[] universe, int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        this.universe = universe;
        this.wordsPerSet = (universe.length + 63) >>> 6;
        this.sets = new EnumBitSet[slots];
        this.keys = new long[slots * wordsPerSet];
        this.mask = slots - 1;
    }

    /** An immutable set with exactly the bits of {@code words}, which the caller may reuse afterwards. */
    EnumBitSet<E> get(long[] words) {
        long hash = 0;
        for (int i = 0; i < wordsPerSet; i++) {
            hash = (hash + words[i]) * 0x9E3779B97F4A7C15L;
        }
        int slot = (int) (hash >>> 40) & mask;
        int key = slot * wordsPerSet;
        EnumBitSet<E> cached = sets[slot];
        if (cached != null && sameWords(key, words)) {
            return cached;
        }
        System.arraycopy(words, 0, keys, key, wordsPerSet);
        EnumBitSet<E> set = EnumBitSet.ofWords(universe, words.clone());
        sets[slot] = set;
        return set;
    }

    private boolean sameWords(int key, long[] words) {
        for (int i = 0; i < wordsPerSet; i++) {
            if (keys[key + i] != words[i]) {
                return false;
            }
        }
        return true;
    }
}
