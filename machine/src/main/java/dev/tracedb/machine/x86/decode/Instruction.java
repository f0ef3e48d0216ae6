package dev.tracedb.machine.x86.decode;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One decoded x86-64 instruction; immutable.
 *
 * @param address          where the instruction is
 * @param bytes            its machine code (the accessor returns a copy; see {@link #byteAt})
 * @param mnemonic         Intel-syntax mnemonic including prefixes, e.g. {@code "rep movsq"}
 * @param operandText      Intel-syntax operands, e.g. {@code "qword ptr [rip + 0x10]"}; may be empty
 * @param groups           the groups it belongs to
 * @param operands         its explicit operands, destination first
 * @param registersRead    registers read, explicitly or implicitly (e.g. RSP by {@code push})
 * @param registersWritten registers written, explicitly or implicitly
 * @param flagsRead        flags whose value before the instruction matters
 * @param flagsWritten     flags the instruction may change (set, cleared, computed or left undefined)
 * @param flagsUndefined   the subset of {@code flagsWritten} left undefined
 * @param encoding         where displacement and immediate sit in {@code bytes}
 * @param decodedBy        Capstone, or our fallback for what Capstone 4.0.2 cannot decode
 */
public record Instruction(long address, byte[] bytes, String mnemonic, String operandText,
                          Set<InstructionGroup> groups, List<Operand> operands,
                          Set<Register> registersRead, Set<Register> registersWritten,
                          Flags flagsRead, Flags flagsWritten, Flags flagsUndefined, Encoding encoding,
                          DecodedBy decodedBy) {

    /** The longest instruction the CPU accepts; decoding never needs more bytes than this. */
    public static final int MAX_LENGTH = 15;

    public Instruction {
        Objects.requireNonNull(mnemonic, "mnemonic");
        Objects.requireNonNull(operandText, "operandText");
        Objects.requireNonNull(flagsRead, "flagsRead");
        Objects.requireNonNull(flagsWritten, "flagsWritten");
        Objects.requireNonNull(flagsUndefined, "flagsUndefined");
        Objects.requireNonNull(encoding, "encoding");
        Objects.requireNonNull(decodedBy, "decodedBy");
        if (bytes.length == 0 || bytes.length > MAX_LENGTH) {
            throw new IllegalArgumentException("an x86 instruction has 1 to 15 bytes, not " + bytes.length);
        }
        bytes = bytes.clone();
        groups = EnumBitSet.copyOf(groups, InstructionGroup.class);
        operands = List.copyOf(operands);
        registersRead = EnumBitSet.copyOf(registersRead, Register.class);
        registersWritten = EnumBitSet.copyOf(registersWritten, Register.class);
    }

    /** An instruction decoded by Capstone. */
    public Instruction(long address, byte[] bytes, String mnemonic, String operandText,
                       Set<InstructionGroup> groups, List<Operand> operands,
                       Set<Register> registersRead, Set<Register> registersWritten,
                       Flags flagsRead, Flags flagsWritten, Flags flagsUndefined, Encoding encoding) {
        this(address, bytes, mnemonic, operandText, groups, operands, registersRead, registersWritten, flagsRead,
                flagsWritten, flagsUndefined, encoding, DecodedBy.CAPSTONE);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public byte byteAt(int index) {
        return bytes[index];
    }

    public int length() {
        return bytes.length;
    }

    /** The address right after this instruction (where it falls through to). */
    public long nextAddress() {
        return address + bytes.length;
    }

    public boolean is(InstructionGroup group) {
        return groups.contains(group);
    }

    /** Whether this instruction ends a basic block: a jump, call, return, interrupt, system call or trap. */
    public boolean endsBlock() {
        for (InstructionGroup group : groups) {
            if (group.endsBlock()) {
                return true;
            }
        }
        return false;
    }

    /** The target of a direct (relative) jump or call; empty for indirect branches and everything else. */
    public OptionalLong directTarget() {
        if (is(InstructionGroup.BRANCH_RELATIVE) && !operands.isEmpty()
                && operands.get(0) instanceof ImmediateOperand immediate) {
            return OptionalLong.of(immediate.value());
        }
        return OptionalLong.empty();
    }

    /** The memory operand addressed relative to RIP, if any (x86-64 allows at most one). */
    public Optional<MemoryOperand> ripRelativeOperand() {
        for (Operand operand : operands) {
            if (operand instanceof MemoryOperand memory && memory.isRipRelative()) {
                return Optional.of(memory);
            }
        }
        return Optional.empty();
    }

    /** The absolute address a RIP-relative operand refers to: next instruction + displacement. */
    public OptionalLong ripRelativeTarget() {
        Optional<MemoryOperand> memory = ripRelativeOperand();
        return memory.isPresent() ? OptionalLong.of(nextAddress() + memory.get().displacement()) : OptionalLong.empty();
    }

    /** Intel syntax, e.g. {@code "add rcx, 1"}. */
    public String text() {
        return operandText.isEmpty() ? mnemonic : mnemonic + " " + operandText;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Instruction other
                && address == other.address
                && Arrays.equals(bytes, other.bytes)
                && mnemonic.equals(other.mnemonic)
                && operandText.equals(other.operandText)
                && groups.equals(other.groups)
                && operands.equals(other.operands)
                && registersRead.equals(other.registersRead)
                && registersWritten.equals(other.registersWritten)
                && flagsRead.equals(other.flagsRead)
                && flagsWritten.equals(other.flagsWritten)
                && flagsUndefined.equals(other.flagsUndefined)
                && encoding.equals(other.encoding)
                && decodedBy == other.decodedBy;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(address) * 31 + Arrays.hashCode(bytes);
    }

    /** E.g. {@code "0x1000: 48 83 c1 01  add rcx, 1"}. */
    @Override
    public String toString() {
        return String.format("0x%x: %s  %s", address, HexFormat.ofDelimiter(" ").formatHex(bytes), text());
    }
}
