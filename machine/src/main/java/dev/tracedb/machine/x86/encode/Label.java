package dev.tracedb.machine.x86.encode;

import java.util.ArrayList;
import java.util.List;

/**
 * A position in a {@link CodeBuffer}, possibly not yet known. Branches and RIP-relative operands
 * that refer to an unbound label leave a zero displacement and are patched when it is bound;
 * references to a bound label are resolved at once. A rel8 that does not reach fails with
 * {@link IllegalStateException}, when the distance becomes known.
 */
public final class Label {
    private final String name;
    private int position = -1;
    /** Unresolved uses: displacement field offset, field width (1 or 4), end of the instruction. */
    private final List<int[]> uses = new ArrayList<>();

    /** An unbound label named {@code name} for error messages. */
    public Label(String name) {
        this.name = name;
    }

    /** An unbound anonymous label. */
    public Label() {
        this("label");
    }

    /** Whether {@link Assembler#bind} has fixed this label's position. */
    public boolean isBound() {
        return position >= 0;
    }

    /** The buffer offset this label is bound to. */
    public int position() {
        if (!isBound()) {
            throw new IllegalStateException("label " + name + " is not bound");
        }
        return position;
    }

    /** The name given at construction. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return isBound() ? name + "@" + position : name + "(unbound)";
    }

    /** Fixes the position and patches every pending use in {@code buffer}. */
    void bind(CodeBuffer buffer, int offset) {
        if (isBound()) {
            throw new IllegalStateException("label " + name + " bound twice");
        }
        position = offset;
        for (int[] use : uses) {
            patch(buffer, use[0], use[1], use[2]);
        }
        uses.clear();
    }

    /** Records (or, if bound, resolves) a displacement field measured from {@code end}. */
    void use(CodeBuffer buffer, int field, int width, int end) {
        if (isBound()) {
            patch(buffer, field, width, end);
        } else {
            uses.add(new int[] {field, width, end});
        }
    }

    private void patch(CodeBuffer buffer, int field, int width, int end) {
        int displacement = position - end;
        if (width == 1) {
            if (displacement != (byte) displacement) {
                throw new IllegalStateException(
                        "rel8 from offset " + end + " to " + this + " does not fit: " + displacement);
            }
            buffer.patch8(field, displacement);
        } else {
            buffer.patch32(field, displacement);
        }
    }
}
