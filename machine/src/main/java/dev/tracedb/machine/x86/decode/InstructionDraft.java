package dev.tracedb.machine.x86.decode;

import java.util.Set;

/**
 * The mutable parts of an instruction while it is read from Capstone and corrected; reused for
 * every instruction by one decoder, hence as confined to that decoder's thread as the decoder.
 * Sets are bit words (bit i = ordinal i) because iterating EnumSets was the decoder's hottest
 * Java code.
 */
final class InstructionDraft {
    private static final InstructionGroup[] GROUPS = InstructionGroup.values();
    private static final Register[] REGISTERS = Register.values();
    private static final int REGISTER_WORDS = (REGISTERS.length + 63) >>> 6;

    // null in drafts made for one instruction (the fallback's); then every set is a fresh copy
    private final BitSetCache<InstructionGroup> groupSets;
    private final BitSetCache<Register> registerSets;
    private final long[] groupWord = new long[1];
    private long groups;
    private final long[] registersRead = new long[REGISTER_WORDS];
    private final long[] registersWritten = new long[REGISTER_WORDS];
    String mnemonic;
    long eflags;
    Flags flagsRead = Flags.NONE;
    Flags flagsWritten = Flags.NONE;
    Flags flagsUndefined = Flags.NONE;

    /** A draft for one instruction. */
    InstructionDraft() {
        this(null, null);
    }

    private InstructionDraft(BitSetCache<InstructionGroup> groupSets, BitSetCache<Register> registerSets) {
        this.groupSets = groupSets;
        this.registerSets = registerSets;
    }

    /** A draft reused for many instructions, which shares equal sets between them. */
    static InstructionDraft reused() {
        return new InstructionDraft(new BitSetCache<>(GROUPS, 256), new BitSetCache<>(REGISTERS, 1024));
    }

    void clear() {
        groups = 0;
        clearRegisters();
        mnemonic = null;
        eflags = 0;
        flagsRead = Flags.NONE;
        flagsWritten = Flags.NONE;
        flagsUndefined = Flags.NONE;
    }

    void clearRegisters() {
        java.util.Arrays.fill(registersRead, 0);
        java.util.Arrays.fill(registersWritten, 0);
    }

    void addGroup(InstructionGroup group) {
        groups |= 1L << group.ordinal();
    }

    boolean hasGroup(InstructionGroup group) {
        return (groups & (1L << group.ordinal())) != 0;
    }

    void addRead(Register register) {
        registersRead[register.ordinal() >>> 6] |= 1L << register.ordinal();
    }

    void addWritten(Register register) {
        registersWritten[register.ordinal() >>> 6] |= 1L << register.ordinal();
    }

    boolean reads(Register register) {
        return (registersRead[register.ordinal() >>> 6] & (1L << register.ordinal())) != 0;
    }

    boolean writes(Register register) {
        return (registersWritten[register.ordinal() >>> 6] & (1L << register.ordinal())) != 0;
    }

    Set<InstructionGroup> groupSet() {
        groupWord[0] = groups;
        return groupSets == null ? EnumBitSet.ofWords(GROUPS, groupWord.clone()) : groupSets.get(groupWord);
    }

    Set<Register> registersReadSet() {
        return registerSet(registersRead);
    }

    Set<Register> registersWrittenSet() {
        return registerSet(registersWritten);
    }

    private Set<Register> registerSet(long[] words) {
        return registerSets == null ? EnumBitSet.ofWords(REGISTERS, words.clone()) : registerSets.get(words);
    }

    /** The mnemonic without prefixes: "jmp" for "notrack jmp", "movsq" for "rep movsq". */
    String baseMnemonic() {
        int space = mnemonic.lastIndexOf(' ');
        return space < 0 ? mnemonic : mnemonic.substring(space + 1);
    }
}
