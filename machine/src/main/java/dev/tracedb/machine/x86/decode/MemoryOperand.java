package dev.tracedb.machine.x86.decode;

import java.util.Objects;
import java.util.Optional;

/**
 * A memory operand {@code segment:[base + index*scale + displacement]}. Absent registers are
 * empty. For a RIP-relative operand the displacement is the raw value encoded in the
 * instruction, relative to the address of the <em>next</em> instruction; see
 * {@link Instruction#ripRelativeTarget()}.
 */
public record MemoryOperand(Optional<Register> segment, Optional<Register> base, Optional<Register> index,
                            int scale, long displacement, int sizeBytes, Access access) implements Operand {
    public MemoryOperand {
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(access, "access");
    }

    public boolean isRipRelative() {
        return base.isPresent() && base.get() == Register.RIP;
    }
}
