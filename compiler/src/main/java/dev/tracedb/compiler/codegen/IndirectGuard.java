package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Label;
import dev.tracedb.machine.x86.encode.Mem;
import java.util.function.Consumer;

/**
 * Returns and indirect jumps and calls inside a trace: a guard that the computed target is the
 * recorded one. Two forms.
 *
 * <p><b>Compare guards</b> ({@code compare*}), where the status flags may be overwritten: returns
 * and indirect calls always (the ABI gives the flags no role across a call or return), indirect
 * jumps where {@link FlagsLiveness} and {@link FlagsRestore} allow it:
 * <pre>
 *   cmp  rax, [rip+slot E]     ; jmp rax / call rax: the register in place
 *   jne  mismatch              ; out of line: [flags recomputed] the original transfer
 *   [flags recomputed]         ; jumps only, where the code after reads them
 *
 *   mov  [rsp-8], rcx          ; ret, call [mem]: rcx kept in the red zone the transfer frees
 *   mov  rcx, [rsp]            ;   (jmp [mem]: pushed below the red zone, unless at a function's entry)
 *   cmp  rcx, [rip+slot E]
 *   mov  rcx, [rsp-8]
 *   jne  mismatch
 *   lea  rsp, [rsp+8+imm16]    ; ret: its pop
 * </pre>
 *
 * <p><b>Flags-free guards</b> ({@link #guardJump}), for indirect jumps where the flags must
 * survive and cannot be recomputed:
 *
 * <pre>
 *   lea  rsp, [rsp-128]        ; step over the red zone: it belongs to the program
 *   push rcx
 *   push rdx
 *   mov  rdx, TARGET           ; the branch's own operand (rsp-based ones adjusted), or [rsp+144] for ret
 *   lea  rcx, [rip+E]          ; the expected target (a REL32 relocation)
 *   not  rcx                   ; ~E = -E-1
 *   lea  rcx, [rdx+rcx+1]      ; T - E
 *   jrcxz match
 *   pop rdx; pop rcx; lea rsp, [rsp+128]
 *   ...the original transfer, executed as the program would have...
 * match:
 *   pop rdx; pop rcx; lea rsp, [rsp+128(+8+imm16 for ret)]
 *   ...(call: push the original return address)...
 * </pre>
 * A jump or call through a register other than rcx (an interpreter's {@code jmp rax} dispatch)
 * compares that register in place: only rcx is spilled and there is no load.
 * mov, lea, not, push, pop and jrcxz write no flags; scratch registers live on the stack below
 * the red zone (per thread, unlike a global slot), and every path restores them before any
 * other instruction runs, so the registers at each exit are the original ones.
 *
 * <p>A mismatch does what the original branch does: {@code ret} (with its immediate) and an
 * indirect {@code jmp} are executed as copied; an indirect call pushes the original return address
 * and jumps through the same operand (read with rsp 8 lower, as the call read it before its push).
 */
final class IndirectGuard {
    static final int RED_ZONE = 128;

    private final TraceEmitter emitter;
    private final Assembler a;
    private final InstructionCopier copier;

    IndirectGuard(TraceEmitter emitter, Assembler a, InstructionCopier copier) {
        this.emitter = emitter;
        this.a = a;
        this.copier = copier;
    }

    void guardJump(Instruction jmp, long expected, Label loopStart) {
        Label match = new Label("jump matches");
        Gpr register = targetRegister(jmp);
        int spills = register != null ? 1 : 2;
        enter(spills);
        if (register == null) {
            withOperand(jmp, frame(spills), r -> a.mov(Gpr.RDX, r), m -> a.mov(Gpr.RDX, m));
            register = Gpr.RDX;
        }
        compare(register, expected, match);
        leave(spills, 0);
        emitter.countGuardExit();
        copier.copyBranch(jmp);
        a.bind(match);
        leave(spills, 0);
        if (loopStart != null) {
            a.jmp(loopStart);
        }
    }

    // ---- compare guards: cmp + jne, for where the status flags may be overwritten

    /**
     * {@code ret [imm16]} with a {@code cmp}: the flags are dead across a return (System V ABI,
     * see {@link FlagsLiveness}), and so is everything below {@code rsp} once the return has
     * popped: the caller's red zone cannot survive the call that this return ends. So rcx is
     * kept at {@code [rsp-8]}, inside the red zone, where no signal frame goes, and rsp does not
     * move. A mismatch returns as the original does (out of line).
     */
    void compareReturn(int pop, long expected) {
        a.mov(Mem.of(Gpr.RSP, -8), Gpr.RCX);
        a.mov(Gpr.RCX, Mem.of(Gpr.RSP, 0));
        emitter.cmpWithSlot(Gpr.RCX, expected);
        a.mov(Gpr.RCX, Mem.of(Gpr.RSP, -8));
        a.jcc(Condition.NE, emitter.outOfLine(() -> {
            emitter.countGuardExit();
            BranchForms.emitReturn(a, pop);
        }));
        a.lea(Gpr.RSP, Mem.of(Gpr.RSP, 8 + pop));
    }

