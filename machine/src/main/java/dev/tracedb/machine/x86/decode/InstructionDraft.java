package dev.tracedb.machine.x86.decode;

import java.util.EnumSet;

/**
 * The mutable parts of an instruction while it is read from Capstone and corrected; reused for
 * every instruction by one decoder, hence as confined to that decoder's thread as the decoder.
 */
final class InstructionDraft {
    final EnumSet<InstructionGroup> groups = EnumSet.noneOf(InstructionGroup.class);
    final EnumSet<Register> registersRead = EnumSet.noneOf(Register.class);
    final EnumSet<Register> registersWritten = EnumSet.noneOf(Register.class);
    String mnemonic;
    long eflags;
    Flags flagsRead = Flags.NONE;
    Flags flagsWritten = Flags.NONE;
    Flags flagsUndefined = Flags.NONE;

    void clear() {
        groups.clear();
        registersRead.clear();
        registersWritten.clear();
        mnemonic = null;
        eflags = 0;
        flagsRead = Flags.NONE;
        flagsWritten = Flags.NONE;
        flagsUndefined = Flags.NONE;
    }

    /** The mnemonic without prefixes: "jmp" for "notrack jmp", "movsq" for "rep movsq". */
    String baseMnemonic() {
        int space = mnemonic.lastIndexOf(' ');
        return space < 0 ? mnemonic : mnemonic.substring(space + 1);
    }
}
