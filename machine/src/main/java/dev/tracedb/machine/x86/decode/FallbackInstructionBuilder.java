package dev.tracedb.machine.x86.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects one fallback-decoded instruction operand by operand, in Intel order, keeping its text,
 * operands and the registers it reads and writes in step, so that no decoding rule can add an
 * operand and forget its register.
 */
final class FallbackInstructionBuilder {
    private final String mnemonic;
    private final StringBuilder text = new StringBuilder();
    private final List<Operand> operands = new ArrayList<>(4);
    private final InstructionDraft draft = new InstructionDraft();
    private int modrmOffset;
    private int displacementOffset;
    private int displacementSize;
    private int immediateOffset;
    private int immediateSize;

    FallbackInstructionBuilder(String mnemonic, InstructionGroup group) {
        this.mnemonic = mnemonic;
        draft.clear();
        if (group != null) {
            draft.addGroup(group);
        }
    }

    FallbackInstructionBuilder register(Register register, Access access) {
        return register(register, access, null, false);
    }

    /** A register operand with an AVX-512 write mask ({@code "zmm0 {k1} {z}"}); {@code mask} null or K0 means none. */
    FallbackInstructionBuilder register(Register register, Access access, Register mask, boolean zeroing) {
        separate().append(register.displayName());
        operands.add(new RegisterOperand(register, register.sizeBytes(), access));
        access(register, access);
        writeMask(mask, zeroing);
        return this;
    }

    /** A memory operand; {@code broadcast} is the element count of an EVEX broadcast, or 0. */
    FallbackInstructionBuilder memory(ModRm modrm, int sizeBytes, Access access, int broadcast) {
        separate().append(IntelText.sizeName(sizeBytes)).append(" ptr ").append(modrm.addressText());
        if (broadcast != 0) {
            text.append("{1to").append(broadcast).append('}');
        }
        operands.add(modrm.memoryOperand(sizeBytes, access));
        // address registers are read whatever the access, as Capstone's cs_regs_access reports them
        if (modrm.base() != null) {
            draft.addRead(modrm.base());
        }
        if (modrm.index() != null) {
            draft.addRead(modrm.index());
        }
        displacementOffset = modrm.displacementOffset();
        displacementSize = modrm.displacementSize();
        return this;
    }

    FallbackInstructionBuilder modrmAt(int offset) {
        modrmOffset = offset;
        return this;
    }

    FallbackInstructionBuilder immediate8(byte[] code, int start, int offset) {
        long value = code[start + offset] & 0xff;
        separate().append(IntelText.number(value));
        operands.add(new ImmediateOperand(value, 1));
        immediateOffset = offset;
        immediateSize = 1;
        return this;
    }

    /** An immediate byte that the mnemonic already spells out (vpcmp's predicate in "vpcmpeqb"). */
    FallbackInstructionBuilder immediateWithoutText(int offset) {
        immediateOffset = offset;
        immediateSize = 1;
        return this;
    }

    /** Registers an instruction uses without naming them. */
    FallbackInstructionBuilder implicit(Register register, Access access) {
        access(register, access);
        return this;
    }

    /** kortest and ktest set ZF and CF and clear OF, SF, AF and PF. */
    FallbackInstructionBuilder writesStatusFlags() {
        draft.flagsWritten = Flags.STATUS;
        draft.addWritten(Register.RFLAGS);
        return this;
    }

    Instruction build(byte[] code, int start, int length, long address) {
        Encoding encoding = (modrmOffset | displacementOffset | immediateOffset) == 0 ? Encoding.NONE
                : new Encoding(modrmOffset, displacementOffset, displacementSize, immediateOffset, immediateSize);
        return new Instruction(address, Arrays.copyOfRange(code, start, start + length), mnemonic, text.toString(),
                draft.groupSet(), operands, draft.registersReadSet(), draft.registersWrittenSet(), Flags.NONE,
                draft.flagsWritten, Flags.NONE, encoding, DecodedBy.FALLBACK);
    }

    private void access(Register register, Access access) {
        if (access.reads()) {
            draft.addRead(register);
        }
        if (access.writes()) {
            draft.addWritten(register);
        }
    }

    private void writeMask(Register mask, boolean zeroing) {
        if (mask != null && mask != Register.K0) {
            text.append(" {").append(mask.displayName()).append('}');
            draft.addRead(mask);
        }
        if (zeroing) {
            text.append(" {z}");
        }
    }

    private StringBuilder separate() {
        return text.isEmpty() ? text : text.append(", ");
    }
}