    /**
     * An indirect call with a {@code cmp}: the flags are dead at a function's entry (ABI), and
     * so is the red zone at a call (the call's own push overwrites it), which holds rcx when the
     * target is in memory. A mismatch leaves by the original call (out of line, see
     * {@link TraceEmitter#leaveByCall}).
     */
    void compareCall(Instruction call, long expected, Label loopStart) {
        Gpr register = compareRegister(call);
        if (register != null) {
            emitter.cmpWithSlot(register, expected);
        } else {
            a.mov(Mem.of(Gpr.RSP, -8), Gpr.RCX);
            withOperand(call, 0, r -> a.mov(Gpr.RCX, r), m -> a.mov(Gpr.RCX, m));
            emitter.cmpWithSlot(Gpr.RCX, expected);
            a.mov(Gpr.RCX, Mem.of(Gpr.RSP, -8));
        }
        a.jcc(Condition.NE, emitter.outOfLine(() -> {
            emitter.countGuardExit();
            emitter.leaveByCall(call);
        }));
        emitter.pushOriginal(call.nextAddress());
        if (loopStart != null) {
            a.jmp(loopStart);
        }
    }

    /**
     * An indirect jump with a {@code cmp}. {@code onMismatch} and {@code onMatch} restore the flags
     * where they may be read (null where they are dead). A jump through memory needs rcx as
     * scratch: kept at {@code [rsp-8]} when {@code redZoneDead} (a function's entry, e.g. a PLT
     * stub reached by a call), else pushed below the red zone.
     */
    void compareJump(Instruction jmp, long expected, Label loopStart, FlagsRestore onMismatch,
                     FlagsRestore onMatch, boolean redZoneDead) {
        Gpr register = compareRegister(jmp);
        if (register != null) {
            emitter.cmpWithSlot(register, expected);
        } else if (redZoneDead) {
            a.mov(Mem.of(Gpr.RSP, -8), Gpr.RCX);
            withOperand(jmp, 0, r -> a.mov(Gpr.RCX, r), m -> a.mov(Gpr.RCX, m));
            emitter.cmpWithSlot(Gpr.RCX, expected);
            a.mov(Gpr.RCX, Mem.of(Gpr.RSP, -8));
        } else {
            enter(1);
            withOperand(jmp, frame(1), r -> a.mov(Gpr.RCX, r), m -> a.mov(Gpr.RCX, m));
            emitter.cmpWithSlot(Gpr.RCX, expected);
            leave(1, 0);
        }
        a.jcc(Condition.NE, emitter.outOfLine(() -> {
            emitter.countGuardExit();
            if (onMismatch != null) {
                onMismatch.emit(a.buffer());
            }
            copier.copyBranch(jmp);
        }));
        if (onMatch != null) {
            onMatch.emit(a.buffer());
        }
        if (loopStart != null) {
            a.jmp(loopStart);
        }
    }

    /** The register of a {@code jmp reg}/{@code call reg} (any but rsp), compared in place; null for memory. */
    private static Gpr compareRegister(Instruction branch) {
        if (branch.operands().size() == 1 && branch.operands().get(0) instanceof RegisterOperand r
                && r.sizeBytes() == 8) {
            Gpr reg = gpr(r.register(), branch);
            return reg == Gpr.RSP ? null : reg;
        }
        return null;
    }

    /** An indirect call as the program makes it, but pushing the original return address. */
    void callNatively(Instruction call) {
        emitter.pushOriginal(call.nextAddress());
        withOperand(call, 8, a::jmp, a::jmp);
    }

    /**
     * Counting variant: loads the target of the indirect {@code branch} into rcx, rsp being
     * {@code rspAdjust} bytes lower than at the branch.
     */
    void loadTarget(Instruction branch, int rspAdjust) {
        withOperand(branch, rspAdjust, r -> a.mov(Gpr.RCX, r), m -> a.mov(Gpr.RCX, m));
    }

    /** rsp moves down by this much while a guard with {@code spills} scratch registers runs. */
    static int frame(int spills) {
        return RED_ZONE + 8 * spills;
    }

    /**
     * The register a {@code jmp reg}/{@code call reg} goes through, when the guard can compare it
     * in place (any but rcx, which the compare needs, and rsp); null for memory operands.
     */
    private static Gpr targetRegister(Instruction branch) {
        if (branch.operands().size() == 1 && branch.operands().get(0) instanceof RegisterOperand r
                && r.sizeBytes() == 8) {
            Gpr reg = gpr(r.register(), branch);
            return reg == Gpr.RCX || reg == Gpr.RSP ? null : reg;
        }
        return null;
    }

