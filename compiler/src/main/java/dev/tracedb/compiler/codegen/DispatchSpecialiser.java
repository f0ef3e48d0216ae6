package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.machine.x86.decode.Flags;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which of a trace's table dispatches can guard the table <em>index</em> instead of the loaded
 * target. lua5.4's dispatch is
 * <pre>
 *   and  eax, 0x7f
 *   mov  rax, [r14 + rax*8]     ; the load: disptab[opcode]
 *   shl  rbx, 4 ; add rbx, r10 ; lea rcx, [rbx + 0x40]
 *   jmp  rax                    ; in a trace: cmp rax, [rip+slot T]; jne …
 * </pre>
 * and, when the table is read-only and its slot for the recorded target {@code T} is index
 * {@code K} ({@link DispatchTables}), becomes
 * <pre>
 *   and  eax, 0x7f
 *   cmp  rax, K ; jne stub      ; stub: mov rax, [r14 + rax*8]; jmp (original code after the load)
 *   [cmp r14, [rip+slot table] ; jne stub]   ; the first such dispatch of a pass: the base is the table
 *   shl  rbx, 4 ; add rbx, r10 ; lea rcx, [rbx + 0x40]
 *                               ; no guard at the jump: index K of that table holds T
 * </pre>
 * two loads and an instruction fewer per dispatch. Exact only under these conditions, each
 * checked here:
 * <ul>
 * <li>the load is the last write of the jump's register in its block, {@code mov R, [B + I*8]}
 *     with 64-bit registers, no segment, and B neither R nor I;</li>
 * <li>after the load and before the jump, nothing reads R (it holds K, not T, on the match
 *     path), nothing touches memory (a fault there would show R), and an instruction that
 *     overwrites all status flags comes before any that reads one: so the flags of our compares
 *     are dead both on the match path and at the stub's exit to the original code after the
 *     load;</li>
 * <li>on the trace's path after the jump, R is overwritten as a whole (a 32- or 64-bit write)
 *     before anything reads it or may leave the trace other than by a conditional branch's side
 *     exit, and those exits load T into R ({@code mov R, [rip+slot T]}, out of line) before they
 *     jump: at no exit does the program see K where the original has T. A memory access in between may fault, but a fault inside a trace shows
 *     a trace address in rip already, so no handler sees the original state there anyway (lua5.4's
 *     handlers often read the stack, {@code mov rdi, [rsp+8]}, before they reuse rax);</li>
 * <li>B holds the table: checked at run time at the first specialised dispatch of each pass
 *     through the trace, and not again while no instruction writes B and no call or return
 *     intervenes (the same forgetting rule as {@link RedundantGuards}).</li>
 * </ul>
 * In a non-PIE executable the table may sit at an absolute address, {@code mov R, [I*8 + table]}
 * (python3.11's {@code opcode_targets} in {@code .rodata}): then there is no B to check, and
 * the table's slots are the file's own bytes ({@link DispatchTables#absoluteEntryFor}).
 * A mismatch (another opcode, or B not the table) loads R as the original does and goes on in the
 * original code right after the load, with every register the original's there. Stateless after
 * construction; not thread-safe only because nothing here needs to be.
 */
final class DispatchSpecialiser {
    /**
     * One specialised dispatch.
     *
     * @param loadBlock  the block holding the load: the jump's own, or the one before it when the
     *                   jump sits alone in a block that a direct jump or fall-through reaches
     *                   (gcc's shared {@code jmp rcx} block)
     * @param loadIndex  the load's position in that block's body
     * @param load       the load ({@code mov R, [B + I*8]}), which the mismatch stub runs
     * @param index      I, compared with {@code entry.index()}
     * @param base       B, checked against the table's run-time address when {@code checkBase}; null
     *                   for a table at an absolute address ({@code mov R, [I*8 + table]} in a
     *                   non-PIE executable, python3.11's {@code opcode_targets}), never checked
     * @param entry      the table and the index whose slot holds the recorded target
     * @param checkBase  whether this dispatch checks B (the pass has not checked it since B last changed)
     * @param restore    the flags as they are before the load, recomputed in the stub before the
     *                   load, where nothing between the load and the jump overwrites them; null
     *                   where something does
     * @param restoreOnMatch whether {@code restore} also runs after the compares on the match path
     *                   (the flags are read before the jump, or after it on the path)
     * @param register   R, which holds the index instead of the target after the jump
     * @param target     the recorded target's module offset, which R gets at the exits that
     *                   leave before the path overwrites R
     */
    record Plan(int loadBlock, int loadIndex, Instruction load, Gpr index, Gpr base, DispatchTables.Entry entry,
                boolean checkBase, FlagsRestore restore, boolean restoreOnMatch, Gpr register, long target) {
    }

    private final Plan[] byJump;
    private final Plan[] byLoadBlock;
    private final Plan[] byExit;

    /**
     * @param blocks   the trace's blocks
     * @param nexts    per block, the address the path goes on to
     * @param loops    whether the trace jumps back to its start after its last block
     * @param module   the trace's module index
     * @param tables   the module's read-only jump tables
     * @param liveness flags liveness of the same blocks
     */
    DispatchSpecialiser(List<DecodedBlock> blocks, List<CodeAddress> nexts, boolean loops, int module,
                        DispatchTables tables, FlagsLiveness liveness) {
        byJump = new Plan[blocks.size()];
        byLoadBlock = new Plan[blocks.size()];
        byExit = new Plan[blocks.size()];
        Candidate[] atLoad = new Candidate[blocks.size()];
        @SuppressWarnings("unchecked")
        List<Integer>[] exitsOf = new List[blocks.size()];
        for (int i = 0; i < blocks.size(); i++) {
            boolean guarded = BranchForms.terminatorOf(blocks.get(i)) == Terminator.INDIRECT_JUMP
                    && (i < blocks.size() - 1 || loops);
            CodeAddress next = nexts.get(i);
            if (!guarded || next.moduleIndex() != module) continue;
            Candidate c = candidate(blocks, i, liveness);
            List<Integer> exits = c == null ? null : deadAfterJump(blocks, i, loops, c.target());
            if (exits != null) {
                atLoad[c.loadBlock()] = c;
                exitsOf[i] = exits;
            }
        }
        Map<Register, Long> checked = new HashMap<>(); // base register -> table it was checked to hold
        for (int b = 0; b < blocks.size(); b++) {
            DecodedBlock block = blocks.get(b);
            List<Instruction> body = block.body();
            Candidate c = atLoad[b];
            for (int j = 0; j < body.size(); j++) {
                if (c != null && j == c.loadIndex()) {
                    Optional<DispatchTables.Entry> entry = c.base() == null
                            ? tables.absoluteEntryFor(c.displacement(), nexts.get(c.jump()).offset())
                            : tables.entryFor(c.base(), 8, c.displacement(), nexts.get(c.jump()).offset());
                    // two dispatches' registers to load at one exit: not handled
                    boolean exitsFree = exitsOf[c.jump()].stream().allMatch(e -> byExit[e] == null);
                    if (entry.isPresent() && exitsFree) {
                        long target = nexts.get(c.jump()).offset();
                        Long table = c.base() == null ? null : checked.get(c.base());
                        // an absolute table has no base register to check
                        boolean check = c.base() != null && (table == null || table != entry.get().tableOffset());
                        Plan plan = new Plan(b, j, body.get(j), gpr(c.index()),
                                c.base() == null ? null : gpr(c.base()), entry.get(), check,
                                c.restore(), c.restoreOnMatch(), gpr(c.target()), target);
                        byJump[c.jump()] = plan;
                        byLoadBlock[b] = plan;
                        exitsOf[c.jump()].forEach(e -> byExit[e] = plan);
                        if (c.base() != null) checked.put(c.base(), entry.get().tableOffset());
                    }
                }
                forgetWritten(checked, body.get(j));
            }
            switch (BranchForms.terminatorOf(block)) {
                case FALL_THROUGH, JUMP, CONDITIONAL, INDIRECT_JUMP -> forgetWritten(checked, block.last());
                default -> checked.clear();
            }
        }
    }

    /** The plan whose jump ends block {@code index} (no guard there), or null. */
    Plan planForJump(int index) {
        return byJump[index];
    }

    /** The plan whose load is in block {@code index} (the compares replace it), or null. */
    Plan planForLoad(int index) {
        return byLoadBlock[index];
    }

    /**
     * The plan whose register must get its target before block {@code index}'s conditional
     * branch leaves the trace (R is not overwritten yet there), or null.
     */
    Plan planForExit(int index) {
        return byExit[index];
    }

    /** A jump whose register comes from a table load of the right shape. */
    private record Candidate(int jump, int loadBlock, int loadIndex, Register target, Register base, Register index,
                             long displacement, FlagsRestore restore, boolean restoreOnMatch) {
    }

    private static Candidate candidate(List<DecodedBlock> blocks, int jumpBlock, FlagsLiveness liveness) {
        DecodedBlock block = blocks.get(jumpBlock);
        Instruction jmp = block.last();
        if (jmp.operands().size() != 1 || !(jmp.operands().get(0) instanceof RegisterOperand r)
                || r.sizeBytes() != 8 || !isGpr64(r.register()) || r.register() == Register.RSP) {
            return null;
        }
        Register target = r.register();
        int loadBlock = jumpBlock;
        if (block.body().isEmpty() && jumpBlock > 0) {
            Terminator before = BranchForms.terminatorOf(blocks.get(jumpBlock - 1));
            if (before == Terminator.JUMP || before == Terminator.FALL_THROUGH) {
                loadBlock = jumpBlock - 1;
            }
        }
        List<Instruction> body = blocks.get(loadBlock).body();
        int load = -1;
        for (int j = body.size() - 1; j >= 0; j--) {
            if (writes(body.get(j), target)) {
                load = j;
                break;
            }
        }
        if (load < 0) return null;
        Instruction insn = body.get(load);
        if (!insn.mnemonic().equals("mov") || insn.operands().size() != 2
                || !(insn.operands().get(0) instanceof RegisterOperand dst) || dst.register() != target
                || !(insn.operands().get(1) instanceof MemoryOperand m) || m.segment().isPresent()
                || m.isRipRelative() || m.index().isEmpty() || m.scale() != 8
                || m.sizeBytes() != 8) {
            return null;
        }
        Register base = m.base().orElse(null); // none: a table at an absolute address (non-PIE)
        Register index = m.index().get();
        if (!isGpr64(index) || (base != null && (!isGpr64(base) || base == Register.RSP || base == target
                || base == index))) {
            return null;
        }
        // Between the load and the jump: R not read, no memory touched, and the flags either
        // overwritten before any read, or not written at all (then recomputed at the load).
        boolean overwritten = false;
        boolean written = false;
        boolean read = false;
        for (int j = load + 1; j < body.size(); j++) {
            Instruction between = body.get(j);
            if (reads(between, target) || touchesMemory(between)) return null;
            if (!overwritten && FlagsLiveness.reads(between)) read = true;
            if (FlagsLiveness.overwritesAll(between) && !read) overwritten = true;
            written |= between.flagsWritten().containsAny(Flags.STATUS);
        }
        FlagsRestore restore = null;
        if (!overwritten) {
            if (written) return null;
            restore = FlagsRestore.beforeInstruction(blocks, loadBlock, load);
            if (restore == null) return null;
        }
        // On the match path only where the flags are read before the jump or after it.
        boolean restoreOnMatch = restore != null && (read || liveness.liveAfter(jumpBlock));
        return new Candidate(jumpBlock, loadBlock, load, target, base, index, m.displacement(), restore,
                restoreOnMatch);
    }

    /**
     * The blocks whose conditional branches may leave the trace while, on the path after block
     * {@code index}'s jump, {@code register} still holds the index instead of the target (their
     * exits load the target first), when the register is overwritten as a whole on that path
     * before anything reads it and before any other way out of the trace; null otherwise.
     */
    private static List<Integer> deadAfterJump(List<DecodedBlock> blocks, int index, boolean loops, Register register) {
        List<Integer> exits = new ArrayList<>();
        int b = index + 1;
        for (int visited = 0; visited < blocks.size(); visited++, b++) {
            if (b == blocks.size()) {
                if (!loops) return null;
                b = 0;
            }
            DecodedBlock block = blocks.get(b);
            for (Instruction insn : block.instructions()) {
                if (zeroes(insn, register)) return exits;
                if (reads(insn, register)) return null;
                if (overwritesWhole(insn, register)) return exits;
                if (insn.endsBlock()) {
                    Terminator kind = BranchForms.terminatorOf(block);
                    if (kind == Terminator.CONDITIONAL && isJcc(insn)) {
                        exits.add(b);
                    } else if (kind != Terminator.JUMP) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    static boolean isJcc(Instruction branch) {
        int opcode = branch.bytes()[BranchForms.opcodeIndex(branch.bytes())] & 0xff;
        return opcode < 0xe0 || opcode > 0xe3; // not loop/loope/loopne/jrcxz, which exit through rel8 forms
    }

    private static void forgetWritten(Map<Register, Long> checked, Instruction insn) {
        checked.keySet().removeIf(r -> writes(insn, r));
    }

    private static boolean writes(Instruction insn, Register register) {
        return insn.registersWritten().stream().anyMatch(w -> w.full() == register.full());
    }

    static boolean overwritesWhole(Instruction insn, Register register) {
        return insn.registersWritten().stream().anyMatch(w -> w.full() == register.full() && w.sizeBytes() >= 4)
                && insn.operands().size() >= 1 && insn.operands().get(0) instanceof RegisterOperand dst
                && dst.register().full() == register.full() && dst.sizeBytes() >= 4;
    }

    /** {@code xor r32, r32} (or r64): reads r only formally, its result does not depend on it. */
    static boolean zeroes(Instruction insn, Register register) {
        return insn.mnemonic().equals("xor") && insn.operands().size() == 2
                && insn.operands().get(0) instanceof RegisterOperand d && insn.operands().get(1) instanceof RegisterOperand s
                && d.register() == s.register() && d.register().full() == register.full() && d.sizeBytes() >= 4;
    }

    static boolean reads(Instruction insn, Register register) {
        if (insn.registersRead().stream().anyMatch(r -> r.full() == register.full())) return true;
        for (Operand o : insn.operands()) {
            if (o instanceof MemoryOperand m && (m.base().map(r -> r.full() == register.full()).orElse(false)
                    || m.index().map(r -> r.full() == register.full()).orElse(false))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the instruction may access memory (a {@code lea} computes an address only; push/pop/call/ret do). */
    private static boolean touchesMemory(Instruction insn) {
        if (insn.mnemonic().equals("lea") || insn.mnemonic().equals("nop") || insn.mnemonic().equals("endbr64")) {
            return false;
        }
        if (insn.operands().stream().anyMatch(o -> o instanceof MemoryOperand)) return true;
        return insn.registersRead().contains(Register.RSP) || insn.registersWritten().contains(Register.RSP);
    }

    private static boolean isGpr64(Register r) {
        return r.kind() == Register.Kind.GENERAL_PURPOSE && r.sizeBytes() == 8 && r != Register.RIP;
    }

    private static Gpr gpr(Register r) {
        return Gpr.valueOf(r.name());
    }
}
