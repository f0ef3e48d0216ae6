package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.ImmediateOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Mem;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A small constant folder over a trace's path, for the registers computed from a guarded value
 * ({@link dev.tracedb.compiler.path.ValueGuard}). lua5.4's dispatch decodes its instruction word
 * into the opcode and the operand fields with moves, shifts, masks, zero-extensions and
 * {@code shl …, 4; add …, r10}; with the word known, those registers are constants or
 * {@code r10 + c}, and the instructions that compute them need not run.
 *
 * <p>The folder tracks, per 64-bit register, a {@link Value} the <em>original</em> code has there:
 * a constant, or a base register's current value plus a constant (the base register itself is
 * then not tracked and still holds what the original has). A folded instruction emits nothing: its
 * register becomes <em>stale</em> (the real register does not hold the original's value yet). A
 * stale register is written for real ({@link #materialize}: {@code mov r, imm} or {@code lea r,
 * [base + c]}, neither touching a flag) before any copied instruction reads it or writes part of
 * it, before its base register changes, inline where the emitter asks for all of them (before a
 * transfer it does not pass), and in every exit stub ({@link #pending}, emitted at the stub's
 * start), so that every side exit sees exactly the registers the original has there.
 *
 * <p>Folded forms ({@code d} a 32- or 64-bit register other than rsp; 32-bit results only when
 * constant): {@code mov d, s} and {@code movzx d, s8/s16} of a tracked source; a 16-bit {@code shl/shr/sar/and/or/xor d16,
 * imm} of a constant d (CPython 3.11's oparg, {@code shr r9w, 8}: the upper 48 bits kept); {@code shl/shr/sar
 * d, imm}, {@code and/or/xor/add/sub d, imm} of a tracked d; {@code add d, s} with d tracked;
 * {@code lea d, [b + i*s + c]} with b or i tracked. An instruction that writes flags is folded
 * only where the emitter says the flags are dead after it on the path; every instruction that
 * overwrites them and is itself folded was folded under the same rule, so the first kept one
 * comes before any reader or exit. CPython 3.11's tracing byte: {@code neg r16; sbb r8, r8} of a
 * constant fold as a pair ({@link #foldNegAndBorrow}), the byte register's low byte is then tracked
 * on its own ({@code lowBytes}), through {@code or r32, s32} with s constant (emitted as
 * {@code or r32, imm}), to {@code movzx d, r8}: the opcode. Not thread-safe: one folder per trace emission.
 */
final class ValueFolder {
    /** A register's value in the original: {@code offset}, plus {@code base}'s current value when base is not null. */
    record Value(Register base, long offset) {
        static Value constant(long value) {
            return new Value(null, value);
        }

        boolean isConstant() {
            return base == null;
        }
    }

    /**
     * A register the path has not written although the original has: what to write into it;
     * {@code lowByte}: only its low byte ({@code mov r8, imm8}), the rest is the real register's.
     */
    record Fix(Register register, Value value, boolean lowByte) {
        Fix(Register register, Value value) {
            this(register, value, false);
        }
    }

    private final Assembler a;
    private final InstructionCopier copier;
    private final Map<Register, Value> known = new EnumMap<>(Register.class);
    /** Tracked registers whose real content is not the original's yet; a subset of {@link #known}'s keys. */
    private final Set<Register> stale = EnumSet.noneOf(Register.class);
    /**
     * Registers of which only the low byte is known (CPython 3.11's {@code sbb sil, sil}, then
     * {@code or esi, eax}: the opcode in sil); the other bits are what the real register holds.
     * Never also in {@link #known}.
     */
    private final Map<Register, Long> lowBytes = new EnumMap<>(Register.class);
    /** Registers of {@link #lowBytes} whose real low byte is not the original's yet. */
    private final Set<Register> lowStale = EnumSet.noneOf(Register.class);
    private int foldedCount;

    ValueFolder(Assembler a, InstructionCopier copier) {
        this.a = a;
        this.copier = copier;
    }

    /** What the folder knows at one point of the path, to emit the rest of the path again from there. */
    record State(Map<Register, Value> known, Set<Register> stale) {}

    /** The folder's knowledge now ({@link #restore} returns to it). */
    State snapshot() {
        Map<Register, Value> k = new EnumMap<>(Register.class);
        k.putAll(known);
        Set<Register> st = EnumSet.noneOf(Register.class);
        st.addAll(stale);
        return new State(k, st);
    }

    /**
     * Back to {@code state}: a polymorphic value guard emits the rest of the path once per value,
     * each copy from the same point. The folded count keeps growing (every copy's folds count).
     */
    void restore(State state) {
        known.clear();
        known.putAll(state.known());
        stale.clear();
        stale.addAll(state.stale());
    }

    /** How many instructions were folded (not emitted) so far. */
    int folded() {
        return foldedCount;
    }

    /** The tracked value of 64-bit register {@code full}, if any. */
    Optional<Value> valueOf(Register full) {
        return Optional.ofNullable(known.get(full));
    }

    /**
     * Emits body instruction {@code insn}, or folds it. {@code flagsDead}: the status flags are
     * dead right after it on the path (so an instruction that writes them may be folded).
     */
    void emit(Instruction insn, BooleanSupplier flagsDead) {
        Folded f = known.isEmpty() && lowBytes.isEmpty() ? null : fold(insn, flagsDead);
        if (f != null) {
            write(f.register(), f.value());
            foldedCount++;
            return;
        }
        if (logicIntoLowByte(insn)) return;
        Set<Register> reads = gprsRead(insn);
        Set<Register> writes = gprsWritten(insn);
        Set<Register> need = EnumSet.noneOf(Register.class);
        for (Register r : reads) {
            if (stale.contains(r)) need.add(r);
        }
        for (Register w : writes) {
            boolean wholeWithoutReading = DispatchSpecialiser.overwritesWhole(insn, w) && !reads.contains(w);
            if (stale.contains(w) && !wholeWithoutReading) need.add(w);
        }
        for (Register r : reads) {
            if (lowStale.contains(r)) need.add(r);
        }
        for (Register w : writes) {
            if (lowStale.contains(w)) need.add(w);
        }
        materialize(need);
        for (Register w : writes) {
            overwritten(w);
        }
        copier.copy(insn);
    }

    /**
     * {@code neg r} of a constant register followed by {@code sbb r8, r8} (the same byte register
     * twice) whose flags are dead after it: CPython 3.11's {@code neg cx; sbb sil, sil}, the DTrace
     * semaphore turned into 0 or 0xff. The carry {@code neg} sets (operand nonzero) is read by the
     * {@code sbb} only, so both fold: the negated register as a constant, the byte register's low
     * byte as known ({@link #lowBytes}). Returns false, folding nothing, for any other pair.
     */
    boolean foldNegAndBorrow(Instruction neg, Instruction sbb, boolean flagsDeadAfterSbb) {
        if (!flagsDeadAfterSbb || !neg.mnemonic().equals("neg") || !sbb.mnemonic().equals("sbb")
                || hasAddressSizePrefix(neg) || hasAddressSizePrefix(sbb)
                || neg.operands().size() != 1 || !(neg.operands().get(0) instanceof RegisterOperand n)
                || sbb.operands().size() != 2 || !(sbb.operands().get(0) instanceof RegisterOperand d)
                || !(sbb.operands().get(1) instanceof RegisterOperand s) || d.register() != s.register()
                || d.sizeBytes() != 1 || !isGpr(d.register()) || isHighByte(d.register())
                || !isGpr(n.register()) || isHighByte(n.register()) || n.register().full() == Register.RSP) {
            return false;
        }
        Register nr = n.register().full();
        Value v = known.get(nr);
        int size = n.sizeBytes();
        if (v == null || !v.isConstant() || size == 1) return false;
        long mask = size == 8 ? -1L : (1L << (size * 8)) - 1;
        long operand = v.offset() & mask;
        long negated = -operand & mask;
        long result = switch (size) {
            case 2 -> v.offset() & ~0xffffL | negated;
            case 4 -> negated;
            default -> negated;
        };
        long borrowed = operand != 0 ? 0xff : 0;
        Register br = d.register().full();
        if (br == nr) return false;
        write(nr, Value.constant(result));
        Value bv = known.get(br);
        if (bv != null && bv.isConstant()) {
            write(br, Value.constant(bv.offset() & ~0xffL | borrowed));
        } else {
            overwritten(br);
            lowBytes.put(br, borrowed);
            lowStale.add(br);
        }
        foldedCount += 2;
        return true;
    }

    /**
     * {@code or/and/xor d32, s32} with s a constant and d's low byte known (CPython 3.11's
     * {@code or esi, eax}: the tracing byte ORed with the code unit): emitted as
     * {@code or d32, imm32} (the same flags and result, s need not be written), after which d's
     * low byte is known, for {@code movzx eax, sil} to fold into the opcode.
     */
    private boolean logicIntoLowByte(Instruction insn) {
        String op = insn.mnemonic();
        if (!(op.equals("or") || op.equals("and") || op.equals("xor")) || hasAddressSizePrefix(insn)
                || insn.operands().size() != 2 || !(insn.operands().get(0) instanceof RegisterOperand d)
                || !(insn.operands().get(1) instanceof RegisterOperand s) || d.sizeBytes() != 4 || s.sizeBytes() != 4
                || !isGpr(d.register()) || !isGpr(s.register())) {
            return false;
        }
        Register dr = d.register().full();
        Value sv = known.get(s.register().full());
        if (!lowBytes.containsKey(dr) || sv == null || !sv.isConstant() || dr == s.register().full()) return false;
        long low = lowBytes.get(dr);
        materialize(List.of(dr));
        // or/and/xor r32, imm (83 /digit ib or 81 /digit id): 32 bits, so the upper half is zeroed as by the original
        Gpr reg = Gpr.valueOf(dr.name());
        int imm = (int) sv.offset();
        int digit = switch (op) {
            case "or" -> 1;
            case "and" -> 4;
            default -> 6;
        };
        CodeBuffer buffer = a.buffer();
        if (reg.encoding() >= 8) buffer.emit8(0x41);
        boolean imm8 = imm == (byte) imm;
        buffer.emit8(imm8 ? 0x83 : 0x81);
        buffer.emit8(0xc0 | digit << 3 | reg.encoding() & 7);
        if (imm8) {
            buffer.emit8(imm);
        } else {
            buffer.emit32(imm);
        }
        long x = logic(op, Value.constant(low), sv.offset() & 0xff).offset() & 0xff;
        lowBytes.put(dr, x); // the real register holds it: not stale
        return true;
    }

    /** The guarded load wrote {@code full} with {@code value} in the original; the path has not loaded it. */
    void loaded(Register full, long value) {
        write(full, Value.constant(value));
    }

    /**
     * The original writes {@code full} here with a value not tracked, which the real register gets
     * some other way or which nothing reads before it is overwritten again (a sunk write, a
     * specialised dispatch's register). Values based on it are written out first.
     */
    void overwritten(Register full) {
        lowBytes.remove(full);
        lowStale.remove(full);
        List<Register> dependents = dependentsOf(full);
        materialize(dependents.stream().filter(stale::contains).toList());
        dependents.forEach(known::remove);
        known.remove(full);
        stale.remove(full);
    }

    /** Writes out, inline, those of {@code registers} that are stale. */
    void materialize(Collection<Register> registers) {
        for (Register r : List.copyOf(registers)) {
            if (stale.remove(r)) {
                emit(a, new Fix(r, known.get(r)));
            }
            if (lowStale.remove(r)) {
                emit(a, new Fix(r, Value.constant(lowBytes.get(r)), true));
            }
        }
    }

    /** Writes out every stale register inline and forgets every value (calls, returns, guarded transfers). */
    void reset() {
        materializeAll();
        known.clear();
        lowBytes.clear();
    }

    /** The 64-bit register a {@code lea}/{@code mov} (a sunk write) writes, if it is one. */
    static Optional<Register> destinationOf(Instruction insn) {
        if (!insn.operands().isEmpty() && insn.operands().get(0) instanceof RegisterOperand d && isGpr(d.register())) {
            return Optional.of(d.register().full());
        }
        return Optional.empty();
    }

    private static boolean hasAddressSizePrefix(Instruction insn) {
        byte[] b = insn.bytes();
        for (int i = 0; i < b.length; i++) {
            int x = b[i] & 0xff;
            if (x == 0x67) return true;
            if (x != 0x66 && x != 0xf2 && x != 0xf3 && x != 0xf0 && x != 0x2e && x != 0x36 && x != 0x3e
                    && x != 0x26 && x != 0x64 && x != 0x65) {
                return false;
            }
        }
        return false;
    }

    /** Writes out every stale register inline; what is tracked stays tracked (it now holds for real). */
    void materializeAll() {
        materialize(List.copyOf(stale));
        materialize(List.copyOf(lowStale));
    }

    /** The stale registers now, for an exit stub to write out ({@link #emit(Assembler, List)}) before it leaves. */
    List<Fix> pending() {
        List<Fix> fixes = new ArrayList<>();
        for (Register r : stale) {
            fixes.add(new Fix(r, known.get(r)));
        }
        for (Register r : lowStale) {
            fixes.add(new Fix(r, Value.constant(lowBytes.get(r)), true));
        }
        return fixes;
    }

    static void emit(Assembler a, List<Fix> fixes) {
        for (Fix fix : fixes) {
            emit(a, fix);
        }
    }

    private static void emit(Assembler a, Fix fix) {
        Gpr reg = Gpr.valueOf(fix.register().name());
        Value v = fix.value();
        if (fix.lowByte()) {
            // mov r8, imm8 (B0+r ib; a REX prefix for spl/bpl/sil/dil and r8b-r15b): no flag, the upper bits kept
            CodeBuffer buffer = a.buffer();
            if (reg.encoding() >= 4) buffer.emit8(0x40 | (reg.encoding() >= 8 ? 1 : 0));
            buffer.emit8(0xb0 | (reg.encoding() & 7));
            buffer.emit8((int) v.offset());
            return;
        }
        if (v.isConstant()) {
            a.mov(reg, v.offset());
        } else {
            a.lea(reg, Mem.of(Gpr.valueOf(v.base().name()), (int) v.offset()));
        }
    }

    private record Folded(Register register, Value value) {}

    private void write(Register full, Value value) {
        lowBytes.remove(full);
        lowStale.remove(full);
        List<Register> dependents = dependentsOf(full);
        materialize(dependents.stream().filter(stale::contains).toList());
        dependents.forEach(known::remove);
        known.put(full, value);
        stale.add(full);
    }

    private List<Register> dependentsOf(Register full) {
        List<Register> dependents = new ArrayList<>();
        for (Map.Entry<Register, Value> e : known.entrySet()) {
            if (e.getValue().base() == full && e.getKey() != full) dependents.add(e.getKey());
        }
        return dependents;
    }

    /** The folded result of {@code insn}, or null when it is not one of the folded forms with tracked inputs. */
    private Folded fold(Instruction insn, BooleanSupplier flagsDeadAfter) {
        if (hasAddressSizePrefix(insn)) return null;
        List<Operand> ops = insn.operands();
        if (ops.size() != 2 || !(ops.get(0) instanceof RegisterOperand dst)) return null;
        Register d = dst.register().full();
        int size = dst.sizeBytes();
        if (dst.register().kind() != Register.Kind.GENERAL_PURPOSE || d == Register.RSP || d == Register.RIP
                || isHighByte(dst.register())) {
            return null;
        }
        if (size == 2) return foldWord(insn, d, flagsDeadAfter);
        if (size != 4 && size != 8) return null;
        Operand src = ops.get(1);
        boolean writesFlags = !insn.mnemonic().equals("mov") && !insn.mnemonic().equals("movzx")
                && !insn.mnemonic().equals("lea");
        boolean flagsDead = writesFlags && flagsDeadAfter.getAsBoolean();
        Value result = switch (insn.mnemonic()) {
            case "mov" -> src instanceof RegisterOperand s && s.sizeBytes() == size && isGpr(s.register())
                    ? known.get(s.register().full()) : null;
            case "movzx" -> src instanceof RegisterOperand s && (s.sizeBytes() == 1 || s.sizeBytes() == 2)
                    && isGpr(s.register()) && !isHighByte(s.register())
                    ? constantOf(s.sizeBytes() == 1 && lowBytes.containsKey(s.register().full())
                            ? Value.constant(lowBytes.get(s.register().full())) : known.get(s.register().full()),
                            s.sizeBytes() == 1 ? 0xff : 0xffff) : null;
            case "shl", "shr", "sar" -> flagsDead && src instanceof ImmediateOperand imm
                    ? shift(insn.mnemonic(), known.get(d), size, imm.value()) : null;
            case "and", "or", "xor" -> flagsDead && src instanceof ImmediateOperand imm
                    ? logic(insn.mnemonic(), known.get(d), imm.value()) : null;
            case "add", "sub" -> flagsDead ? sum(insn.mnemonic().equals("sub"), known.get(d), src, size) : null;
            case "lea" -> src instanceof MemoryOperand m ? address(m) : null;
            default -> null;
        };
        if (result == null) return null;
        if (size == 4) {
            if (!result.isConstant()) return null;
            result = Value.constant(result.offset() & 0xffff_ffffL);
        }
        if (result.base() == d) return null; // it would depend on the value it overwrites
        if (!result.isConstant() && result.offset() != (int) result.offset()) return null; // lea's disp32
        return new Folded(d, result);
    }

    /**
     * A 16-bit {@code shl/shr/sar d16, imm} or {@code and/or/xor d16, imm} of a constant register
     * (CPython 3.11's {@code shr r9w, 8}: the oparg from the code unit): the low word computed,
     * the upper 48 bits kept, as the CPU does. Flags as for the 32-bit forms.
     */
    private Folded foldWord(Instruction insn, Register d, BooleanSupplier flagsDeadAfter) {
        Value v = known.get(d);
        if (v == null || !v.isConstant() || !(insn.operands().get(1) instanceof ImmediateOperand imm)) return null;
        String op = insn.mnemonic();
        boolean shift = op.equals("shl") || op.equals("shr") || op.equals("sar");
        boolean logic = op.equals("and") || op.equals("or") || op.equals("xor");
        if ((!shift && !logic) || !flagsDeadAfter.getAsBoolean()) return null;
        long x = v.offset() & 0xffff;
        long word;
        if (shift) {
            int n = (int) (imm.value() & 31);
            word = switch (op) {
                case "shl" -> x << n;
                case "shr" -> x >>> n;
                default -> (long) (short) x >> n;
            };
        } else {
            word = logic(op, Value.constant(x), imm.value()).offset();
        }
        return new Folded(d, Value.constant(v.offset() & ~0xffffL | word & 0xffff));
    }

    private static Value constantOf(Value v, long mask) {
        return v != null && v.isConstant() ? Value.constant(v.offset() & mask) : null;
    }

    private static Value shift(String op, Value v, int size, long count) {
        if (v == null || !v.isConstant()) return null;
        int n = (int) (count & (size == 8 ? 63 : 31));
        long x = size == 8 ? v.offset() : v.offset() & 0xffff_ffffL;
        long r = switch (op) {
            case "shl" -> x << n;
            case "shr" -> x >>> n;
            default -> size == 8 ? x >> n : (long) ((int) x >> n);
        };
        return Value.constant(r);
    }

    private static Value logic(String op, Value v, long imm) {
        if (v == null || !v.isConstant()) return null;
        long x = v.offset();
        return Value.constant(switch (op) {
            case "and" -> x & imm;
            case "or" -> x | imm;
            default -> x ^ imm;
        });
    }

    /** {@code add/sub d, imm} or {@code add/sub d, s}: d must be tracked; a register source counts as itself if untracked. */
    private Value sum(boolean subtract, Value dv, Operand src, int size) {
        if (dv == null) return null;
        Value sv;
        if (src instanceof ImmediateOperand imm) {
            sv = Value.constant(imm.value());
        } else if (src instanceof RegisterOperand s && s.sizeBytes() == size && isGpr(s.register())) {
            sv = valueOrItself(s.register().full());
        } else {
            return null;
        }
        if (subtract) {
            return sv.isConstant() ? new Value(dv.base(), dv.offset() - sv.offset()) : null;
        }
        return combine(dv, sv);
    }

    /** {@code lea}: base + index*scale + disp, with the base or the index tracked. */
    private Value address(MemoryOperand m) {
        if (m.segment().isPresent() || m.isRipRelative()) return null;
        Register b = m.base().map(Register::full).orElse(null);
        Register i = m.index().map(Register::full).orElse(null);
        if ((b == null || !known.containsKey(b)) && (i == null || !known.containsKey(i))) return null;
        Value bv = b == null ? Value.constant(0) : valueOrItself(b);
        Value iv = i == null ? Value.constant(0) : valueOrItself(i);
        if (!iv.isConstant() && m.scale() != 1) return null;
        Value scaled = new Value(iv.base(), iv.offset() * m.scale());
        Value sum = combine(bv, scaled);
        return sum == null ? null : new Value(sum.base(), sum.offset() + m.displacement());
    }

    private static Value combine(Value x, Value y) {
        if (x.base() != null && y.base() != null) return null;
        return new Value(x.base() != null ? x.base() : y.base(), x.offset() + y.offset());
    }

    private Value valueOrItself(Register full) {
        Value v = known.get(full);
        return v != null ? v : new Value(full, 0);
    }

    private static boolean isGpr(Register r) {
        return r.kind() == Register.Kind.GENERAL_PURPOSE && r.full() != Register.RIP;
    }

    private static boolean isHighByte(Register r) {
        return r == Register.AH || r == Register.BH || r == Register.CH || r == Register.DH;
    }

    private static Set<Register> gprsRead(Instruction insn) {
        Set<Register> regs = EnumSet.noneOf(Register.class);
        for (Register r : insn.registersRead()) {
            if (isGpr(r)) regs.add(r.full());
        }
        for (Operand o : insn.operands()) {
            if (o instanceof MemoryOperand m) {
                m.base().filter(ValueFolder::isGpr).ifPresent(r -> regs.add(r.full()));
                m.index().filter(ValueFolder::isGpr).ifPresent(r -> regs.add(r.full()));
            }
        }
        return regs;
    }

    private static Set<Register> gprsWritten(Instruction insn) {
        Set<Register> regs = EnumSet.noneOf(Register.class);
        for (Register r : insn.registersWritten()) {
            if (isGpr(r)) regs.add(r.full());
        }
        return regs;
    }
}