    /** Spills rcx (and rdx) below the red zone. */
    private void enter(int spills) {
        a.lea(Gpr.RSP, Mem.of(Gpr.RSP, -RED_ZONE));
        a.push(Gpr.RCX);
        if (spills == 2) {
            a.push(Gpr.RDX);
        }
    }

    /**
     * Jumps to {@code match} when {@code target} holds module offset {@code expected}. The
     * expected address comes from a RIP-relative {@code lea} (a REL32 relocation, no memory load).
     */
    private void compare(Gpr target, long expected, Label match) {
        a.lea(Gpr.RCX, Mem.rip(a.buffer().baseAddress()));
        int field = a.buffer().position() - 4;
        a.buffer().patch32(field, 0);
        emitter.ripOperand(field, expected);
        a.buffer().emit8(0x48); // not rcx: ~E = -E-1
        a.buffer().emit8(0xf7);
        a.buffer().emit8(0xd1);
        a.lea(Gpr.RCX, Mem.of(target, Gpr.RCX, 1, 1)); // T + ~E + 1 = T - E
        a.jrcxz(match);
    }

    /** Restores the spills and rsp, then pops {@code extra} more bytes (a return's own pop). */
    private void leave(int spills, int extra) {
        if (spills == 2) {
            a.pop(Gpr.RDX);
        }
        a.pop(Gpr.RCX);
        a.lea(Gpr.RSP, Mem.of(Gpr.RSP, RED_ZONE + extra));
    }

    /**
     * Emits an instruction that uses the branch's operand: {@code onRegister} for {@code jmp reg},
     * {@code onMemory} for {@code jmp [mem]}, with rsp-based addresses moved by {@code rspAdjust}
     * (rsp is that much lower here than at the branch) and a fs/gs override kept. Every other
     * register still holds the program's value when the operand is read: the spills only copied
     * rcx and rdx.
     */
    private void withOperand(Instruction branch, int rspAdjust, Consumer<Gpr> onRegister, Consumer<Mem> onMemory) {
        if (branch.operands().size() != 1) {
            throw new TraceRefusedException("indirect branch with " + branch.operands().size() + " operands: " + branch);
        }
        Operand operand = branch.operands().get(0);
        if (operand.sizeBytes() != 8) {
            throw new TraceRefusedException("indirect branch through a " + operand.sizeBytes() + "-byte operand: " + branch);
        }
        if (operand instanceof RegisterOperand r) {
            Gpr reg = gpr(r.register(), branch);
            if (reg == Gpr.RSP) {
                throw new TraceRefusedException("indirect branch through rsp: " + branch);
            }
            onRegister.accept(reg);
            return;
        }
        if (!(operand instanceof MemoryOperand m)) {
            throw new TraceRefusedException("indirect branch through an immediate: " + branch);
        }
        if (m.segment().isPresent()) {
            Register segment = m.segment().get();
            if (segment == Register.FS) {
                a.buffer().emit8(0x64);
            } else if (segment == Register.GS) {
                a.buffer().emit8(0x65);
            }
            // cs, ds, es and ss overrides mean nothing in 64-bit mode
        }
        if (m.isRipRelative()) {
            onMemory.accept(Mem.rip(a.buffer().baseAddress()));
            int field = a.buffer().position() - 4;
            a.buffer().patch32(field, 0);
            emitter.ripOperand(field, branch.ripRelativeTarget().getAsLong());
            return;
        }
        Gpr base = m.base().isPresent() ? gpr(m.base().get(), branch) : null;
        Gpr index = m.index().isPresent() ? gpr(m.index().get(), branch) : null;
        long disp = m.displacement() + (base == Gpr.RSP ? rspAdjust : 0);
        if (disp != (int) disp) {
            throw new TraceRefusedException("displacement out of range after adjusting for the guard: " + branch);
        }
        Mem mem;
        if (base != null && index != null) {
            mem = Mem.of(base, index, m.scale(), (int) disp);
        } else if (base != null) {
            mem = Mem.of(base, (int) disp);
        } else if (index != null) {
            mem = Mem.indexed(index, m.scale(), (int) disp);
        } else {
            mem = Mem.absolute((int) disp);
        }
        onMemory.accept(mem);
    }

    private static Gpr gpr(Register register, Instruction branch) {
        if (register.kind() != Register.Kind.GENERAL_PURPOSE || register.sizeBytes() != 8) {
            throw new TraceRefusedException("indirect branch through " + register + ": " + branch);
        }
        return Gpr.valueOf(register.name());
    }
}
