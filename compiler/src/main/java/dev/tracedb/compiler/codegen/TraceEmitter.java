package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Label;
import dev.tracedb.machine.x86.encode.Mem;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.LongPredicate;

/**
 * Emits one trace: its blocks' instructions in path order, each block's exit rewritten so that
 * the recorded direction stays in the trace and every other direction leaves it exactly as the
 * original code would have. See the package documentation for the rules; this class applies
 * them one terminator kind at a time. One emitter per trace and variant; not thread-safe.
 *
 * <p>The counting variant ({@code counting}) is the same code with {@link TraceCounters}
 * increments: at the entry (before the loop-back target, so a loop's next iteration is not an
 * entry), before every completion (the jump to the continuation, a loop-back, or the path's last
 * call, return or indirect transfer), on every side exit (its {@code jcc}/{@code jmp} goes to an
 * out-of-line stub that counts, then jumps where the plain code's would), and on every guard
 * mismatch. The plain variant emits exactly what it emitted before counting existed.
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
    private RedundantGuards redundantGuards;
    private DispatchSpecialiser dispatches;
    private SunkWrites sunkWrites;
    private ImpliedGuards implied;
    private ValueGuards valueGuards;
    private ValueFolder folder;
    /** Store-to-load forwarding ({@link StoredValues}); applied only when {@link #forwarding}. */
    private StoredValues stored;
    private boolean forwarding = true;
    /** Loop peeling (with {@link #forwarding}): a loop trace's second copy starts with the facts the first's end leaves. */
    private boolean peel = true;
    /** Loop peeling: which copy of a loop trace's body is being emitted (1 or 2). */
    private int pass = 1;
    /** Loop peeling: the start of the second copy, and the facts it was emitted with. */
    private final Label second = new Label("second pass");
    private StoredValues.State secondStart;
    /** Loop peeling: the stored-value states at the first copy's back edges. */
    private final List<StoredValues.State> firstEnds = new ArrayList<>();
    /** Loop peeling: the folder's knowledge at the first copy's back edges, and what the second copy started with. */
    private final List<ValueFolder.State> firstEndsKnown = new ArrayList<>();
    private Map<Register, ValueFolder.Value> secondKnown;
    /** Loop peeling: every full register the path writes (a fact keyed on one is not carried). */
    private java.util.Set<Register> writtenOnPath;
    /** Loop peeling: no second copy when the first copy's inline code (its out-of-line code comes later) is larger. */
    static final int PEEL_LIMIT = 16 * 1024;
    /** Loop peeling: how many back edges of the second copy go to its own start (tests, reports). */
    private int peeledBackEdges;
    private int foldedEarlier;
    /** Per block, the address the path goes on to. */
    private List<CodeAddress> nexts;
    /** The module's read-only jump tables, for {@link DispatchSpecialiser}. */
    private final DispatchTables tables;
    private final List<TraceCode.Fixup> fixups = new ArrayList<>();
    /** Constant-pool slots by module offset: each holds that address at run time. */
    private final Map<Long, Label> pool = new LinkedHashMap<>();
    /** Uses of pool slots by raw encodings the assembler has no form for: field offset, slot, end of instruction. */
    private final List<PoolUse> rawPoolUses = new ArrayList<>();

    /** Code kept out of the hot path (guard mismatches), emitted after the last block. */
    private final List<Runnable> outOfLine = new ArrayList<>();

    private record PoolUse(int field, Label slot, int end) {}

    /** The counting variant's counters; null for the plain variant. */
    private final TraceCounters counters;
    /** Counting variant, loop traces: per loop-back target, a stub that counts an iteration, then jumps there. */
    private final Map<Label, Label> loopBacks = new LinkedHashMap<>();

    TraceEmitter(TracePath path) {
        this(path, false);
    }

    TraceEmitter(TracePath path, boolean counting) {
        this(path, counting, DispatchTables.none());
    }

    TraceEmitter(TracePath path, boolean counting, DispatchTables tables) {
        this.path = path;
        this.tables = tables;
        this.counters = counting ? new TraceCounters(path.traceId(),
                path.continuation().moduleIndex() == path.head().at().moduleIndex() ? path.continuation().offset() : 0)
                : null;
        this.module = path.head().at().moduleIndex();
        this.copier = new InstructionCopier(buffer, fixups);
        this.guards = new IndirectGuard(this, a, copier);
    }

    /** Module offsets strictly inside some trace's head patch (no value guard may exit there); none by default. */
    private LongPredicate insideAPatch = offset -> false;

    TraceEmitter avoidingPatches(LongPredicate insideAPatch) {
        this.insideAPatch = insideAPatch;
        return this;
    }

    /** Whether loads of cells the path stored are forwarded and guards their constants decide left out ({@link StoredValues}); on by default. */
    TraceEmitter forwarding(boolean forwarding) {
        this.forwarding = forwarding;
        return this;
    }

    /** Whether a loop trace gets a second copy of its body that starts with the facts the first's end leaves; on by default (only with forwarding). */
    TraceEmitter peeling(boolean peel) {
        this.peel = peel;
        return this;
    }

    /** Loop peeling: how many back edges of the second copy went to its own start (0: not peeled or not closed). */
    int peeledBackEdges() {
        return peeledBackEdges;
    }

    TraceCode emit(List<DecodedBlock> blocks) {
        int patchLength = patchLength(blocks.get(0));
        this.blocks = blocks;
        this.liveness = new FlagsLiveness(blocks, path.loopsToHead());
        List<CodeAddress> nexts = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            nexts.add(i == blocks.size() - 1 ? path.continuation() : blocks.get(i + 1).block().at());
        }
        this.redundantGuards = new RedundantGuards(blocks, nexts, liveness);
        this.dispatches = new DispatchSpecialiser(blocks, nexts, path.loopsToHead(), module, tables, liveness);
        this.sunkWrites = new SunkWrites(blocks, path.loopsToHead(), dispatches);
        this.implied = new ImpliedGuards(blocks, nexts, redundantGuards, dispatches);
        this.valueGuards = new ValueGuards(blocks, path.valueGuards(), patchLength, insideAPatch, liveness, dispatches, sunkWrites);
        this.folder = new ValueFolder(a, copier);
        this.stored = new StoredValues(r -> folder.valueOf(r));
        this.nexts = nexts;
        if (counters != null) {
            count(counters.entry());
        }
        a.bind(start);
        emitFrom(0, 0);
        if (peeling()) emitSecondPass();
        for (int i = 0; i < outOfLine.size(); i++) {
            outOfLine.get(i).run();
        }
        emitPool();
        return new TraceCode(path.traceId(), path.head().at().offset(), patchLength, a.finish(), fixups,
                counters == null ? List.of() : counters.counters(), valueGuards.applied(), foldedEarlier + folder.folded());
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

    /**
     * Emits the path from body instruction {@code firstInstruction} of block {@code firstBlock} to
     * its end. A polymorphic value guard on the way emits the rest itself, once per value.
     */
    private void emitFrom(int firstBlock, int firstInstruction) {
        for (int i = firstBlock; i < blocks.size(); i++) {
            boolean last = i == blocks.size() - 1;
            CodeAddress next = last ? path.continuation() : blocks.get(i + 1).block().at();
            if (!emitBlock(i, next, last, i == firstBlock ? firstInstruction : 0)) return;
        }
    }

    /** Emits block {@code index} from body instruction {@code from}; false when a polymorphic guard emitted the rest of the path. */
    private boolean emitBlock(int index, CodeAddress next, boolean last, int from) {
        DecodedBlock block = blocks.get(index);
        PathBlock b = block.block();
        Terminator kind = BranchForms.terminatorOf(block);
        if (kind != b.terminator()) {
            throw new TraceRefusedException("the block at " + b.at() + " ends in " + kind + " but the log says "
                    + b.terminator() + ": " + block.last());
        }
        boolean decided = kind == Terminator.CONDITIONAL && redundantGuards.redundant(index);
        DispatchSpecialiser.Plan load = dispatches.planForLoad(index);
        List<Instruction> body = block.body();
        boolean merged = kind == Terminator.CONDITIONAL && (implied.first(index) || implied.second(index));
        boolean decidedJump = false;
        boolean decidedByValue = false;
        for (int i = from; i < body.size(); i++) {
            if (decided && i == body.size() - 1) break; // the compare of a guard an earlier one decided
            if (merged && i == body.size() - 1) {
                if (implied.first(index)) mergedGuard(index);
                break; // the second's compare ran first, with the first's
            }
            if (forwarding && kind == Terminator.CONDITIONAL && i == body.size() - 1
                    && decidedByConstant(body.get(i), block.last(), next) && !liveness.liveAfter(index)) {
                decidedByValue = true; // a compare of a known constant that goes the path's way: no guard
                break;
            }
            if (load != null && i == load.loadIndex()) {
                stored.visit(body.get(i), false);
                guardTableIndex(load);
                continue;
            }
            if (sunkWrites.isSunk(index, i)) {
                // dead on the path: copied into the exits that need it
                stored.visit(body.get(i), false);
                ValueFolder.destinationOf(body.get(i)).ifPresent(folder::overwritten);
                continue;
            }
            List<ValueGuard> values = valueGuards.valuesAt(index, i);
            if (values.size() > 1) {
                stored.visit(body.get(i), false);
                polymorphicGuard(values, body.get(i), index, i + 1);
                return false;
            }
            if (values.size() == 1) {
                stored.visit(body.get(i), false);
                valueGuard(values.get(0), body.get(i));
                continue;
            }
            if (last && kind == Terminator.INDIRECT_JUMP && !path.loopsToHead() && i == body.size() - 1
                    && decidedLastDispatch(body.get(i), block.last(), next)) {
                stored.visit(body.get(i), false);
                decidedJump = true;
                continue;
            }
            int position = i;
            if (pairable(index, i + 1, body.size() - (decided || merged ? 1 : 0), load)
                    && folder.foldNegAndBorrow(body.get(i), body.get(i + 1), liveness.deadAfterInstruction(index, i + 1,
                            j -> dispatches.planForJump(j) != null))) {
                stored.visit(body.get(i), false);
                stored.visit(body.get(i + 1), false);
                i++; // neg; sbb of a known value: both folded (CPython 3.11's DTrace semaphore)
                continue;
            }
            var forward = stored.visit(body.get(i), true);
            if (forwarding && forward.isPresent()) {
                forward(forward.get());
                continue;
            }
            folder.emit(body.get(i), () -> liveness.deadAfterInstruction(index, position,
                    j -> dispatches.planForJump(j) != null));
        }
        if (kind == Terminator.FALL_THROUGH) {
            // its last instruction was a body instruction
        } else if (kind == Terminator.JUMP || kind == Terminator.CONDITIONAL
                || kind == Terminator.INDIRECT_JUMP && dispatches.planForJump(index) != null) {
            stored.passBranch(block.last());
        } else {
            stored.killAll(); // calls, returns, indirect transfers: memory and registers change out of sight
        }
        Instruction term = block.last();
        boolean loopBack = last && path.loopsToHead();
        if (kind == Terminator.INDIRECT_JUMP && dispatches.planForJump(index) != null) {
            // The index guard decided the jump: it goes to the recorded target, the next block.
            if (loopBack) {
                folder.materializeAll();
                a.jmp(loopBack());
            }
            return true;
        }
        if (kind == Terminator.INDIRECT_JUMP) {
            folder.materializeAll(); // its guard's mismatch leaves with every register as the original has it
        } else if (kind != Terminator.FALL_THROUGH && kind != Terminator.JUMP && kind != Terminator.CONDITIONAL) {
            folder.reset(); // calls and returns: every register as the original has it, rsp moved
        }
        switch (kind) {
            case FALL_THROUGH -> {
                requireSuccessor(b, next, b.end().offset());
                if (last) {
                    folder.materializeAll();
                    end(next);
                }
            }
            case JUMP -> {
                requireSuccessor(b, next, term.directTarget().getAsLong());
                if (last) {
                    folder.materializeAll();
                    end(next);
                }
            }
            case CONDITIONAL -> {
                if (!decided && !merged && !decidedByValue) {
                    if (!DispatchSpecialiser.isJcc(term)) folder.materializeAll(); // loop/jrcxz exit inline
                    conditional(term, next, dispatches.planForExit(index), sunkWrites.atExit(index), folder.pending());
                }
                if (last) {
                    folder.materializeAll();
                    end(next);
                }
            }
            case CALL -> {
                BranchForms.requireDirectCall(term);
                requireSuccessor(b, next, term.directTarget().getAsLong());
                if (last && !insideOwnPatch(term.address())) {
                    // The trace leaves by this call: the original call instruction makes it, so the
                    // CPU's return-stack predictor gets the entry the callee's native ret will use.
                    completeTo(term.address());
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
                    countLastTransfer(next, frame -> a.mov(Gpr.RCX, Mem.of(Gpr.RSP, frame)));
                    BranchForms.emitReturn(a, pop);
                }
            }
            case INDIRECT_JUMP -> {
                BranchForms.requireIndirect(term, BranchForms.JMP_DIGIT);
                if (!last || loopBack) {
                    guardJump(index, term, expected(next, term), loopBack ? loopBack() : null);
                } else if (decidedJump) {
                    completeTo(next.offset()); // the known index picked the recorded continuation
                } else {
                    countLastTransfer(next, frame -> guards.loadTarget(term, frame));
                    copier.copyBranch(term);
                }
            }
            case INDIRECT_CALL -> {
                BranchForms.requireIndirect(term, BranchForms.CALL_DIGIT);
                if (!last || loopBack) {
                    guards.compareCall(term, expected(next, term), loopBack ? loopBack() : null);
                } else {
                    countLastTransfer(next, frame -> guards.loadTarget(term, frame));
                    leaveByCall(term);
                }
            }
            default -> throw new TraceRefusedException("cannot copy a block ending in " + kind + ": " + term);
        }
        return true;
    }

    /** Whether body instruction {@code next} of block {@code index} is copied as it is, so it may fold with the one before. */
    private boolean pairable(int index, int next, int copied, DispatchSpecialiser.Plan load) {
        return next < copied && (load == null || load.loadIndex() != next) && !sunkWrites.isSunk(index, next)
                && valueGuards.at(index, next) == null;
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
     * In place of a dispatch's table load ({@link DispatchSpecialiser}): the index compared with
     * the one whose slot holds the recorded target, and, once per pass, the base register with
     * the table's address. A mismatch makes the load as the original does and goes on in the
     * original code right after it.
     */
    private void guardTableIndex(DispatchSpecialiser.Plan plan) {
        Register index = Register.valueOf(plan.index().name());
        // A guarded value (ValueFolder) may decide the index already: then only the base is checked.
        boolean indexKnown = folder.valueOf(index)
                .filter(v -> v.isConstant() && v.offset() == plan.entry().index()).isPresent();
        // Known index and no base to check (an absolute table): nothing is compared, the flags
        // stay as the path left them, so no restore runs and the dispatch emits nothing at all.
        boolean compares = !indexKnown || plan.checkBase();
        if (plan.restore() != null && compares) folder.materializeAll(); // the restore reads registers
        if (!indexKnown) folder.materialize(List.of(index));
        if (plan.base() != null) folder.materialize(List.of(Register.valueOf(plan.base().name())));
        if (compares) {
            List<ValueFolder.Fix> pending = folder.pending();
            Label mismatch = outOfLine(() -> {
                countGuardExit();
                ValueFolder.emit(a, pending);
                if (plan.restore() != null) {
                    plan.restore().emit(buffer);
                }
                copier.copy(plan.load());
                jumpTo(plan.load().nextAddress());
            });
            if (!indexKnown) {
                a.cmp(plan.index(), plan.entry().index());
                a.jcc(Condition.NE, mismatch);
            }
            if (plan.checkBase()) {
                cmpWithSlot(plan.base(), plan.entry().tableOffset());
                a.jcc(Condition.NE, mismatch);
            }
        }
        if (plan.restoreOnMatch() && compares) {
            plan.restore().emit(buffer);
        }
        // The original loads the target here; the path leaves the index (or anything) in the
        // register, and the exits before the path overwrites it load the target (see the class).
        folder.overwritten(Register.valueOf(plan.register().name()));
    }

    /**
     * The path's last transfer is {@code mov R, [idx*8 + table]; jmp R} through an absolute table
     * (python3.11's {@code opcode_targets}, {@link DispatchTables#absoluteEntryFor}) whose index the
     * folder knows (the opcode folded from guarded values), and the slot at that index holds the
     * recorded continuation: R gets the target from the constant pool ({@code mov R, [rip+slot]},
     * as the original loads it, in case the handler reads it) and the trace goes on to the
     * continuation by a direct jump instead of the indirect one. Emits that load and returns true,
     * else emits nothing and returns false.
     */
    private boolean decidedLastDispatch(Instruction load, Instruction jmp, CodeAddress next) {
        if (next.moduleIndex() != module || !load.mnemonic().equals("mov") || load.operands().size() != 2
                || !(load.operands().get(0) instanceof RegisterOperand r) || r.sizeBytes() != 8
                || !(load.operands().get(1) instanceof MemoryOperand m) || m.base().isPresent() || m.index().isEmpty()
                || m.scale() != 8 || m.segment().isPresent() || m.isRipRelative()
                || jmp.operands().size() != 1 || !(jmp.operands().get(0) instanceof RegisterOperand j)
                || j.register() != r.register()) {
            return false;
        }
        Register index = m.index().get().full();
        var known = folder.valueOf(index).filter(ValueFolder.Value::isConstant);
        if (known.isEmpty()) return false;
        var entry = tables.absoluteEntryFor(m.displacement(), next.offset());
        if (entry.isEmpty() || entry.get().index() != known.get().offset()) return false;
        Register target = r.register().full();
        folder.overwritten(target);
        movFromSlot(Gpr.valueOf(target.name()), next.offset());
        return true;
    }

    /**
     * A {@link ValueGuard}: in place of the load, its memory compared with the recorded value; a
     * mismatch writes out the registers the path has not computed yet and makes the original
     * load, then goes on in the original code right after it. On the match path the register is
     * not loaded: the folder knows its value and writes it only where something needs it.
     */
    private void valueGuard(ValueGuard guard, Instruction load) {
        Label mismatch = valueMismatch(load);
        ValueGuards.emitCompare(buffer, load, guard.value(), fixups);
        a.jcc(Condition.NE, mismatch);
        if (ValueGuards.isTracingOr(load)) return; // or r8, 0: no register changes, the flags are dead
        folder.loaded(((RegisterOperand) load.operands().get(0)).register().full(), guard.value());
    }

    /**
     * Before a value guard's compare: the registers of the load's address written out (the
     * compare reads them), and the out-of-line mismatch, which writes out the registers the path
     * has not computed yet, makes the original load and goes on in the original code after it.
     */
    private Label valueMismatch(Instruction load) {
        MemoryOperand mem = (MemoryOperand) load.operands().get(1);
        List<Register> address = new ArrayList<>();
        mem.base().ifPresent(r -> address.add(r.full()));
        mem.index().ifPresent(r -> address.add(r.full()));
        folder.materialize(address);
        List<ValueFolder.Fix> pending = folder.pending();
        return outOfLine(() -> {
            countGuardExit();
            ValueFolder.emit(a, pending);
            copier.copy(load);
            jumpTo(load.nextAddress());
        });
    }

    /**
     * A polymorphic value guard: the load's memory compared with each value in turn, most frequent
     * first; each match goes on into its own copy of the rest of the path (from body instruction
     * {@code resume} of block {@code block}), folded with that value, and a mismatch of them all
     * leaves as a {@link #valueGuard} mismatch does. Every copy ends in a transfer out of the trace
     * or back to its start (the last block always ends so), so the copies are laid out one after
     * the other, the next value's compare right after the previous copy's end.
     */
    private void polymorphicGuard(List<ValueGuard> values, Instruction load, int block, int resume) {
        Label mismatch = valueMismatch(load);
        ValueFolder.State before = folder.snapshot();
        StoredValues.State storedBefore = stored.snapshot();
        Register loaded = ((RegisterOperand) load.operands().get(0)).register().full();
        for (int v = 0; v < values.size(); v++) {
            Label nextValue = v == values.size() - 1 ? mismatch : new Label("value " + (v + 1));
            ValueGuards.emitCompare(buffer, load, values.get(v).value(), fixups);
            a.jcc(Condition.NE, nextValue);
            folder.restore(before);
            stored.restore(storedBefore);
            folder.loaded(loaded, values.get(v).value());
            emitFrom(block, resume);
            if (nextValue != mismatch) a.bind(nextValue);
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
     * head bytes does it stay a push and a jump. Counts nothing: the caller has counted the
     * completion or the guard exit this leaving is.
     */
    void leaveByCall(Instruction call) {
        if (insideOwnPatch(call.address())) {
            guards.callNatively(call);
        } else {
            jumpTo(call.address());
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
            a.jmp(loopBack());
        } else if (next.moduleIndex() == module) {
            completeTo(next.offset());
        } else {
            throw new TraceRefusedException("the path continues in another module (" + next
                    + ") after a direct transfer");
        }
    }

    /** A conditional branch becomes a guard: the recorded direction falls through inside the trace. */
    private void conditional(Instruction jcc, CodeAddress next, DispatchSpecialiser.Plan loadOnExit,
                             List<Instruction> sunkHere, List<ValueFolder.Fix> pending) {
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
        Condition leaves = followsTaken ? cc.negate() : cc;
        long exit = followsTaken ? fallThrough : taken;
        if (loadOnExit != null || !sunkHere.isEmpty() || !pending.isEmpty()) {
            exitIfRestoring(leaves, exit, loadOnExit, sunkHere, pending);
        } else {
            exitIf(leaves, exit);
        }
    }

    /**
     * The first guard of an {@link ImpliedGuards} pair: the second's compare, made here, decides
     * both on the path; a mismatch runs both guards as the original does, out of line.
     */
    private void mergedGuard(int index) {
        DecodedBlock first = blocks.get(index);
        DecodedBlock second = blocks.get(index + 1);
        Instruction cmpA = first.body().get(first.body().size() - 1);
        Instruction cmpB = second.body().get(second.body().size() - 1);
        if (forwarding && decidedByConstant(cmpA, first.last(), nexts.get(index))
                && decidedByConstant(cmpB, second.last(), nexts.get(index + 1)) && !liveness.liveAfter(index + 1)) {
            return; // both compares of known constants go the path's way (a type tag just stored, StoredValues)
        }
        List<Register> compared = new ArrayList<>();
        for (Instruction cmp : List.of(cmpA, cmpB)) {
            cmp.registersRead().forEach(r -> compared.add(r.full()));
        }
        folder.materialize(compared);
        List<ValueFolder.Fix> pending = folder.pending();
        copier.copy(cmpB);
        a.jcc(Condition.NE, outOfLine(() -> {
            ValueFolder.emit(a, pending); // the registers the path has not written yet, as the original has them
            copier.copy(cmpA);
            conditional(first.last(), nexts.get(index), dispatches.planForExit(index), sunkWrites.atExit(index),
                    List.of());
            List<Instruction> between = second.body();
            for (int i = 0; i < between.size() - 1; i++) {
                if (!sunkWrites.isSunk(index + 1, i)) copier.copy(between.get(i));
            }
            copier.copy(cmpB);
            Instruction jcc = second.last();
            long taken = jcc.directTarget().orElseThrow();
            long exit = isAt(nexts.get(index + 1), taken) ? jcc.nextAddress() : taken;
            jumpRestoring(exit, dispatches.planForExit(index + 1), sunkWrites.atExit(index + 1));
        }));
    }

    /**
     * Whether {@code cmp}, the flag writer before conditional branch {@code jcc}, compares
     * constants the folder knows ({@link StoredValues#decides}) so that the branch goes the way the
     * path follows to {@code next}: then neither needs to run (where the flags are dead after it).
     */
    private boolean decidedByConstant(Instruction cmp, Instruction jcc, CodeAddress next) {
        if (!DispatchSpecialiser.isJcc(jcc) || jcc.directTarget().isEmpty()) return false;
        boolean followsTaken = isAt(next, jcc.directTarget().getAsLong());
        boolean followsFall = isAt(next, jcc.nextAddress());
        if (followsTaken == followsFall) return false;
        Optional<Boolean> taken = StoredValues.decides(cmp, BranchForms.condition(jcc), folder::valueOf);
        return taken.isPresent() && taken.get() == followsTaken;
    }

    /** A load {@link StoredValues} forwarded: its destination gets the stored value without a memory access. */
    private void forward(StoredValues.Forward f) {
        stored.applied();
        switch (f.kind()) {
            case CONSTANT -> folder.loaded(f.destination(), f.value());
            case DROP -> { }
            case MOVE -> {
                if (StoredValues.isGpr(f.source())) folder.materialize(List.of(f.source()));
                if (StoredValues.isGpr(f.destination())) folder.overwritten(f.destination());
                for (byte b : f.code()) buffer.emit8(b);
            }
        }
    }

    /** The unconditional form of {@link #exitIfRestoring}: the exit is known to be taken here. */
    private void jumpRestoring(long target, DispatchSpecialiser.Plan plan, List<Instruction> sunk) {
        if (counters != null) count(counters.exit(target));
        if (plan != null) movFromSlot(plan.register(), plan.target());
        for (Instruction insn : sunk) copier.copy(insn);
        jumpTo(target);
    }

    /**
     * A side exit that must first put back registers the path did not compute: a specialised
     * dispatch's register that still holds the table index ({@link DispatchSpecialiser}) gets
     * the recorded target the original jumped through, and writes the path left out
     * ({@link SunkWrites}) run; out of line ({@code mov} and {@code lea} write no flag), then the
     * exit's jump.
     */
    private void exitIfRestoring(Condition cc, long target, DispatchSpecialiser.Plan plan, List<Instruction> sunk,
                                 List<ValueFolder.Fix> pending) {
        int counter = counters != null ? counters.exit(target) : -1;
        a.jcc(cc, outOfLine(() -> {
            if (counter >= 0) count(counter);
            ValueFolder.emit(a, pending); // ValueFolder: registers the path has not written yet (first: sunk writes read them)
            if (plan != null) movFromSlot(plan.register(), plan.target());
            for (Instruction insn : sunk) copier.copy(insn); // SunkWrites: the writes the path left out
            jumpTo(target);
        }));
    }

    /** {@code mov reg, qword [rip+slot]} (REX.W 8B /r): the run-time address of module offset {@code target}. */
    private void movFromSlot(Gpr reg, long target) {
        buffer.emit8(0x48 | (reg.encoding() >= 8 ? 0x04 : 0));
        buffer.emit8(0x8b);
        buffer.emit8(0x05 | (reg.encoding() & 7) << 3);
        buffer.emit32(0);
        rawPoolUses.add(new PoolUse(buffer.position() - 4, slot(target), buffer.position()));
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

    /**
     * {@code jmp rel32} (5 bytes in both variants) to module offset {@code target}: a side exit,
     * or a link to another trace; in the counting variant through a stub that counts the exit.
     */
    void exitTo(long target) {
        if (counters != null) {
            a.jmp(countingStub(counters.exit(target), target));
            return;
        }
        jumpTo(target);
    }

    /** {@code jmp rel32} to module offset {@code target} after the whole path ran: a completion. */
    private void completeTo(long target) {
        if (counters != null) {
            a.jmp(countingStub(counters.completion(), target));
            return;
        }
        jumpTo(target);
    }

    /** {@code jcc rel32} (6 bytes in both variants) to module offset {@code target}: a side exit. */
    void exitIf(Condition cc, long target) {
        if (counters != null) {
            a.jcc(cc, countingStub(counters.exit(target), target));
            return;
        }
        buffer.emit8(0x0f);
        buffer.emit8(0x80 | cc.code());
        buffer.emit32(0);
        fixups.add(new TraceCode.Jump(buffer.position() - 4, target));
    }

    private void jumpTo(long target) {
        buffer.emit8(0xe9);
        buffer.emit32(0);
        fixups.add(new TraceCode.Jump(buffer.position() - 4, target));
    }

    /** Out of line: count {@code counter}, then jump to module offset {@code target}. */
    private Label countingStub(int counter, long target) {
        return outOfLine(() -> {
            count(counter);
            jumpTo(target);
        });
    }

    /** Counting variant: the increment of {@code counter}; the plain variant emits nothing. */
    private void count(int counter) {
        if (counters != null) {
            TraceCounters.emitIncrement(buffer, counter, fixups);
        }
    }

    /**
     * Counting variant, before the path's last return or indirect transfer, which runs as the
     * original does: a completion when it goes to the recorded continuation, else a guard exit
     * (the forecast's rule: the path completed only if the continuation came next). Inside the
     * flags-saving frame (rsp below the red zone, flags and rcx pushed), {@code loadTarget} puts
     * the transfer's target in rcx, given how much lower rsp is than at the transfer; then it is
     * compared with the continuation's run-time address. A continuation in another module has no
     * constant-pool slot here: every such transfer counts as a completion.
     */
    private void countLastTransfer(CodeAddress next, IntConsumer loadTarget) {
        if (counters == null) {
            return;
        }
        if (next.moduleIndex() != module) {
            count(counters.completion());
            return;
        }
        int frame = IndirectGuard.RED_ZONE + 16;
        a.lea(Gpr.RSP, Mem.of(Gpr.RSP, -IndirectGuard.RED_ZONE));
        a.pushfq();
        a.push(Gpr.RCX);
        loadTarget.accept(frame);
        cmpWithSlot(Gpr.RCX, next.offset());
        a.pop(Gpr.RCX);
        Label other = new Label("other target");
        Label done = new Label("counted");
        a.jcc(Condition.NE, other);
        TraceCounters.emitLockInc(buffer, counters.completion(), fixups);
        a.jmp(done);
        a.bind(other);
        TraceCounters.emitLockInc(buffer, counters.guardExit(), fixups);
        a.bind(done);
        a.popfq();
        a.lea(Gpr.RSP, Mem.of(Gpr.RSP, IndirectGuard.RED_ZONE));
    }

    /** Counting variant: a guard did not match (emitted at the start of the mismatch path). */
    void countGuardExit() {
        if (counters != null) {
            count(counters.guardExit());
        }
    }

    /**
     * Where a loop trace goes back to its start: {@link #start} itself, or in the counting
     * variant a stub that counts the iteration as a completion first.
     */
    private Label loopBack() {
        Label target = start;
        if (peeling()) {
            StoredValues.State here = stored.snapshot();
            if (pass == 1) {
                firstEnds.add(here);
                firstEndsKnown.add(folder.snapshot());
                target = second;
            } else if (StoredValues.implies(here, secondStart, writtenOnPath)
                    && implies(folder.snapshot(), secondKnown, writtenOnPath)) {
                peeledBackEdges++;
                target = second;
            }
        }
        if (counters == null) {
            return target;
        }
        Label to = target;
        return loopBacks.computeIfAbsent(target, t -> outOfLine(() -> {
            count(counters.iteration());
            a.jmp(to);
        }));
    }

    /**
     * Loop peeling: the register values (the folder's, {@link ValueFolder.Value}) every back edge of
     * the first copy knows alike, written out (not stale) and either constants or a register the
     * path never writes plus a constant: then they hold at the second copy's start too, and
     * cells keyed on them ({@link StoredValues.Cell}) mean the same addresses there.
     */
    static Map<Register, ValueFolder.Value> carriedKnown(List<ValueFolder.State> ends, java.util.Set<Register> written) {
        Map<Register, ValueFolder.Value> known = new java.util.EnumMap<>(Register.class);
        if (ends.isEmpty()) return known;
        for (Map.Entry<Register, ValueFolder.Value> e : ends.get(0).known().entrySet()) {
            Register r = e.getKey();
            ValueFolder.Value v = e.getValue();
            if (v.base() != null && written.contains(v.base())) continue;
            boolean everywhere = ends.stream().allMatch(s -> !s.stale().contains(r) && v.equals(s.known().get(r)));
            if (everywhere) known.put(r, v);
        }
        return known;
    }

    /** Loop peeling: whether the folder's knowledge {@code end} at a back edge has every value {@code start} has. */
    static boolean implies(ValueFolder.State end, Map<Register, ValueFolder.Value> start, java.util.Set<Register> written) {
        for (Map.Entry<Register, ValueFolder.Value> e : start.entrySet()) {
            ValueFolder.Value v = e.getValue();
            if (v.base() != null && written.contains(v.base())) return false;
            if (end.stale().contains(e.getKey()) || !v.equals(end.known().get(e.getKey()))) return false;
        }
        return true;
    }

    /** Whether this loop trace gets a second copy of its body ({@link #emitSecondPass}). */
    private boolean peeling() {
        return peel && forwarding && path.loopsToHead();
    }

    /**
     * Loop peeling: the first copy's back edges jump to {@link #second}; here the second copy is
     * emitted, starting with the facts every one of those back edges leaves ({@link
     * StoredValues#carried}) and a folder that knows nothing (as at the start). Its back edges go to
     * its own start where their facts imply the ones it started with, else to {@link #start}. No
     * second copy (the label an alias of the start) when no fact is carried or the code is large.
     */
    private void emitSecondPass() {
        writtenOnPath = java.util.EnumSet.noneOf(Register.class);
        for (DecodedBlock block : blocks) {
            for (Instruction insn : block.instructions()) writtenOnPath.addAll(StoredValues.fullWritten(insn));
        }
        StoredValues.State carried = StoredValues.carried(firstEnds, writtenOnPath);
        if (carried.facts().isEmpty() && carriedKnown(firstEndsKnown, writtenOnPath).isEmpty()
                || buffer.position() > PEEL_LIMIT) {
            a.bindAt(second, start);
            return;
        }
        pass = 2;
        secondStart = carried;
        secondKnown = carriedKnown(firstEndsKnown, writtenOnPath);
        foldedEarlier += folder.folded();
        folder = new ValueFolder(a, copier);
        folder.restore(new ValueFolder.State(secondKnown, java.util.EnumSet.noneOf(Register.class)));
        stored.restore(carried);
        a.bind(second);
        emitFrom(0, 0);
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
