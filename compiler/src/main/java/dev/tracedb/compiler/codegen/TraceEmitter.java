package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Label;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Emits one trace: its blocks' instructions in path order, each block's exit rewritten so that
 * the recorded direction stays in the trace and every other direction leaves it exactly as the
 * original code would have. See the package documentation for the rules; this class applies
 * them one terminator kind at a time. One emitter per trace; not thread-safe.
 */
final class TraceEmitter {
    private static final int JMP_REL32 = 5;

    private final TracePath path;
    private final int module;
    private final CodeBuffer buffer = new CodeBuffer(0);
    private final Assembler a = new Assembler(buffer);
    private final InstructionCopier copier;
    private final IndirectGuard guards;
    private final Label start = new Label("trace start");
    private List<DecodedBlock> blocks;
    private FlagsLiveness liveness;
    private final List<TraceCode.Fixup> fixups = new ArrayList<>();
    /** Constant-pool slots by module offset: each holds that address at run time. */
    private final Map<Long, Label> pool = new LinkedHashMap<>();
    /** Uses of pool slots by raw encodings the assembler has no form for: field offset, slot, end of instruction. */
    private final List<PoolUse> rawPoolUses = new ArrayList<>();

    /** Code kept out of the hot path (guard mismatches), emitted after the last block. */
    private final List<Runnable> outOfLine = new ArrayList<>();

    private record PoolUse(int field, Label slot, int end) {}

    TraceEmitter(TracePath path) {
        this.path = path;
        this.module = path.head().at().moduleIndex();
        this.copier = new InstructionCopier(buffer, fixups);
        this.guards = new IndirectGuard(this, a, copier);
    }

    TraceCode emit(List<DecodedBlock> blocks) {
        int patchLength = patchLength(blocks.get(0));
        this.blocks = blocks;
        this.liveness = new FlagsLiveness(blocks, path.loopsToHead());
        a.bind(start);
        for (int i = 0; i < blocks.size(); i++) {
            boolean last = i == blocks.size() - 1;
            CodeAddress next = last ? path.continuation() : blocks.get(i + 1).block().at();
            emitBlock(i, next, last);
        }
        for (int i = 0; i < outOfLine.size(); i++) {
            outOfLine.get(i).run();
        }
        emitPool();
        return new TraceCode(path.traceId(), path.head().at().offset(), patchLength, a.finish(), fixups);
    }

    /**
     * The smallest run of the head's whole instructions that covers a {@code jmp rel32}: the
     * loader overwrites exactly these bytes, so they must not end inside an instruction. The same
     * rule as {@link dev.tracedb.compiler.select.HeadPatch}, by which selection checked the bytes.
     */
    static int patchLength(DecodedBlock head) {
        int length = 0;
        for (Instruction insn : head.instructions()) {
            length += insn.length();
            if (length >= JMP_REL32) {
                return length;
            }
        }
        throw new TraceRefusedException("the head block at " + head.block().at() + " has only " + length
                + " bytes, too few for the 5-byte jump that enters the trace");
    }

    private void emitBlock(int index, CodeAddress next, boolean last) {
        DecodedBlock block = blocks.get(index);
        PathBlock b = block.block();
        Terminator kind = BranchForms.terminatorOf(block);
        if (kind != b.terminator()) {
            throw new TraceRefusedException("the block at " + b.at() + " ends in " + kind + " but the log says "
                    + b.terminator() + ": " + block.last());
        }
        for (Instruction insn : block.body()) {
            copier.copy(insn);
        }
        Instruction term = block.last();
        boolean loopBack = last && path.loopsToHead();
        switch (kind) {
            case FALL_THROUGH -> {
                requireSuccessor(b, next, b.end().offset());
                if (last) end(next);
            }
            case JUMP -> {
                requireSuccessor(b, next, term.directTarget().getAsLong());
                if (last) end(next);
            }
            case CONDITIONAL -> {
                conditional(term, next);
                if (last) end(next);
            }
            case CALL -> {
                BranchForms.requireDirectCall(term);
                requireSuccessor(b, next, term.directTarget().getAsLong());
                if (last && !insideOwnPatch(term.address())) {
                    // The trace leaves by this call: the original call instruction makes it, so the
                    // CPU's return-stack predictor gets the entry the callee's native ret will use.
                    exitTo(term.address());
                } else {
                    pushOriginal(term.nextAddress());
                    if (last) end(next);
                }
            }
            case RETURN -> {
                int pop = BranchForms.returnPop(term);
                if (!last) {
                    guards.compareReturn(pop, expected(next, term));
                } else {
                    BranchForms.emitReturn(a, pop);
                }
            }
            case INDIRECT_JUMP -> {
                BranchForms.requireIndirect(term, BranchForms.JMP_DIGIT);
                if (!last || loopBack) {
                    guardJump(index, term, expected(next, term), loopBack ? start : null);
                } else {
                    copier.copyBranch(term);
                }
            }
            case INDIRECT_CALL -> {
                BranchForms.requireIndirect(term, BranchForms.CALL_DIGIT);
                if (!last || loopBack) {
                    guards.compareCall(term, expected(next, term), loopBack ? start : null);
                } else {
                    leaveByCall(term);
                }
            }
            default -> throw new TraceRefusedException("cannot copy a block ending in " + kind + ": " + term);
        }
    }

