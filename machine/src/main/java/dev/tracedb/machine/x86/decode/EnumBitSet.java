package dev.tracedb.machine.x86.decode;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable set of enum constants as a bit array. Instructions carry three such sets; as
 * unmodifiable EnumSet copies they were the largest Java-side cost of decoding.
 */
final class EnumBitSet<E extends Enum<E>> extends AbstractSet<E> {
    private final E[] universe;
    private final long[] words;
    private final int size;

    private EnumBitSet(E[] universe, long[] words) {
        this.universe = universe;
        this.words = words;
        int count = 0;
        for (long word : words) {
            count += Long.bitCount(word);
        }
        this.size = count;
    }

    /** The set itself if it already is one (it is immutable), else an immutable copy. */
    static <E extends Enum<E>> Set<E> copyOf(Set<E> set, Class<E> type) {
        if (set instanceof EnumBitSet<E> bits && bits.universe.getClass().getComponentType() == type) {
            return bits;
        }
        E[] universe = type.getEnumConstants();
        long[] words = new long[(universe.length + 63) >>> 6];
        for (E element : set) {
            words[element.ordinal() >>> 6] |= 1L << element.ordinal();
        }
        return new EnumBitSet<>(universe, words);
    }

    /** Takes ownership of {@code words} (bit i = ordinal i), which the caller must not change afterwards. */
    static <E extends Enum<E>> EnumBitSet<E> ofWords(E[] universe, long[] words) {
        return new EnumBitSet<>(universe, words);
    }

    @Override
    public boolean contains(Object o) {
        if (!(o instanceof Enum<?> e) || e.getDeclaringClass() != universe.getClass().getComponentType()) {
            return false;
        }
        return (words[e.ordinal() >>> 6] & (1L << e.ordinal())) != 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<E> iterator() {
        return new Iterator<>() {
            private int word;
            private long remaining = words.length == 0 ? 0 : words[0];

            @Override
            public boolean hasNext() {
                while (remaining == 0 && word + 1 < words.length) {
                    remaining = words[++word];
                }
                return remaining != 0;
            }

            @Override
            public E next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int bit = Long.numberOfTrailingZeros(remaining);
                remaining &= remaining - 1;
                return universe[(word << 6) + bit];
            }
        };
    }
}
