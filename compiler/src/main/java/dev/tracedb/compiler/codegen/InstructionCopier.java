package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.InstructionGroup;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import java.util.List;
import java.util.Set;

/**
 * Copies original instructions into a trace byte for byte. The one thing in them that depends
 * on where they are, a RIP-relative displacement, becomes a {@link TraceCode.RipData} fix-up (the
 * field is left zero until the loader relocates it). Instructions whose effect would reveal that
 * they run somewhere else are refused.
 */
final class InstructionCopier {
    /**
     * x87/SSE state saves store the FPU instruction pointer, which inside a trace is a trace
     * address: the saved image would differ from the original program's.
     */
    private static final Set<String> SAVES_INSTRUCTION_POINTER = Set.of(
            "fnsave", "fsave", "fnstenv", "fstenv", "fxsave", "fxsave64", "xsave", "xsave64", "xsavec",
            "xsavec64", "xsaveopt", "xsaveopt64", "xsaves", "xsaves64");

    private final CodeBuffer buffer;
    private final List<TraceCode.Fixup> fixups;

    InstructionCopier(CodeBuffer buffer, List<TraceCode.Fixup> fixups) {
        this.buffer = buffer;
        this.fixups = fixups;
    }

    /** Copies an instruction from the body of a block (not its terminator). */
    void copy(Instruction insn) {
        if (insn.endsBlock()) {
            throw new TraceRefusedException("a control transfer inside a block: " + insn);
        }
        if (insn.is(InstructionGroup.RTM) || insn.is(InstructionGroup.PRIVILEGE) || insn.is(InstructionGroup.VM)) {
            throw new TraceRefusedException("privileged, virtualization or transactional instruction: " + insn);
        }
        String mnemonic = insn.mnemonic();
        String base = mnemonic.substring(mnemonic.lastIndexOf(' ') + 1);
        if (SAVES_INSTRUCTION_POINTER.contains(base)) {
            throw new TraceRefusedException("saves the FPU instruction pointer, which would be a trace address: " + insn);
        }
        if (insn.registersRead().contains(Register.RIP) && insn.ripRelativeOperand().isEmpty()) {
            throw new TraceRefusedException("reads rip other than through a memory operand: " + insn);
        }
        emit(insn);
    }

    /** Copies an indirect {@code jmp}: executed as is, it goes where the original would. */
    void copyBranch(Instruction jmp) {
        emit(jmp);
    }

    private void emit(Instruction insn) {
        byte[] bytes = insn.bytes();
        int start = buffer.position();
        for (byte b : bytes) {
            buffer.emit8(b);
        }
        if (insn.ripRelativeOperand().isPresent()) {
            int field = ripDisplacementOffset(insn);
            buffer.patch32(start + field, 0);
            fixups.add(new TraceCode.RipData(start + field, insn.ripRelativeTarget().getAsLong(),
                    bytes.length - (field + 4)));
        }
    }

    /**
     * Where the disp32 of the RIP-relative operand sits. A RIP-relative displacement is always 32
     * bits whatever size Capstone 4.0.2 reports (it says 2 under a 0x66 prefix), so the offset is
     * trusted only when the bytes there hold the decoded displacement.
     */
    static int ripDisplacementOffset(Instruction insn) {
        MemoryOperand memory = insn.ripRelativeOperand().orElseThrow();
        int at = insn.encoding().displacementOffset();
        if (at == 0 || at + 4 > insn.length() || readInt(insn, at) != (int) memory.displacement()) {
            throw new TraceRefusedException("unexpected RIP-relative encoding " + insn.encoding() + ": " + insn);
        }
        return at;
    }

    private static int readInt(Instruction insn, int at) {
        return (insn.byteAt(at) & 0xff) | (insn.byteAt(at + 1) & 0xff) << 8 | (insn.byteAt(at + 2) & 0xff) << 16
                | (insn.byteAt(at + 3) & 0xff) << 24;
    }
}
