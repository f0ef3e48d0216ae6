package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * Which of a trace's {@link ValueGuard}s code generation applies, and the compare each becomes.
 * A guard is applied where its instruction is a plain load {@code mov r32, dword [mem]} or
 * {@code mov r64, qword [mem]} (opcode 8B, no prefix but REX, no segment, not RIP-relative; a
 * 64-bit value only when it fits a sign-extended imm32), or a zero-extending word load
 * {@code movzx r32, word [mem]} (CPython 3.11's code-unit fetch; compared as a word), not a specialised dispatch's table load
 * nor a sunk write, nor with its exit inside a head patch (its own trace's or another's), and the status flags are dead right after it on the path (the compare
 * overwrites them; its mismatch exit goes to the original code right after the load, which the
 * same scan covers). Guards elsewhere are left out: the load is then copied as it is.
 *
 * <p>Several guards at one load (one value each, most frequent first) make a <em>polymorphic</em>
 * guard: the load becomes a chain of compares, one per value, and the emitter emits the rest of
 * the path once per value, each copy folded with its value ({@link TraceEmitter}). The copies of a
 * trace multiply, so a polymorphic load is applied only while the trace's copies stay at most
 * {@value #MAX_COPIES}; one that would exceed it is left out whole (a guard on its most frequent
 * value alone would fail in the passes the others held). Stateless after construction; not
 * thread-safe only because nothing here needs to be.
 */
final class ValueGuards {
    private static final int MOV_LOAD = 0x8b;
    private static final int MOVZX_WORD = 0xb7;

    /** At most this many copies of a trace's path: the product of its polymorphic loads' value counts. */
    static final int MAX_COPIES = 8;

    private final Map<Long, List<ValueGuard>> applied = new HashMap<>();
    private final List<ValueGuard> appliedInOrder = new ArrayList<>();

    ValueGuards(List<DecodedBlock> blocks, List<ValueGuard> guards, int patchLength,
                LongPredicate insideAPatch, FlagsLiveness liveness,
                DispatchSpecialiser dispatches, SunkWrites sunk) {
        for (ValueGuard g : guards) {
            if (g.block() >= blocks.size()) continue;
            List<Instruction> body = blocks.get(g.block()).body();
            if (g.instruction() >= body.size()) continue;
            DispatchSpecialiser.Plan load = dispatches.planForLoad(g.block());
            if (load != null && load.loadIndex() == g.instruction()) continue;
            if (sunk.isSunk(g.block(), g.instruction())) continue;
            if (!comparable(body.get(g.instruction()), g.value())) continue;
            // its mismatch goes on right after the load: not inside the bytes the head patch overwrites
            if (g.block() == 0 && body.get(g.instruction()).nextAddress() < blocks.get(0).block().at().offset() + patchLength) {
                continue;
            }
            if (insideAPatch.test(body.get(g.instruction()).nextAddress())) continue; // another trace's head patch
            if (!liveness.deadAfterInstruction(g.block(), g.instruction(), j -> dispatches.planForJump(j) != null)) {
                continue;
            }
            List<ValueGuard> here = applied.computeIfAbsent(key(g.block(), g.instruction()), k -> new ArrayList<>());
            if (here.stream().noneMatch(h -> h.value() == g.value())) here.add(g);
        }
        limitCopies();
        for (ValueGuard g : guards) {
            List<ValueGuard> here = applied.get(key(g.block(), g.instruction()));
            if (here != null && here.contains(g)) appliedInOrder.add(g);
        }
    }

    /** Leaves out polymorphic loads, last on the path first, until the copies fit {@link #MAX_COPIES}. */
    private void limitCopies() {
        List<Long> polymorphic = applied.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .map(Map.Entry::getKey).sorted().toList();
        long copies = 1;
        for (long k : polymorphic) {
            int values = applied.get(k).size();
            if (copies * values > MAX_COPIES) {
                applied.remove(k);
            } else {
                copies *= values;
            }
        }
    }

    /** The guard applied at body instruction {@code position} of block {@code block} (its first value), or null. */
    ValueGuard at(int block, int position) {
        List<ValueGuard> here = applied.get(key(block, position));
        return here == null ? null : here.get(0);
    }

    /** Every value guarded at that instruction, most frequent first (more than one: polymorphic); empty if none. */
    List<ValueGuard> valuesAt(int block, int position) {
        return applied.getOrDefault(key(block, position), List.of());
    }

    /** The guards applied, in the order they were given. */
    List<ValueGuard> applied() {
        return List.copyOf(appliedInOrder);
    }

    private static long key(int block, int position) {
        return (long) block << 32 | position;
    }

    /** Whether {@code load} is a load this class turns into {@code cmp [mem], value}. */
    static boolean comparable(Instruction load, long value) {
        byte[] b = load.bytes();
        int op = afterRex(b);
        if (load.operands().size() != 2 || !(load.operands().get(0) instanceof RegisterOperand dst)
                || !(load.operands().get(1) instanceof MemoryOperand mem)) {
            return false;
        }
        if (mem.segment().isPresent()) return false;
        if (isTracingOr(load)) return value == 0; // or r8, byte [mem]: a zero byte leaves r8 as it is
        if (mem.isRipRelative() && !isWordLoad(load)) return false;
        if (isWordLoad(load)) {
            // RIP-relative too: CPython 3.11's DTrace semaphore, movzx ecx, word [rip + …]
            // CPython 3.11's instruction fetch, movzx r32, word [mem]: the value is the zero-extended code unit
            return (dst.sizeBytes() == 4 || dst.sizeBytes() == 8) && value == (value & 0xffff);
        }
        if (op >= b.length || (b[op] & 0xff) != MOV_LOAD || !load.mnemonic().equals("mov")) return false;
        boolean wide = op == 1 && (b[0] & 0x08) != 0;
        if (dst.sizeBytes() != (wide ? 8 : 4)) return false;
        return wide ? value == (int) value : value == (value & 0xffff_ffffL);
    }

    /**
     * {@code movzx r32|r64, word [mem]} (0F B7, no prefix but REX): a 16-bit code unit
     * zero-extended, as CPython 3.11's dispatch fetches {@code opcode | oparg << 8}.
     */
    static boolean isWordLoad(Instruction load) {
        byte[] b = load.bytes();
        int op = afterRex(b);
        return op + 1 < b.length && (b[op] & 0xff) == 0x0f && (b[op + 1] & 0xff) == MOVZX_WORD
                && load.mnemonic().equals("movzx") && load.operands().size() == 2
                && load.operands().get(1) instanceof MemoryOperand m && m.sizeBytes() == 2;
    }

    /**
     * {@code or r8, byte [mem]} (0A /r, no prefix but REX, not RIP-relative): CPython 3.11's
     * {@code or sil, byte [rsp + 0xb0]}, the {@code cframe.use_tracing} byte ORed into the opcode.
     * Guarded as {@code cmp byte [mem], 0} where every sample's low byte was zero (x | m == 0
     * only when m == 0); the {@code or} itself then changes no register and only the flags,
     * which are dead after it where a guard is applied.
     */
    static boolean isTracingOr(Instruction insn) {
        byte[] b = insn.bytes();
        int op = afterRex(b);
        return op < b.length && (b[op] & 0xff) == 0x0a && insn.mnemonic().equals("or") && insn.operands().size() == 2
                && insn.operands().get(0) instanceof RegisterOperand r && r.sizeBytes() == 1
                && insn.operands().get(1) instanceof MemoryOperand m && !m.isRipRelative() && m.segment().isEmpty();
    }

    /**
     * {@code cmp dword|qword [mem], imm32} with {@code load}'s own addressing bytes: the REX prefix
     * without its R bit (no register operand), opcode 81 /7, the load's ModRM (reg field 7), SIB
     * and displacement, then the value. For a word load ({@link #isWordLoad}) {@code cmp word
     * [mem], imm}: prefix 66, the REX prefix without W and R, 83 /7 with an imm8 where the value
     * is one sign-extended (no length-changing-prefix stall), else 81 /7 with an imm16; a
     * RIP-relative word load's displacement becomes a {@link TraceCode.RipData} fix-up in
     * {@code fixups}. For {@link #isTracingOr} {@code cmp byte [mem], 0} (80 /7 ib).
     */
    static void emitCompare(CodeBuffer buffer, Instruction load, long value, List<TraceCode.Fixup> fixups) {
        byte[] b = load.bytes();
        if (isTracingOr(load)) {
            int op = afterRex(b);
            emitRexWithout(buffer, b, 0x04);
            buffer.emit8(0x80);
            buffer.emit8((b[op + 1] & 0xc7) | 7 << 3);
            for (int i = op + 2; i < b.length; i++) buffer.emit8(b[i]);
            buffer.emit8(0);
            return;
        }
        boolean word = isWordLoad(load);
        boolean imm8 = word && (short) value == (byte) value;
        if (word) buffer.emit8(0x66);
        int op = afterRex(b);
        emitRexWithout(buffer, b, word ? 0x0c : 0x04);
        int modrm = word ? op + 2 : op + 1;
        buffer.emit8(imm8 ? 0x83 : 0x81);
        buffer.emit8((b[modrm] & 0xc7) | 7 << 3);
        int displacement = buffer.position();
        for (int i = modrm + 1; i < b.length; i++) {
            buffer.emit8(b[i]);
        }
        if (load.ripRelativeOperand().isPresent()) {
            buffer.patch32(displacement, 0);
            fixups.add(new TraceCode.RipData(displacement, load.ripRelativeTarget().getAsLong(), imm8 ? 1 : word ? 2 : 4));
        }
        if (imm8) {
            buffer.emit8((int) value);
        } else if (word) {
            buffer.emit16((int) value);
        } else {
            buffer.emit32((int) value);
        }
    }

    /** Where the opcode of {@code b} starts when its only prefix may be a REX (the forms this class takes). */
    private static int afterRex(byte[] b) {
        return (b[0] & 0xf0) == 0x40 ? 1 : 0;
    }

    /** The instruction's REX prefix without the {@code bits} a compare has no use for, unless nothing is left of it. */
    private static void emitRexWithout(CodeBuffer buffer, byte[] b, int bits) {
        if (afterRex(b) == 1) {
            int rex = (b[0] & 0xff) & ~bits;
            if (rex != 0x40) buffer.emit8(rex);
        }
    }
}
