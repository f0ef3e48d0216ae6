package dev.tracedb.machine.x86.decode;

/**
 * Fills the gaps in what Capstone 4.0.2 reports, each checked by a golden test, and derives the
 * groups that are ours ({@link InstructionGroup#CONDITIONAL}, {@link InstructionGroup#SYSCALL},
 * {@link InstructionGroup#TRAP}). A translator trusts these facts to decide what it may clobber,
 * so every correction errs towards "reads/writes more".
 */
final class CapstoneCorrections {
    private static final Flags CF = Flags.of(Flag.CF);
    private static final Flags OF = Flags.of(Flag.OF);
    private static final Flags ZF = Flags.of(Flag.ZF);
    private static final Flags LAHF_READS = Flags.of(Flag.SF, Flag.ZF, Flag.AF, Flag.PF, Flag.CF);
    private static final Flags FCMOV_READS = Flags.of(Flag.CF, Flag.ZF, Flag.PF);

    private CapstoneCorrections() {
    }

    /** Sets the flags from {@code draft.eflags} and the groups and registers read so far, then corrects them. */
    static void apply(InstructionDraft draft) {
        String base = draft.baseMnemonic();
        if (draft.hasGroup(InstructionGroup.FPU)) {
            fpuFlags(draft, base);
        } else {
            draft.flagsRead = EflagsBits.read(draft.eflags);
            draft.flagsWritten = EflagsBits.written(draft.eflags);
            draft.flagsUndefined = EflagsBits.undefined(draft.eflags);
        }
        // loop, loope, loopne: Capstone gives only BRANCH_RELATIVE, and no flags for loope/loopne
        if (base.startsWith("loop")) {
            draft.addGroup(InstructionGroup.JUMP);
            draft.addGroup(InstructionGroup.CONDITIONAL);
            if (!base.equals("loop")) {
                draft.flagsRead = draft.flagsRead.union(ZF);
                draft.addRead(Register.RFLAGS);
            }
        }
        if (draft.hasGroup(InstructionGroup.JUMP) && base.startsWith("j") && !base.equals("jmp")) {
            draft.addGroup(InstructionGroup.CONDITIONAL);
        }
        switch (base) {
            // syscall saves RIP in RCX and RFLAGS in R11; Capstone lists no registers at all
            case "syscall" -> {
                draft.addGroup(InstructionGroup.SYSCALL);
                draft.addWritten(Register.RCX);
                draft.addWritten(Register.R11);
            }
            case "sysenter" -> draft.addGroup(InstructionGroup.SYSCALL);
            case "ud0", "ud1", "ud2", "hlt" -> draft.addGroup(InstructionGroup.TRAP);
            // Capstone 4.0.2 omits the carry these read (and for rcl/rcr even RFLAGS as a register)
            case "adc", "sbb", "rcl", "rcr", "cmc", "adcx" -> reads(draft, CF);
            case "adox" -> reads(draft, OF);
            case "lahf" -> reads(draft, LAHF_READS);
            case "pushf", "pushfq" -> reads(draft, Flags.ALL);
            // Capstone 4.0.2 knows the AVX512F word forms of these (the others are the fallback's)
            // but reports no flags: they set ZF and CF and clear OF, SF, AF and PF
            case "kortestw", "ktestw" -> {
                draft.flagsWritten = Flags.STATUS;
                draft.addWritten(Register.RFLAGS);
            }
            default -> {
            }
        }
        // Whatever else Capstone reports as touching RFLAGS without naming flags touches them all.
        if (draft.flagsRead.isEmpty() && draft.reads(Register.RFLAGS)) {
            draft.flagsRead = Flags.ALL;
        }
        if (draft.flagsWritten.isEmpty() && draft.writes(Register.RFLAGS)) {
            draft.flagsWritten = Flags.ALL;
        }
    }

    private static void reads(InstructionDraft draft, Flags flags) {
        draft.flagsRead = draft.flagsRead.union(flags);
        draft.addRead(Register.RFLAGS);
    }

    /**
     * For x87 instructions Capstone stores x87 condition-code bits in the same field as EFLAGS bits
     * (a C union), so the field cannot be trusted. fcomi/fucomi(p) write ZF PF CF and clear OF SF
     * AF, and Capstone does list RFLAGS as written for them; fcmovcc read CF ZF PF, which Capstone
     * omits from the registers read.
     */
    private static void fpuFlags(InstructionDraft draft, String base) {
        if (draft.writes(Register.RFLAGS)) {
            draft.flagsWritten = Flags.STATUS;
        }
        if (base.startsWith("fcmov")) {
            draft.flagsRead = FCMOV_READS;
            draft.addRead(Register.RFLAGS);
        }
    }
}
