package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Flags;
import dev.tracedb.machine.x86.decode.ImmediateOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Recomputes the status flags a {@code cmp} guard overwrote, so that a guard may use {@code cmp}
 * even where the flags are live: the instruction that last wrote them before the guard is
 * executed again on the same register values, which gives the same flags and leaves every
 * register as it was.
 *
 * <p>The writer must be the last instruction before the guard, within the trace, that writes any
 * status flag; it must write all six ({@link FlagsLiveness#overwritesAll}); it must read only
 * registers and immediates (no memory, which may have changed); and nothing between it and the
 * guard may write a register it reads (nor any vector register, whose aliasing by size is not
 * modelled). Between them the scan crosses only what the trace copies without touching flags or
 * registers of its own: fall-through, direct jumps, conditional branches and direct calls. Forms:
 * <ul>
 * <li>{@code cmp}, {@code test}, the SSE compares, and {@code and}/{@code or} (idempotent:
 *     {@code (d & s) & s = d & s}), and {@code xor r, r}: executed again as they are;</li>
 * <li>{@code add d, s} and {@code sub d, s} (s an immediate or another register): the inverse
 *     first ({@code sub}/{@code add}, which gives back d's old value), then the instruction;</li>
 * <li>{@code xor d, s} (s not d): twice (the first undoes it).</li>
 * <li>{@code and}/{@code or}/{@code xor} into a 32- or 64-bit register {@code d} whose source was
 *     overwritten since (or was memory): {@code test d, d}. A logic instruction's flags are a
 *     function of its result alone (OF = CF = 0; SF, ZF, PF from the result; AF undefined, as
 *     after {@code test}), and the result is still in d. CPython's dispatch is this shape:
 *     {@code or esi, eax; movzx eax, sil; mov rax, [table + rax*8]; jmp rax}.</li>
 * </ul>
 * Immutable.
 */
final class FlagsRestore {
    private static final Set<String> IDEMPOTENT = Set.of(
            "cmp", "test", "and", "or", "ucomisd", "ucomiss", "comisd", "comiss",
            "vucomisd", "vucomiss", "vcomisd", "vcomiss");

    private final List<byte[]> sequence;

    private FlagsRestore(List<byte[]> sequence) {
        this.sequence = List.copyOf(sequence);
    }

    /** Emits the recomputation: every register keeps its value, the flags become the writer's. */
    void emit(CodeBuffer buffer) {
        for (byte[] bytes : sequence) {
            for (byte b : bytes) {
                buffer.emit8(b);
            }
        }
    }

    /**
     * The restore for the flags as they are at the terminator of block {@code index}, or null
     * when they cannot be recomputed there.
     */
    static FlagsRestore before(List<DecodedBlock> blocks, int index) {
        return beforeInstruction(blocks, index, blocks.get(index).body().size());
    }

    /**
     * The restore for the flags as they are right before body instruction {@code position} of
     * block {@code index} (the body's size: before its terminator), or null when they cannot be
     * recomputed there.
     */
    static FlagsRestore beforeInstruction(List<DecodedBlock> blocks, int index, int position) {
        Set<Register> writtenSince = new HashSet<>();
        boolean vectorWritten = false;
        for (int j = index; j >= 0; j--) {
            DecodedBlock block = blocks.get(j);
            if (j < index && !transparent(BranchForms.terminatorOf(block))) {
                return null;
            }
            if (j < index) {
                for (Register r : block.last().registersWritten()) {
                    writtenSince.add(r.full());
                }
            }
            List<Instruction> body = block.body();
            for (int k = (j == index ? position : body.size()) - 1; k >= 0; k--) {
                Instruction insn = body.get(k);
                if (insn.flagsWritten().containsAny(Flags.STATUS)) {
                    return recompute(insn, writtenSince, vectorWritten);
                }
                for (Register r : insn.registersWritten()) {
                    writtenSince.add(r.full());
                    vectorWritten |= r.kind() == Register.Kind.VECTOR;
                }
            }
        }
        return null; // written before the trace was entered
    }

    /** Terminators copied without a flag write or a guard of our own: the scan may cross them. */
    private static boolean transparent(Terminator kind) {
        return kind == Terminator.FALL_THROUGH || kind == Terminator.JUMP || kind == Terminator.CONDITIONAL
                || kind == Terminator.CALL;
    }

    private static FlagsRestore recompute(Instruction writer, Set<Register> writtenSince, boolean vectorWritten) {
        if (!FlagsLiveness.overwritesAll(writer)) {
            return null;
        }
        FlagsRestore fromResult = fromResult(writer, writtenSince);
        if (fromResult != null) {
            return fromResult;
        }
        if (writer.ripRelativeOperand().isPresent()) {
            return null;
        }
        List<Operand> operands = writer.operands();
        List<Register> sources = new ArrayList<>();
        for (Operand operand : operands) {
            if (operand instanceof RegisterOperand r) {
                sources.add(r.register());
            } else if (!(operand instanceof ImmediateOperand)) {
                return null; // memory may have changed since
            }
        }
        for (Register r : writer.registersRead()) {
            if (r.kind() == Register.Kind.VECTOR && vectorWritten) {
                return null;
            }
            if (writtenSince.contains(r.full())) {
                return null;
            }
        }
        for (Register r : sources) {
            if (writtenSince.contains(r.full()) || r.kind() == Register.Kind.VECTOR && vectorWritten) {
                return null;
            }
        }
        String mnemonic = writer.mnemonic();
        if (mnemonic.contains(" ")) {
            return null; // a prefix we do not reason about
        }
        byte[] bytes = writer.bytes();
        boolean sameRegister = operands.size() == 2 && operands.get(1) instanceof RegisterOperand s
                && operands.get(0) instanceof RegisterOperand d && s.register().full() == d.register().full();
        if (IDEMPOTENT.contains(mnemonic) || mnemonic.equals("xor") && sameRegister) {
            return new FlagsRestore(List.of(bytes));
        }
        if (operands.size() != 2 || sameRegister) {
            return null;
        }
        if (mnemonic.equals("xor")) {
            return new FlagsRestore(List.of(bytes, bytes));
        }
        if (mnemonic.equals("add") || mnemonic.equals("sub")) {
            byte[] inverse = inverse(bytes, mnemonic.equals("add"));
            return inverse == null ? null : new FlagsRestore(List.of(inverse, bytes));
        }
        return null;
    }

    /**
     * {@code test d, d} after {@code and}/{@code or}/{@code xor} into a 32- or 64-bit general
     * register d that nothing wrote since, when re-executing the writer is not possible (its
     * source changed, or is memory); null otherwise.
     */
    private static FlagsRestore fromResult(Instruction writer, Set<Register> writtenSince) {
        String mnemonic = writer.mnemonic();
        if (!LOGIC.contains(mnemonic) || writer.operands().size() != 2
                || !(writer.operands().get(0) instanceof RegisterOperand d)) {
            return null;
        }
        Register r = d.register();
        int size = r.sizeBytes();
        if (r.kind() != Register.Kind.GENERAL_PURPOSE || size != 4 && size != 8 || writtenSince.contains(r.full())) {
            return null;
        }
        int encoding = ENCODING_ORDER.indexOf(r.full());
        if (encoding < 0) {
            return null;
        }
        int rex = (size == 8 ? 0x48 : 0) | (encoding >= 8 ? 0x45 : 0);
        int low = encoding & 7;
        byte[] test = rex != 0
                ? new byte[] {(byte) (rex | 0x40), (byte) 0x85, (byte) (0xc0 | low << 3 | low)}
                : new byte[] {(byte) 0x85, (byte) (0xc0 | low << 3 | low)};
        return new FlagsRestore(List.of(test));
    }

    private static final Set<String> LOGIC = Set.of("and", "or", "xor");

    /** The 64-bit general registers by their 4-bit encoding (rax = 0 … r15 = 15). */
    private static final List<Register> ENCODING_ORDER = List.of(
            Register.RAX, Register.RCX, Register.RDX, Register.RBX, Register.RSP, Register.RBP, Register.RSI,
            Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12, Register.R13,
            Register.R14, Register.R15);

    /**
     * {@code sub} for an {@code add} and the reverse, same operands: the opcode moves by 0x28 in
     * the 00–05/28–2D rows, or the ModRM digit between /0 and /5 of the 80/81/83 group.
     */
    private static byte[] inverse(byte[] bytes, boolean isAdd) {
        byte[] out = bytes.clone();
        int p = BranchForms.opcodeIndex(out);
        if (p >= out.length) {
            return null;
        }
        int op = out[p] & 0xff;
        if (isAdd && op <= 0x05) {
            out[p] = (byte) (op + 0x28);
        } else if (!isAdd && op >= 0x28 && op <= 0x2d) {
            out[p] = (byte) (op - 0x28);
        } else if ((op == 0x80 || op == 0x81 || op == 0x83) && p + 1 < out.length) {
            int modrm = out[p + 1] & 0xff;
            int digit = (modrm >> 3) & 7;
            if (digit != (isAdd ? 0 : 5)) {
                return null;
            }
            out[p + 1] = (byte) ((modrm & ~0x38) | ((isAdd ? 5 : 0) << 3));
        } else {
            return null;
        }
        return out;
    }
}