    /**
     * An indirect jump: a {@code cmp} guard where the flags it overwrites are dead or can be
     * recomputed on each side ({@link FlagsLiveness}, {@link FlagsRestore}), else the flags-free
     * guard. The mismatch side goes where the jump goes, which is unknown here, so its flags are
     * restored unless the jump is a function's first instruction (a PLT stub reached by a call),
     * where the ABI makes them dead.
     */
    private void guardJump(int index, Instruction jmp, long expected, Label loopStart) {
        boolean atEntry = atFunctionEntry(index);
        FlagsRestore restore = FlagsRestore.before(blocks, index);
        boolean liveAfter = liveness.liveAfter(index);
        boolean mismatchOk = atEntry || restore != null;
        boolean matchOk = !liveAfter || restore != null;
        if (mismatchOk && matchOk) {
            guards.compareJump(jmp, expected, loopStart, atEntry ? null : restore, liveAfter ? restore : null, atEntry);
        } else {
            guards.guardJump(jmp, expected, loopStart);
        }
    }

    /**
     * Block {@code index} is entered by a call in this trace and runs nothing before its
     * terminator but {@code endbr64}/{@code nop}: its terminator is a function's first
     * instruction, where neither the flags nor anything below rsp is live (System V ABI).
     */
    private boolean atFunctionEntry(int index) {
        if (index == 0) {
            return false;
        }
        Terminator before = BranchForms.terminatorOf(blocks.get(index - 1));
        if (before != Terminator.CALL && before != Terminator.INDIRECT_CALL) {
            return false;
        }
        for (Instruction insn : blocks.get(index).body()) {
            String m = insn.mnemonic();
            if (!m.equals("endbr64") && !m.equals("nop")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Leaves the trace by an indirect call: a jump to the original {@code call}, which runs
     * natively, so the return-stack predictor gets the entry the callee's {@code ret} pops. A
     * {@code push}+{@code jmp} in its place would make that {@code ret} and, with the predictor's
     * stack then out of step, the returns after it mispredict: one such trace in glibc's
     * {@code vfprintf} (an {@code xsputn} call through the FILE's vtable) cost {@code lua5.4}'s
     * string workload 5.6 % CPU, measured. Only when the call lies in this trace's own patched
     * head bytes does it stay a push and a jump.
     */
    void leaveByCall(Instruction call) {
        if (insideOwnPatch(call.address())) {
            guards.callNatively(call);
        } else {
            exitTo(call.address());
        }
    }

    /** Whether module offset {@code offset} lies in the bytes this trace's head patch overwrites. */
    private boolean insideOwnPatch(long offset) {
        long head = path.head().at().offset();
        return offset >= head && offset < head + patchLength(blocks.get(0));
    }

    /** After the last block: back to the start of a loop trace, else on to the continuation. */
    private void end(CodeAddress next) {
        if (path.loopsToHead()) {
            a.jmp(start);
        } else if (next.moduleIndex() == module) {
            exitTo(next.offset());
        } else {
            throw new TraceRefusedException("the path continues in another module (" + next
                    + ") after a direct transfer");
        }
    }

    /** A conditional branch becomes a guard: the recorded direction falls through inside the trace. */
    private void conditional(Instruction jcc, CodeAddress next) {
        long taken = jcc.directTarget().orElseThrow();
        long fallThrough = jcc.nextAddress();
        boolean followsTaken = isAt(next, taken);
        boolean followsFall = isAt(next, fallThrough);
        if (!followsTaken && !followsFall) {
            throw new TraceRefusedException("the path leaves " + jcc + " for " + next + ", neither of its successors");
        }
        if (followsTaken && followsFall) {
            return; // a branch to the next instruction: nothing to guard, and it writes no flags
        }
        byte[] bytes = jcc.bytes();
        int op = BranchForms.opcodeIndex(bytes);
        int opcode = bytes[op] & 0xff;
        if (opcode >= 0xe0 && opcode <= 0xe3) {
            // loop/loope/loopne/jrcxz: rel8 only, and loop* decrements rcx, so it runs exactly once
            // here, aimed over one or two of our own jumps (an address-size prefix selects ecx).
            for (int i = 0; i < op; i++) {
                if ((bytes[i] & 0xff) == 0x67) {
                    buffer.emit8(0x67);
                }
            }
            buffer.emit8(opcode);
            if (followsTaken) {
                buffer.emit8(JMP_REL32);     // taken: over the exit, on into the trace
                exitTo(fallThrough);
            } else {
                buffer.emit8(2);             // taken: over the short jump, to the exit
                buffer.emit8(0xeb);          // not taken: over the exit, on into the trace
                buffer.emit8(JMP_REL32);
                exitTo(taken);
            }
            return;
        }
        Condition cc = BranchForms.condition(jcc);
        if (followsTaken) {
            exitIf(cc.negate(), fallThrough);
        } else {
            exitIf(cc, taken);
        }
    }

    /** The recorded target of an indirect transfer, which must lie in this trace's module. */
    private long expected(CodeAddress next, Instruction branch) {
        if (next.moduleIndex() != module) {
            throw new TraceRefusedException("the path follows " + branch + " into another module (" + next + ")");
        }
        return next.offset();
    }

    private void requireSuccessor(PathBlock b, CodeAddress next, long successor) {
        if (!isAt(next, successor)) {
            throw new TraceRefusedException("the block at " + b.at() + " can only continue at m" + module
                    + "+0x" + Long.toHexString(successor) + " but the path goes to " + next);
        }
    }

    private boolean isAt(CodeAddress address, long offset) {
        return address.moduleIndex() == module && address.offset() == offset;
    }

    // ---- emission helpers used by the guards

    /** {@code jmp rel32} to module offset {@code target}: a side exit, or a link to another trace. */
    void exitTo(long target) {
        buffer.emit8(0xe9);
        buffer.emit32(0);
        fixups.add(new TraceCode.Jump(buffer.position() - 4, target));
    }

    /** {@code jcc rel32} to module offset {@code target}. */
    void exitIf(Condition cc, long target) {
        buffer.emit8(0x0f);
        buffer.emit8(0x80 | cc.code());
        buffer.emit32(0);
        fixups.add(new TraceCode.Jump(buffer.position() - 4, target));
    }

    /** The constant-pool slot that holds the run-time address of module offset {@code target}. */
    Label slot(long target) {
        return pool.computeIfAbsent(target, t -> new Label("slot m+0x" + Long.toHexString(t)));
    }

    /**
     * {@code push qword [rip+slot]}: pushes the original return address, as the call would have,
     * without touching a register or the flags.
     */
    void pushOriginal(long returnOffset) {
        buffer.emit8(0xff);
        buffer.emit8(0x35);
        buffer.emit32(0);
        rawPoolUses.add(new PoolUse(buffer.position() - 4, slot(returnOffset), buffer.position()));
    }

    /**
     * {@code cmp reg, qword [rip+slot]} (REX.W 3B /r): compares with the run-time address of
     * module offset {@code target}, held in the constant pool.
     */
    void cmpWithSlot(Gpr reg, long target) {
        buffer.emit8(0x48 | (reg.encoding() >= 8 ? 0x04 : 0));
        buffer.emit8(0x3b);
        buffer.emit8(0x05 | (reg.encoding() & 7) << 3);
        buffer.emit32(0);
        rawPoolUses.add(new PoolUse(buffer.position() - 4, slot(target), buffer.position()));
    }

    /** A label for {@code code}, which is emitted after the trace's last block (cold: a guard's mismatch). */
    Label outOfLine(Runnable code) {
        Label label = new Label("out of line " + outOfLine.size());
        outOfLine.add(() -> {
            a.bind(label);
            code.run();
        });
        return label;
    }

    private void emitPool() {
        while (buffer.position() % 8 != 0) {
            a.int3();
        }
        for (Map.Entry<Long, Label> entry : pool.entrySet()) {
            a.bind(entry.getValue());
            fixups.add(new TraceCode.Slot(buffer.position(), entry.getKey()));
            buffer.emit64(0);
        }
        for (PoolUse use : rawPoolUses) {
            buffer.patch32(use.field(), use.slot().position() - use.end());
        }
    }

    /** Records that the disp32 at {@code field}, which ends its instruction, must reach module offset {@code target}. */
    void ripOperand(int field, long target) {
        fixups.add(new TraceCode.RipData(field, target, 0));
    }
}
