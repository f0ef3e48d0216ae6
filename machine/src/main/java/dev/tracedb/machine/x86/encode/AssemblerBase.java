package dev.tracedb.machine.x86.encode;

import java.util.ArrayList;
import java.util.List;

/**
 * The one place that knows prefixes, REX, ModRM, SIB, displacements and label references
 * (Graal's {@code AMD64BaseAssembler}). {@link Assembler} builds every instruction from these.
 */
abstract class AssemblerBase {
    /** Whether an instruction sets REX.W; DEFAULT is 32-bit data, or 64-bit for branches and stack. */
    enum Size { DEFAULT, QWORD }

    /** An opcode of one or two bytes (0x0F escape in the high byte) and its operand size. */
    record Op(Size size, int opcode) {
    }

    private static final int LOCK = 0xF0;

    final CodeBuffer buf;
    private final List<Label> referenced = new ArrayList<>();

    AssemblerBase(CodeBuffer buffer) {
        this.buf = buffer;
    }

    /** {@code [REX] op ModRM(11, reg, rm)}: a register-direct operand. */
    final void emitRr(Op op, int reg, Gpr rm) {
        rex(op.size(), reg, 0, rm.encoding());
        opcode(op.opcode());
        modrm(3, reg, rm.low3());
    }

    /** {@code [REX] op ModRM [SIB] [disp]}; {@code immBytes} follow, so RIP resolves past them. */
    final void emitRm(Op op, int reg, Mem m, int immBytes) {
        emitRm(false, op, reg, m, immBytes);
    }

    /** {@code [REX] op+reg}: the register lives in the opcode's low three bits. */
    final void emitO(Op op, Gpr reg) {
        rex(op.size(), 0, 0, reg.encoding());
        opcode(op.opcode() + reg.low3());
    }

    /** {@code lock [REX] op ModRM ...}: the prefix must come before REX. */
    final void emitLockedRm(Op op, int reg, Mem m) {
        emitRm(true, op, reg, m, 0);
    }

    /** {@code op rel8/rel32} towards {@code label}; a bound label out of rel8 reach emits nothing. */
    final void emitBranch(int opcode, Label label, int width) {
        int start = buf.position();
        opcode(opcode);
        int field = buf.position();
        if (width == 1) {
            buf.emit8(0);
        } else {
            buf.emit32(0);
        }
        try {
            reference(label, field, width, field + width);
        } catch (IllegalStateException unreachable) {
            buf.rewind(start);
            throw unreachable;
        }
    }

    /** {@code op rel32} reaching the run-time address {@code target}; emits nothing if it cannot. */
    final void emitBranch32(int opcode, long target) {
        int length = (opcode > 0xFF ? 2 : 1) + 4;
        int displacement = displacement32(target, buf.address() + length);
        opcode(opcode);
        buf.emit32(displacement);
    }

    /** Binds {@code label} here, patching its pending uses. */
    final void bindHere(Label label) {
        label.bind(buf, buf.position());
    }

    /** Fails if a label that something refers to was never bound; the code would jump into zeros. */
    final void checkLabelsBound() {
        for (Label label : referenced) {
            if (!label.isBound()) {
                throw new IllegalStateException("label " + label.name() + " is used but never bound");
            }
        }
    }

    /** Whether {@code value} survives sign-extension from 8 bits. */
    static boolean isByte(long value) {
        return value == (byte) value;
    }

    private void emitRm(boolean lock, Op op, int reg, Mem m, int immBytes) {
        int start = buf.position();
        try {
            if (lock) {
                buf.emit8(LOCK);
            }
            int index = m.index() == null ? 0 : m.index().encoding();
            int base = m.base() == null ? 0 : m.base().encoding();
            rex(op.size(), reg, index, base);
            opcode(op.opcode());
            memory(reg, m, immBytes);
        } catch (IllegalArgumentException unreachable) {
            // A RIP target out of range is only known mid-instruction; leave no partial bytes behind
            // so that a caller can fall back to another form.
            buf.rewind(start);
            throw unreachable;
        }
    }

    private void reference(Label label, int field, int width, int end) {
        referenced.add(label);
        label.use(buf, field, width, end);
    }

    private void rex(Size size, int reg, int index, int base) {
        int rex = 0x40 | (size == Size.QWORD ? 8 : 0) | (reg & 8) >> 1 | (index & 8) >> 2 | (base & 8) >> 3;
        if (rex != 0x40) {
            buf.emit8(rex);
        }
    }

    private void opcode(int opcode) {
        if (opcode > 0xFF) {
            buf.emit8(opcode >>> 8);
        }
        buf.emit8(opcode);
    }

    private void modrm(int mod, int reg, int rm) {
        buf.emit8(mod << 6 | (reg & 7) << 3 | rm);
    }

    private void sib(int scale, int index, int base) {
        buf.emit8(Integer.numberOfTrailingZeros(scale) << 6 | index << 3 | base);
    }

    private void memory(int reg, Mem m, int immBytes) {
        if (m.isRipRelative()) {
            modrm(0, reg, 5);
            int field = buf.position();
            buf.emit32(0);
            int end = field + 4 + immBytes;
            if (m.ripLabel() != null) {
                reference(m.ripLabel(), field, 4, end);
            } else {
                buf.patch32(field, displacement32(m.ripTarget(), buf.baseAddress() + end));
            }
            return;
        }
        int index = m.index() == null ? 4 : m.index().low3(); // 100 = no index
        if (m.base() == null) {
            // mod 00 with SIB base 101 means "no base, disp32"; rm 101 alone would be RIP-relative.
            modrm(0, reg, 4);
            sib(m.scale(), index, 5);
            buf.emit32(m.disp());
            return;
        }
        int base = m.base().low3();
        // rbp/r13 (101) with mod 00 means RIP or no-base, so a zero displacement still needs a disp8.
        int mod = m.disp() == 0 && base != 5 ? 0 : isByte(m.disp()) ? 1 : 2;
        // rsp/r12 (100) in rm means "SIB follows", so they can only be a base through SIB.
        boolean needsSib = m.index() != null || base == 4;
        modrm(mod, reg, needsSib ? 4 : base);
        if (needsSib) {
            sib(m.scale(), index, base);
        }
        if (mod == 1) {
            buf.emit8(m.disp());
        } else if (mod == 2) {
            buf.emit32(m.disp());
        }
    }

    private static int displacement32(long target, long end) {
        long displacement = target - end;
        if (displacement != (int) displacement) {
            throw new IllegalArgumentException(String.format(
                    "target 0x%x is out of rel32 range of 0x%x", target, end));
        }
        return (int) displacement;
    }
}
