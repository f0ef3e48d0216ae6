package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.decode.Flags;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The conditional branches of a trace that an earlier guard of the same pass has already decided,
 * so that neither the branch nor the compare before it needs to run.
 *
 * <p>An interpreter tests the same register at every dispatch (lua5.4's {@code test r8d, r8d;
 * jne}: the hook flag {@code trap}, in a register for the whole loop): once a trace's guard on it
 * went the recorded way, the same compare of the same registers goes the same way again as long as
 * none of them was written in between, and the trace would have left at the first guard otherwise.
 * A block's guard is redundant when
 * <ul>
 * <li>its flag writer, the instruction right before the branch, has the same bytes as that of an
 *     earlier guard of this pass, reads registers only (no memory: memory may change), and the
 *     condition that held on the recorded path is the same (lua5.4's handlers repeat the shared
 *     dispatch's {@code test r8d, r8d; jne} as {@code test r8d, r8d; je} to the dispatch);</li>
 * <li>no instruction between the two writes any of those registers (in any width), and the only
 *     transfers between them are direct jumps, conditional branches and indirect jumps (their
 *     guards leave every register as it was); a call or a return forgets everything;</li>
 * <li>the status flags are dead after the branch ({@link FlagsLiveness}), since dropping the compare
 *     leaves other values in them.</li>
 * </ul>
 * The scan runs once from the trace's start: entries from outside know nothing, and a loop trace's
 * back edge reaches the start too, so nothing is carried around it. Stateless after construction;
 * not thread-safe only because nothing here needs to be.
 */
final class RedundantGuards {
    private final boolean[] redundant;

    /**
     * A guard that went the recorded way: its flag writer, the condition that held on the path (the
     * branch's own where the path followed the taken edge, its negation where it fell through: a
     * {@code je} taken and a {@code jne} not taken after the same compare decide the same), and
     * the registers the compare read.
     */
    private record Decided(List<Byte> writer, Condition held, Set<Register> reads) {
    }

    /**
     * @param blocks   the trace's blocks
     * @param nexts    per block, the address the path goes on to (the next block, or the continuation)
     * @param liveness flags liveness of the same blocks
     */
    RedundantGuards(List<DecodedBlock> blocks, List<CodeAddress> nexts, FlagsLiveness liveness) {
        redundant = new boolean[blocks.size()];
        List<Decided> decided = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            DecodedBlock block = blocks.get(i);
            List<Instruction> body = block.body();
            Terminator kind = BranchForms.terminatorOf(block);
            Instruction writer = kind == Terminator.CONDITIONAL && !body.isEmpty() ? body.get(body.size() - 1) : null;
            for (Instruction insn : body) {
                forgetWritten(decided, insn);
            }
            switch (kind) {
                case FALL_THROUGH, JUMP, INDIRECT_JUMP -> forgetWritten(decided, block.last());
                case CONDITIONAL -> { }
                default -> decided.clear();
            }
            if (writer == null || !registersOnly(writer) || !isJcc(block.last())) continue;
            Instruction jcc = block.last();
            long taken = jcc.directTarget().orElseThrow();
            CodeAddress next = nexts.get(i);
            boolean followsTaken = next.offset() == taken && next.offset() != jcc.nextAddress();
            Condition condition = BranchForms.condition(jcc);
            Decided guard = new Decided(bytes(writer), followsTaken ? condition : condition.negate(),
                    full(writer.registersRead()));
            if (decided.contains(guard) && !liveness.liveAfter(i)) {
                redundant[i] = true;
            } else if (!decided.contains(guard)) {
                decided.add(guard);
            }
        }
    }

    /** Whether block {@code index}'s flag writer and conditional branch can be left out. */
    boolean redundant(int index) {
        return redundant[index];
    }

    private static void forgetWritten(List<Decided> decided, Instruction insn) {
        Set<Register> written = full(insn.registersWritten());
        decided.removeIf(d -> d.reads().stream().anyMatch(written::contains));
    }

    /** A compare of registers and immediates that writes the flags the branch reads and nothing else. */
    private static boolean registersOnly(Instruction insn) {
        return insn.operands().stream().noneMatch(o -> o instanceof MemoryOperand)
                && insn.registersWritten().stream().allMatch(r -> r.full() == Register.RFLAGS || r.full() == Register.RIP)
                && FlagsLiveness.overwritesAll(insn)
                && (insn.flagsWritten().mask() & Flags.STATUS.mask()) == Flags.STATUS.mask();
    }

    private static boolean isJcc(Instruction branch) {
        int opcode = branch.bytes()[BranchForms.opcodeIndex(branch.bytes())] & 0xff;
        return opcode < 0xe0 || opcode > 0xe3; // not loop/loope/loopne/jrcxz
    }

    private static Set<Register> full(Set<Register> registers) {
        Set<Register> full = EnumSet.noneOf(Register.class);
        for (Register r : registers) full.add(r.full());
        return full;
    }

    private static List<Byte> bytes(Instruction insn) {
        Byte[] boxed = new Byte[insn.length()];
        for (int i = 0; i < boxed.length; i++) boxed[i] = insn.byteAt(i);
        return Arrays.asList(boxed);
    }
}
