package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.machine.x86.decode.Flags;
import dev.tracedb.machine.x86.decode.ImmediateOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.store.Terminator;
import java.util.List;

/**
 * Pairs of guards where the second decides the first. lua5.4's arithmetic handlers test an
 * operand's type twice: {@code cmp sil, 3; je int_path} (not taken on the recorded path), then
 * {@code lea rcx, [r13 + 4]; cmp sil, 0x13; jne other} (the recorded path: a float). Once
 * {@code sil == 0x13} holds, {@code sil != 3} holds too, so the trace's path needs only the second
 * compare, made first:
 * <pre>
 *   cmp sil, 0x13 ; jne stub      ; stub: cmp sil, 3; je int_path; lea rcx, [r13 + 4];
 *   lea rcx, [r13 + 4]            ;       cmp sil, 0x13; jmp other   (the original order)
 * </pre>
 * The stub runs the original code of both guards, so each exit is taken exactly where and with
 * the registers and flags the original has. A pair is merged when
 * <ul>
 * <li>block i ends in {@code cmp R, a} and a conditional branch whose recorded direction means
 *     {@code R != a}, and the path goes on to block i + 1, which ends in {@code cmp R, b} (the same
 *     register and width, {@code b != a}) and a conditional branch whose recorded direction means
 *     {@code R == b};</li>
 * <li>block i + 1's other instructions neither write R nor read or write a status flag (so the
 *     flags after the early compare are the ones the second compare leaves, and the first
 *     compare's flags were read by nothing but its branch);</li>
 * <li>neither guard was left out as decided ({@link RedundantGuards}), neither branch is a
 *     {@code loop}/{@code jrcxz}, and block i + 1 holds no specialised dispatch load.</li>
 * </ul>
 * Stateless after construction; not thread-safe only because nothing here needs to be.
 */
final class ImpliedGuards {
    private final boolean[] first;

    /**
     * @param blocks     the trace's blocks
     * @param nexts      per block, the address the path goes on to
     * @param redundant  the guards left out as decided
     * @param dispatches the trace's specialised dispatches
     */
    ImpliedGuards(List<DecodedBlock> blocks, List<CodeAddress> nexts, RedundantGuards redundant,
                  DispatchSpecialiser dispatches) {
        first = new boolean[blocks.size()];
        for (int i = 0; i + 1 < blocks.size(); i++) {
            if (i > 0 && first[i - 1]) continue; // block i is already the second of a pair
            DecodedBlock a = blocks.get(i);
            DecodedBlock b = blocks.get(i + 1);
            if (BranchForms.terminatorOf(a) != Terminator.CONDITIONAL || BranchForms.terminatorOf(b) != Terminator.CONDITIONAL
                    || redundant.redundant(i) || redundant.redundant(i + 1) || dispatches.planForLoad(i + 1) != null
                    || a.body().isEmpty() || b.body().isEmpty()
                    || !DispatchSpecialiser.isJcc(a.last()) || !DispatchSpecialiser.isJcc(b.last())) {
                continue;
            }
            Instruction cmpA = a.body().get(a.body().size() - 1);
            Instruction cmpB = b.body().get(b.body().size() - 1);
            RegisterOperand r = compared(cmpA);
            RegisterOperand s = compared(cmpB);
            if (r == null || s == null || r.register() != s.register() || r.sizeBytes() != s.sizeBytes()
                    || immediate(cmpA) == immediate(cmpB)) {
                continue;
            }
            if (held(a, nexts.get(i)) != Condition.NE || held(b, nexts.get(i + 1)) != Condition.E) continue;
            boolean clean = true;
            List<Instruction> between = b.body().subList(0, b.body().size() - 1);
            for (Instruction insn : between) {
                if (insn.flagsRead().containsAny(Flags.STATUS)
                        || insn.flagsWritten().containsAny(Flags.STATUS)
                        || insn.registersWritten().stream().anyMatch(w -> w.full() == r.register().full())) {
                    clean = false;
                    break;
                }
            }
            if (clean) first[i] = true;
        }
    }

    /** Whether block {@code index}'s guard is the first of a merged pair (block index + 1's the second). */
    boolean first(int index) {
        return first[index];
    }

    /** Whether block {@code index}'s guard is the second of a merged pair. */
    boolean second(int index) {
        return index > 0 && first[index - 1];
    }

    /** The register of a {@code cmp reg, imm} of a general register; null otherwise. */
    private static RegisterOperand compared(Instruction insn) {
        if (!insn.mnemonic().equals("cmp") || insn.operands().size() != 2
                || !(insn.operands().get(0) instanceof RegisterOperand r)
                || r.register().kind() != Register.Kind.GENERAL_PURPOSE
                || !(insn.operands().get(1) instanceof ImmediateOperand)) {
            return null;
        }
        return r;
    }

    /** The compared immediate, at the register's width. */
    private static long immediate(Instruction cmp) {
        long value = ((ImmediateOperand) cmp.operands().get(1)).value();
        int bits = 8 * ((RegisterOperand) cmp.operands().get(0)).sizeBytes();
        return bits == 64 ? value : value & ((1L << bits) - 1);
    }

    /** The condition that held on the recorded path at the block's conditional branch. */
    private static Condition held(DecodedBlock block, CodeAddress next) {
        Instruction jcc = block.last();
        long taken = jcc.directTarget().orElseThrow();
        boolean followsTaken = next.offset() == taken && next.offset() != jcc.nextAddress();
        Condition cc = BranchForms.condition(jcc);
        return followsTaken ? cc : cc.negate();
    }
}
