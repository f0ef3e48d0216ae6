package dev.tracedb.store;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.InstructionGroup;

/**
 * Maps the instruction that ends a block to the {@link Terminator} the log records: the one rule
 * shared by the recorder (when it defines a block), {@code tracedb verify} (when it checks the log
 * against the block's bytes) and the compiler (when it checks a path against its blocks).
 */
public final class Terminators {

    private Terminators() {}

    /**
     * The terminator of a block whose last instruction is {@code last}; {@code complete} is false
     * for a block cut short before its control transfer (a prefix, or an instruction limit), which
     * is {@link Terminator#FALL_THROUGH} whatever its last instruction is.
     */
    public static Terminator of(Instruction last, boolean complete) {
        if (!complete || !last.endsBlock()) {
            return Terminator.FALL_THROUGH;
        }
        if (last.is(InstructionGroup.SYSCALL) || isInt80(last)) {
            return Terminator.SYSCALL;
        }
        if (last.is(InstructionGroup.RET)) {
            return Terminator.RETURN;
        }
        if (last.is(InstructionGroup.CALL)) {
            return last.directTarget().isPresent() ? Terminator.CALL : Terminator.INDIRECT_CALL;
        }
        if (last.is(InstructionGroup.JUMP) || last.is(InstructionGroup.BRANCH_RELATIVE)) {
            if (last.is(InstructionGroup.CONDITIONAL)) {
                return Terminator.CONDITIONAL;
            }
            return last.directTarget().isPresent() ? Terminator.JUMP : Terminator.INDIRECT_JUMP;
        }
        // int3, int n, iret, ud2, hlt: they leave the block only through the kernel.
        return Terminator.OTHER;
    }

    private static boolean isInt80(Instruction insn) {
        return insn.length() == 2 && (insn.byteAt(0) & 0xff) == 0xcd && (insn.byteAt(1) & 0xff) == 0x80;
    }

    /**
     * True for a {@code rep}/{@code repe}/{@code repne}-prefixed string instruction, which
     * single-step executes one iteration at a time at the same address. Control transfers with
     * such a prefix ({@code rep ret}, {@code bnd jmp}) are not repeated.
     */
    public static boolean isRepeatedString(Instruction insn) {
        return insn.mnemonic().startsWith("rep") && !insn.endsBlock();
    }
}
