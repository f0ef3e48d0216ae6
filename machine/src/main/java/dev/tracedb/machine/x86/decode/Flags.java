package dev.tracedb.machine.x86.decode;

import java.util.EnumSet;
import java.util.Set;
import java.util.StringJoiner;

/**
 * An immutable set of {@link Flag}s, kept as a bit mask so that every decoded instruction can carry
 * three of them without allocating. Bit {@code i} of {@link #mask()} is {@code Flag.values()[i]}.
 */
public final class Flags {
    private static final Flag[] FLAGS = Flag.values();
    // every possible set exists once, so decoding allocates none (2^12 small objects)
    private static final Flags[] BY_MASK = new Flags[1 << FLAGS.length];

    static {
        for (int mask = 0; mask < BY_MASK.length; mask++) {
            BY_MASK[mask] = new Flags(mask);
        }
    }

    public static final Flags NONE = BY_MASK[0];
    /** Every flag we model. */
    public static final Flags ALL = BY_MASK[BY_MASK.length - 1];
    /** The six arithmetic status flags: CF PF AF ZF SF OF. */
    public static final Flags STATUS = of(Flag.CF, Flag.PF, Flag.AF, Flag.ZF, Flag.SF, Flag.OF);

    private final int mask;

    private Flags(int mask) {
        this.mask = mask;
    }

    public static Flags of(Flag... flags) {
        int mask = 0;
        for (Flag flag : flags) {
            mask |= 1 << flag.ordinal();
        }
        return ofMask(mask);
    }

    /** The set whose bit {@code i} stands for {@code Flag.values()[i]}. */
    public static Flags ofMask(int mask) {
        if (mask < 0 || mask >= BY_MASK.length) {
            throw new IllegalArgumentException("mask has bits beyond the " + FLAGS.length + " flags: " + mask);
        }
        return BY_MASK[mask];
    }

    public int mask() {
        return mask;
    }

    public boolean contains(Flag flag) {
        return (mask & (1 << flag.ordinal())) != 0;
    }

    public boolean containsAny(Flags other) {
        return (mask & other.mask) != 0;
    }

    public boolean isEmpty() {
        return mask == 0;
    }

    public Flags union(Flags other) {
        return ofMask(mask | other.mask);
    }

    public Set<Flag> toSet() {
        EnumSet<Flag> set = EnumSet.noneOf(Flag.class);
        for (Flag flag : FLAGS) {
            if (contains(flag)) {
                set.add(flag);
            }
        }
        return set;
    }

    // instances are unique per mask, but equals stays value-based so that it does not depend on that
    @Override
    public boolean equals(Object o) {
        return o instanceof Flags other && other.mask == mask;
    }

    @Override
    public int hashCode() {
        return mask;
    }

    /** E.g. {@code "CF|ZF"}, or {@code "-"} for no flags. */
    @Override
    public String toString() {
        if (mask == 0) {
            return "-";
        }
        StringJoiner joiner = new StringJoiner("|");
        for (Flag flag : FLAGS) {
            if (contains(flag)) {
                joiner.add(flag.name());
            }
        }
        return joiner.toString();
    }
}
