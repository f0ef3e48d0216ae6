package dev.tracedb.machine.x86.encode;

import java.util.Objects;

/**
 * A memory operand: {@code [base + index*scale + disp32]} with base and index each optional, or
 * {@code [rip + disp32]} where the displacement is resolved against the end of the instruction
 * that uses it, towards a {@link Label} or an absolute run-time address. Immutable.
 */
public final class Mem {
    private final Gpr base;
    private final Gpr index;
    private final int scale;
    private final int disp;
    private final Label ripLabel;
    private final long ripTarget;
    private final boolean ripRelative;

    private Mem(Gpr base, Gpr index, int scale, int disp, Label ripLabel, long ripTarget, boolean rip) {
        if (index == Gpr.RSP) {
            // SIB index 100 without REX.X means "no index"; rsp cannot be scaled.
            throw new IllegalArgumentException("rsp cannot be an index register");
        }
        if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
            throw new IllegalArgumentException("scale must be 1, 2, 4 or 8: " + scale);
        }
        this.base = base;
        this.index = index;
        this.scale = scale;
        this.disp = disp;
        this.ripLabel = ripLabel;
        this.ripTarget = ripTarget;
        this.ripRelative = rip;
    }

    /** {@code [base]}. */
    public static Mem of(Gpr base) {
        return of(base, 0);
    }

    /** {@code [base + disp]}. */
    public static Mem of(Gpr base, int disp) {
        return new Mem(Objects.requireNonNull(base), null, 1, disp, null, 0, false);
    }

    /** {@code [base + index*scale + disp]}. */
    public static Mem of(Gpr base, Gpr index, int scale, int disp) {
        return new Mem(Objects.requireNonNull(base), Objects.requireNonNull(index), scale, disp, null, 0, false);
    }

    /** {@code [index*scale + disp32]} with no base register (e.g. a table at a fixed low address). */
    public static Mem indexed(Gpr index, int scale, int disp) {
        return new Mem(null, Objects.requireNonNull(index), scale, disp, null, 0, false);
    }

    /** {@code [disp32]}, an absolute address in the low or high 2 GiB, encoded through SIB. */
    public static Mem absolute(int address) {
        return new Mem(null, null, 1, address, null, 0, false);
    }

    /** {@code [rip + disp32]} reaching {@code label}. */
    public static Mem rip(Label label) {
        return new Mem(null, null, 1, 0, Objects.requireNonNull(label), 0, true);
    }

    /** {@code [rip + disp32]} reaching the run-time address {@code target}; must be within ±2 GiB. */
    public static Mem rip(long target) {
        return new Mem(null, null, 1, 0, null, target, true);
    }

    Gpr base() {
        return base;
    }

    Gpr index() {
        return index;
    }

    int scale() {
        return scale;
    }

    int disp() {
        return disp;
    }

    boolean isRipRelative() {
        return ripRelative;
    }

    /** The label of a RIP-relative operand, or null if it targets an absolute address. */
    Label ripLabel() {
        return ripLabel;
    }

    long ripTarget() {
        return ripTarget;
    }

    @Override
    public String toString() {
        if (ripRelative) {
            return "[rip -> " + (ripLabel != null ? ripLabel : "0x" + Long.toHexString(ripTarget)) + "]";
        }
        StringBuilder s = new StringBuilder("[");
        if (base != null) {
            s.append(base.name64());
        }
        if (index != null) {
            s.append(base != null ? "+" : "").append(index.name64()).append('*').append(scale);
        }
        String sign = disp < 0 ? "-" : s.length() > 1 ? "+" : "";
        return s.append(sign).append("0x").append(Long.toHexString(Math.abs((long) disp)))
                .append(']').toString();
    }
}
