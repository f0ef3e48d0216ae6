package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Register writes that the trace's own path never reads, moved into the side exits that may still
 * need them. lua5.4's dispatch computes {@code lea rcx, [rbx + 0x40]} for the handlers that want
 * it, and most handlers overwrite rcx ({@code lea rcx, [r13 + 4]}) after a type check or two:
 * on the trace's path the {@code lea} is dead, but a type check's side exit goes to original code
 * that may read rcx. So the {@code lea} is left out of the path and copied into the out-of-line
 * stubs of those exits, before their jump.
 *
 * <p>An instruction is sunk when
 * <ul>
 * <li>it is a {@code lea} or a register-to-register {@code mov} into a 32- or 64-bit register D
 *     (no flags, no memory: it can run anywhere later with the same result);</li>
 * <li>on the path after it, D is overwritten as a whole before anything reads it, none of its
 *     source registers is written before that, and the only ways out of the trace in between
 *     are conditional branches' side exits (a dispatch whose jump needs no guard,
 *     {@link DispatchSpecialiser}, is passed; its index guard's exit is not: the scan stops
 *     there), each of which gets the copy;</li>
 * <li>no other sunk write and no dispatch register load shares one of those exits with a
 *     register the copy reads or writes (the order in a stub then does not matter).</li>
 * </ul>
 * Stateless after construction; not thread-safe only because nothing here needs to be.
 */
final class SunkWrites {
    private final boolean[][] sunk;
    private final List<List<Instruction>> atExit;

    /**
     * @param blocks     the trace's blocks
     * @param loops      whether the trace jumps back to its start after its last block
     * @param dispatches the trace's specialised dispatches (their loads are not sunk, their jumps passed)
     */
    SunkWrites(List<DecodedBlock> blocks, boolean loops, DispatchSpecialiser dispatches) {
        sunk = new boolean[blocks.size()][];
        atExit = new ArrayList<>();
        List<Set<Register>> touchedAtExit = new ArrayList<>();
        for (int b = 0; b < blocks.size(); b++) {
            sunk[b] = new boolean[blocks.get(b).body().size()];
            atExit.add(new ArrayList<>());
            Set<Register> touched = EnumSet.noneOf(Register.class);
            DispatchSpecialiser.Plan exitPlan = dispatches.planForExit(b);
            if (exitPlan != null) touched.add(Register.valueOf(exitPlan.register().name()));
            touchedAtExit.add(touched);
        }
        for (int b = 0; b < blocks.size(); b++) {
            List<Instruction> body = blocks.get(b).body();
            DispatchSpecialiser.Plan load = dispatches.planForLoad(b);
            for (int j = 0; j < body.size(); j++) {
                if (load != null && load.loadIndex() == j) continue;
                Instruction insn = body.get(j);
                Register d = destination(insn);
                if (d == null) continue;
                Set<Register> sources = sources(insn);
                List<Integer> exits = exitsWhileLive(blocks, loops, dispatches, b, j, d, sources);
                if (exits == null) continue;
                Set<Register> mine = EnumSet.copyOf(sources);
                mine.add(d);
                if (exits.stream().anyMatch(e -> touchedAtExit.get(e).stream().anyMatch(mine::contains))) continue;
                sunk[b][j] = true;
                for (int e : exits) {
                    atExit.get(e).add(insn);
                    touchedAtExit.get(e).addAll(mine);
                }
            }
        }
    }

    /** Whether body instruction {@code position} of block {@code block} is left out of the path. */
    boolean isSunk(int block, int position) {
        return sunk[block][position];
    }

    /** The sunk instructions block {@code block}'s conditional side exit runs before it jumps. */
    List<Instruction> atExit(int block) {
        return atExit.get(block);
    }

    /** D of a {@code lea D, [...]} (no rip, no segment) or {@code mov D, S} with 32/64-bit registers; else null. */
    private static Register destination(Instruction insn) {
        String m = insn.mnemonic();
        if (!m.equals("lea") && !m.equals("mov") || insn.operands().size() != 2) return null;
        if (!(insn.operands().get(0) instanceof RegisterOperand d) || d.sizeBytes() < 4
                || d.register().kind() != Register.Kind.GENERAL_PURPOSE || d.register().full() == Register.RSP) {
            return null;
        }
        Operand src = insn.operands().get(1);
        if (m.equals("mov")) {
            if (!(src instanceof RegisterOperand s) || s.register().kind() != Register.Kind.GENERAL_PURPOSE) return null;
        } else if (!(src instanceof MemoryOperand mem) || mem.isRipRelative() || mem.segment().isPresent()) {
            return null;
        }
        return d.register().full();
    }

    private static Set<Register> sources(Instruction insn) {
        Set<Register> sources = EnumSet.noneOf(Register.class);
        Operand src = insn.operands().get(1);
        if (src instanceof RegisterOperand s) {
            sources.add(s.register().full());
        } else if (src instanceof MemoryOperand mem) {
            mem.base().ifPresent(r -> sources.add(r.full()));
            mem.index().ifPresent(r -> sources.add(r.full()));
        }
        return sources;
    }

    /**
     * The blocks whose conditional exits are passed while D is live, when D is overwritten whole on
     * the path with the conditions above; null otherwise.
     */
    private static List<Integer> exitsWhileLive(List<DecodedBlock> blocks, boolean loops, DispatchSpecialiser dispatches,
                                                int block, int position, Register d, Set<Register> sources) {
        List<Integer> exits = new ArrayList<>();
        int b = block;
        int from = position + 1;
        for (int visited = 0; visited <= blocks.size(); visited++) {
            DecodedBlock db = blocks.get(b);
            List<Instruction> body = db.body();
            DispatchSpecialiser.Plan load = dispatches.planForLoad(b);
            for (int k = from; k < body.size(); k++) {
                if (b == block && k == position && visited > 0) return null; // around the loop to itself
                if (load != null && load.loadIndex() == k) return null;  // the index guard exits here
                Instruction insn = body.get(k);
                if (DispatchSpecialiser.zeroes(insn, d)) return exits;
                if (DispatchSpecialiser.reads(insn, d)) return null;
                boolean overwrites = DispatchSpecialiser.overwritesWhole(insn, d);
                if (insn.registersWritten().stream().anyMatch(r -> sources.contains(r.full()))) return null;
                if (overwrites) return exits;
                if (insn.registersWritten().stream().anyMatch(r -> r.full() == d)) return null; // partial write
            }
            Instruction last = db.last();
            Terminator kind = BranchForms.terminatorOf(db);
            if (last.endsBlock()) {
                if (DispatchSpecialiser.reads(last, d) && kind != Terminator.INDIRECT_JUMP) return null;
                switch (kind) {
                    case JUMP -> { }
                    case CONDITIONAL -> {
                        if (!DispatchSpecialiser.isJcc(last)) return null;
                        exits.add(b);
                    }
                    case INDIRECT_JUMP -> {
                        if (dispatches.planForJump(b) == null) return null;
                        if (DispatchSpecialiser.reads(last, d)) return null;
                    }
                    default -> {
                        return null;
                    }
                }
            }
            b++;
            from = 0;
            if (b == blocks.size()) {
                if (!loops) return null;
                b = 0;
            }
        }
        return null;
    }
}
