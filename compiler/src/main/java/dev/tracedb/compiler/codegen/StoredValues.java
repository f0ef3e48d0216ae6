package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.ImmediateOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Operand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Store-to-load forwarding along a trace's straight path: the memory cells the path wrote with a
 * plain store, and what holds the stored value, so that a later load of exactly the same cell needs
 * no memory access. lua5.4 writes each instruction's result into its stack slot ({@code mov byte
 * [rbx + 8], 0x13; movsd [rbx], xmm0}) and the next instruction reads it back from there
 * ({@code movzx esi, byte [rdx + 8]; cmp sil, 0x13; …; movsd xmm1, [rdx]}), with rbx and rdx both
 * {@code r10 + 0x100} once {@link ValueFolder} knows the instruction word.
 *
 * <p>A cell is a symbolic address, a base register's <em>original</em> value plus a constant
 * (the folder's {@link ValueFolder.Value}s are followed, so {@code [rbx + 8]} with rbx known as
 * {@code r10 + 0x100} is the cell {@code r10 + 0x108}), and a size. A fact says that the cell holds
 * an immediate, or the original value a register had when it was stored and still has. Facts are
 * recorded by {@code mov [m], r/imm} (1, 2, 4, 8 bytes, r not a high-byte register) and
 * {@code movsd/movq [m], xmm}; a later load of the same cell and size is forwarded:
 * <ul>
 * <li>an immediate in a 4/8-byte {@code mov r, [m]} or {@code movzx r, byte/word [m]}: the folder
 *     takes the register as a known constant ({@link ValueFolder#loaded}), written only where
 *     needed and in every exit stub, and a compare of it then decides its guard (the emitter);</li>
 * <li>a register: a register move in place of the load ({@code mov r64, r64}, {@code mov r32, r32},
 *     {@code movzx r32, r8/r16}, {@code movq xmm, xmm}, {@code movq xmm, r64}, {@code movq r64, xmm}),
 *     or nothing when the load's destination is that register and already holds exactly what the
 *     load would leave there (64-bit GPRs; an XMM register whose bits 127:64 are known zero, as
 *     {@code movsd xmm, m64} leaves them).</li>
 * </ul>
 * The destination is written where the load was, so every later exit sees it as the original has it.
 * A load the path makes as it is (or forwards by a move) leaves a fact too: its destination holds
 * the cell ({@code x * x}: the second load of the slot is a {@code movq}). Such a fact dies at the
 * next memory read of anything: under x86-TSO two loads of one cell with another read between
 * may return different values (another thread's two stores, seen in order), with none between
 * they may not. Loads the path does not make as they are (value guards, specialised dispatch
 * loads) record nothing ({@link #visit(Instruction, boolean)}).
 *
 * <p>Facts die conservatively: a write of a cell's base register or of its value register (any
 * width); a memory write that may overlap (the same base with overlapping bytes, or any other
 * base, or an address not resolved; a memory destination counts as written whatever the decoder
 * says, {@link #mayWrite}); everything at an instruction that may write memory in a way not
 * analysed here (an implicit write: push, call, enter, string instructions, {@code maskmov*},
 * state saves, x87 stores, {@code bts/btr/btc [m], reg}; a {@code lock} prefix; fences;
 * {@code xchg}/{@code cmpxchg}; a memory operand whose access the decoder does not know) or
 * registers the decoder does not list (state restores, {@code vzeroall}), and at every call, return
 * and indirect transfer (the emitter, {@link #killAll}). Between the store and the forwarded load no
 * fence or locked instruction runs, so reading the own store back without a memory access is one of
 * the outcomes x86-TSO allows (store-buffer forwarding), also with other threads.
 *
 * <p>Known limit: a signal handler on the same thread that writes a forwarded cell between the
 * store (or the first load) and the forwarded load is not seen by that load, where the original
 * would see it (a {@code volatile sig_atomic_t} flag reached through a register, e.g. a global
 * through the GOT; RIP-relative cells are never tracked); a load of it on a later pass, or after a
 * call, sees it.
 *
 * <p>One instance per trace emission, not thread-safe; {@link #snapshot}/{@link #restore} for a
 * polymorphic value guard's copies.
 */
final class StoredValues {
    /** {@code size} bytes at {@code base}'s original value (null: none) plus {@code offset}. */
    record Cell(Register base, long offset, int size) {
        boolean overlaps(Cell other) {
            return offset < other.offset + other.size && other.offset < offset + size;
        }
    }

    /**
     * {@code cell} holds {@code register}'s low {@code cell.size()} bytes, or {@code immediate} when
     * register is null; {@code loaded}: learnt from a load, not a store (it dies at the next memory
     * read, see the class).
     */
    record Fact(Cell cell, Register register, long immediate, boolean loaded) {
        Fact(Cell cell, Register register, long immediate) {
            this(cell, register, immediate, false);
        }
    }

    /** How a load is forwarded. */
    enum Kind {
        /** {@code destination} (a full GPR) gets the constant {@code value} ({@link ValueFolder#loaded}). */
        CONSTANT,
        /** {@code code} (a register move, no flag) in place of the load; {@code source} is read, {@code destination} written. */
        MOVE,
        /** Nothing: the destination already holds what the load would leave. */
        DROP
    }

    /**
     * A forwarded load. {@code destination} and {@code source}: full registers (GPR or XMM);
     * source null for {@link Kind#CONSTANT}.
     */
    record Forward(Kind kind, Register destination, long value, Register source, byte[] code) {}

    private static final Set<String> UPPER_KEPT = Set.of("addsd", "subsd", "mulsd", "divsd", "minsd", "maxsd",
            "sqrtsd", "cvtsi2sd", "cvtss2sd", "cmpsd", "roundsd", "addss", "subss", "mulss", "divss", "cvtsi2ss",
            "cvtsd2ss", "sqrtss", "minss", "maxss");

    private final Function<Register, Optional<ValueFolder.Value>> values;
    private List<Fact> facts = new ArrayList<>();
    /** XMM registers whose bits 127:64 are known zero. */
    private Set<Register> upperZero = EnumSet.noneOf(Register.class);
    private int forwarded;

    /** @param values the folder's tracked value of a full GPR, if any ({@link ValueFolder#valueOf}) */
    StoredValues(Function<Register, Optional<ValueFolder.Value>> values) {
        this.values = values;
    }

    /** What {@link #restore} returns to. */
    record State(List<Fact> facts, Set<Register> upperZero) {}

    State snapshot() {
        Set<Register> upper = EnumSet.noneOf(Register.class);
        upper.addAll(upperZero);
        return new State(List.copyOf(facts), upper);
    }

    void restore(State state) {
        facts = new ArrayList<>(state.facts());
        upperZero = EnumSet.noneOf(Register.class);
        upperZero.addAll(state.upperZero());
    }

    /**
     * Loop peeling: what holds at the start of a loop trace's second copy, given the states at the
     * ends of the first pass ({@code ends}, one per way the pass reaches its back edge): the facts
     * every end has (a store fact only where every end has it as a store fact, else as a load fact),
     * dropping facts whose cell is keyed on a register the path writes anywhere ({@code written}:
     * the cell's key, the base's value at the pass's start, would change from pass to pass), and
     * the XMM registers whose bits 127:64 every end knows as zero.
     */
    static State carried(List<State> ends, Set<Register> written) {
        if (ends.isEmpty()) return new State(List.of(), EnumSet.noneOf(Register.class));
        List<Fact> facts = new ArrayList<>();
        for (Fact f : ends.get(0).facts()) {
            if (keyedOnWritten(f, written)) continue;
            boolean loaded = f.loaded();
            boolean everywhere = true;
            for (State end : ends.subList(1, ends.size())) {
                Fact g = best(end.facts(), f, written);
                if (g == null) {
                    everywhere = false;
                    break;
                }
                loaded |= g.loaded();
            }
            Fact carried = new Fact(f.cell(), f.register(), f.immediate(), loaded);
            if (everywhere && !facts.contains(carried)) facts.add(carried);
        }
        Set<Register> upper = EnumSet.noneOf(Register.class);
        upper.addAll(ends.get(0).upperZero());
        for (State end : ends) upper.retainAll(end.upperZero());
        return new State(List.copyOf(facts), upper);
    }

    /**
     * Whether the state {@code end} at a back edge implies {@code start}, the state a copy of the
     * body was emitted with: every fact of start holds at end (a load fact is implied by the same
     * fact from a store or a load, a store fact only by a store fact), and every XMM register start
     * knows as upper-zero end knows too. Facts keyed on registers in {@code written} never hold.
     */
    static boolean implies(State end, State start, Set<Register> written) {
        for (Fact s : start.facts()) {
            if (keyedOnWritten(s, written)) return false;
            Fact e = best(end.facts(), s, written);
            if (e == null || e.loaded() && !s.loaded()) return false;
        }
        return end.upperZero().containsAll(start.upperZero());
    }

    /** The fact of {@code facts} that says what {@code f} says, preferring a store fact; null if none. */
    private static Fact best(List<Fact> facts, Fact f, Set<Register> written) {
        Fact found = null;
        for (Fact g : facts) {
            if (keyedOnWritten(g, written) || !g.cell().equals(f.cell()) || g.register() != f.register()
                    || g.register() == null && g.immediate() != f.immediate()) {
                continue;
            }
            if (found == null || found.loaded() && !g.loaded()) found = g;
        }
        return found;
    }

    private static boolean keyedOnWritten(Fact f, Set<Register> written) {
        return f.cell().base() != null && written.contains(f.cell().base());
    }

    /** The full registers (GPRs; XMM registers by number) {@code insn} writes. */
    static Set<Register> fullWritten(Instruction insn) {
        Set<Register> out = EnumSet.noneOf(Register.class);
        for (Register r : insn.registersWritten()) out.add(isVector(r) ? vector(r) : r.full());
        return out;
    }

    /** How many loads were forwarded so far. */
    int forwarded() {
        return forwarded;
    }

    /** The facts now (tests). */
    List<Fact> facts() {
        return List.copyOf(facts);
    }

    /** Forgets every fact (calls, returns, indirect transfers, anything not analysed). */
    void killAll() {
        facts.clear();
        upperZero.clear();
    }

    /**
     * Path instruction {@code insn}, as the original runs it, with the folder's knowledge from
     * before it: the forwarding of it when it is a load of a known cell (the caller emits it in
     * place of the instruction, or ignores it and emits something else that has the same effect),
     * and the facts updated by its writes. Every instruction the path runs must pass here, in order.
     */
    Optional<Forward> visit(Instruction insn) {
        return visit(insn, true);
    }

    /**
     * {@link #visit(Instruction)}; {@code asItIs}: the caller emits {@code insn} as it is (or the
     * forwarding returned), so a load's destination then holds the loaded value, which later loads
     * of the same cell may take; false where the path emits something else in its place (a value
     * guard, a specialised dispatch, a sunk write), whose destination may hold another value.
     */
    Optional<Forward> visit(Instruction insn, boolean asItIs) {
        Optional<Forward> forward = forwardOf(insn);
        Fact source = forward.isPresent() ? sourceFact : null;
        if (!asItIs || forward.isEmpty()) forgetLoadsIfReading(insn);
        update(insn);
        if (asItIs) rememberLoad(insn, forward.orElse(null), source);
        return forward;
    }

    /** The fact {@link #forwardOf} used last. */
    private Fact sourceFact;

    /**
     * After a plain load run as it is ({@code mov r32/r64, [m]}, {@code movzx r, byte/word [m]},
     * {@code movsd/movq xmm, [m]}), or forwarded by a register move: the cell holds what its
     * destination now holds.
     */
    private void rememberLoad(Instruction insn, Forward forward, Fact source) {
        if (forward != null && forward.kind() == Kind.CONSTANT) return; // the constant's own fact stays
        List<Operand> ops = insn.operands();
        if (ops.size() != 2 || !(ops.get(0) instanceof RegisterOperand dst) || !(ops.get(1) instanceof MemoryOperand mem)
                || !mem.access().reads() || hasPrefix(insn, 0x67) || hasPrefix(insn, 0xf0)) {
            return;
        }
        Cell cell = cellOf(mem);
        if (cell == null) return;
        Register d = dst.register();
        String m = insn.mnemonic();
        Register holder = null;
        if (m.equals("mov") && isGpr(d) && !isHighByte(d) && (cell.size() == 4 || cell.size() == 8)
                && dst.sizeBytes() == cell.size() && d.full() != Register.RSP) {
            holder = d.full();
        } else if (m.equals("movzx") && isGpr(d) && (cell.size() == 1 || cell.size() == 2) && d.full() != Register.RSP) {
            holder = d.full();
        } else if ((m.equals("movsd") || m.equals("movq")) && isXmm(d) && cell.size() == 8) {
            holder = vector(d);
        }
        if (holder == null) return;
        if (cell.base() == holder) return; // mov rax, [rax]: the address is gone
        boolean loaded = source == null || source.loaded();
        facts.add(new Fact(cell, holder, 0, loaded));
    }

    /**
     * A memory read (other than one forwarded) ends every fact learnt from a load: two loads of
     * one cell with no other read between may return the same value under x86-TSO, with another
     * read between they may not (another thread's two stores, seen in order).
     */
    private void forgetLoadsIfReading(Instruction insn) {
        if (readsMemory(insn)) facts.removeIf(Fact::loaded);
    }

    private static boolean readsMemory(Instruction insn) {
        if (writesMemoryUnknown(insn) || isStringInstruction(insn)) return true;
        String m = insn.mnemonic();
        String base = m.substring(m.lastIndexOf(' ') + 1);
        if (base.startsWith("pop") || base.equals("leave") || base.startsWith("xlat") || base.startsWith("ret")
                || base.startsWith("iret")) {
            return true;
        }
        if (NO_ACCESS.contains(base)) return false;
        return insn.operands().stream().anyMatch(o -> o instanceof MemoryOperand mem
                && (mem.access().reads() || mem.access() == dev.tracedb.machine.x86.decode.Access.NONE));
    }

    /** Counts a forwarding the caller applied. */
    void applied() {
        forwarded++;
    }

    /**
     * A terminator that the path passes without leaving the trace and that writes no memory (a
     * direct or conditional jump, a dispatch the index guard decided): its register writes only.
     */
    void passBranch(Instruction branch) {
        killWritten(branch);
    }

    // ---- forwarding

    private Optional<Forward> forwardOf(Instruction insn) {
        String m = insn.mnemonic();
        List<Operand> ops = insn.operands();
        if (ops.size() != 2 || !(ops.get(0) instanceof RegisterOperand dst) || !(ops.get(1) instanceof MemoryOperand mem)
                || !mem.access().reads() || hasPrefix(insn, 0x67) || hasPrefix(insn, 0xf0)) {
            return Optional.empty();
        }
        Cell cell = cellOf(mem);
        if (cell == null) return Optional.empty();
        Register wanted = isXmm(dst.register()) ? vector(dst.register()) : dst.register().full();
        Fact fact = null;
        for (Fact f : facts) {
            // the latest fact of the cell, but one whose register is the load's destination first (nothing to move)
            if (f.cell().equals(cell) && (fact == null || fact.register() != wanted)) fact = f;
        }
        if (fact == null) return Optional.empty();
        sourceFact = fact;
        Register d = dst.register();
        boolean gprDestination = isGpr(d) && !isHighByte(d) && d.full() != Register.RSP;
        int size = cell.size();
        switch (m) {
            case "mov" -> {
                if (!gprDestination || dst.sizeBytes() != size || (size != 4 && size != 8)) return Optional.empty();
                Register full = d.full();
                if (fact.register() == null) {
                    return constant(full, size == 4 ? fact.immediate() & 0xffff_ffffL : fact.immediate());
                }
                Register v = fact.register();
                if (isGpr(v)) {
                    if (size == 8 && v == full) return Optional.of(new Forward(Kind.DROP, full, 0, v, new byte[0]));
                    return Optional.of(new Forward(Kind.MOVE, full, 0, v, movGpr(full, v, size == 8)));
                }
                if (isXmm(v) && size == 8) {
                    return Optional.of(new Forward(Kind.MOVE, full, 0, v, movqGprFromXmm(full, v)));
                }
                return Optional.empty();
            }
            case "movzx" -> {
                if (!gprDestination || (dst.sizeBytes() != 4 && dst.sizeBytes() != 8) || (size != 1 && size != 2)) {
                    return Optional.empty();
                }
                Register full = d.full();
                if (fact.register() == null) return constant(full, fact.immediate() & (size == 1 ? 0xff : 0xffff));
                Register v = fact.register();
                if (!isGpr(v)) return Optional.empty();
                return Optional.of(new Forward(Kind.MOVE, full, 0, v, movzx(full, v, size)));
            }
            case "movsd", "movq" -> {
                if (!isXmm(d) || size != 8 || fact.register() == null) return Optional.empty();
                Register x = vector(d);
                Register v = fact.register();
                if (isXmm(v)) {
                    if (v == x && upperZero.contains(x)) return Optional.of(new Forward(Kind.DROP, x, 0, v, new byte[0]));
                    return Optional.of(new Forward(Kind.MOVE, x, 0, v, movqXmm(x, v)));
                }
                if (isGpr(v)) return Optional.of(new Forward(Kind.MOVE, x, 0, v, movqXmmFromGpr(x, v)));
                return Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static Optional<Forward> constant(Register full, long value) {
        return Optional.of(new Forward(Kind.CONSTANT, full, value, null, new byte[0]));
    }

    /**
     * Whether conditional branch condition {@code cc} holds after {@code cmp}, when it is
     * {@code cmp/test r, imm} or {@code cmp/test r, r} (GPRs, not high bytes) of registers
     * {@code values} knows as constants; empty otherwise. The six status flags are computed as the
     * CPU does at the operands' width.
     */
    static Optional<Boolean> decides(Instruction cmp, dev.tracedb.machine.x86.encode.Condition cc,
                                     Function<Register, Optional<ValueFolder.Value>> values) {
        String m = cmp.mnemonic();
        List<Operand> ops = cmp.operands();
        if (!(m.equals("cmp") || m.equals("test")) || ops.size() != 2 || hasPrefix(cmp, 0x67)
                || !(ops.get(0) instanceof RegisterOperand r) || !isGpr(r.register()) || isHighByte(r.register())) {
            return Optional.empty();
        }
        int size = r.sizeBytes();
        if (size != 1 && size != 2 && size != 4 && size != 8) return Optional.empty();
        Long a = constantOf(r.register(), values);
        Long b;
        if (ops.get(1) instanceof ImmediateOperand imm) {
            b = imm.value();
        } else if (ops.get(1) instanceof RegisterOperand s && isGpr(s.register()) && !isHighByte(s.register())
                && s.sizeBytes() == size) {
            b = constantOf(s.register(), values);
        } else {
            return Optional.empty();
        }
        if (a == null || b == null) return Optional.empty();
        int bits = size * 8;
        long mask = size == 8 ? -1L : (1L << bits) - 1;
        long x = a & mask, y = b & mask;
        long result;
        boolean cf, of;
        if (m.equals("cmp")) {
            result = x - y & mask;
            cf = Long.compareUnsigned(x, y) < 0;
            long sign = 1L << (bits - 1);
            of = ((x ^ y) & (x ^ result) & sign) != 0;
        } else {
            result = x & y;
            cf = false;
            of = false;
        }
        boolean zf = result == 0;
        boolean sf = (result >>> (bits - 1) & 1) != 0;
        boolean pf = Long.bitCount(result & 0xff) % 2 == 0;
        boolean holds = switch (cc) {
            case O -> of;
            case NO -> !of;
            case B -> cf;
            case AE -> !cf;
            case E -> zf;
            case NE -> !zf;
            case BE -> cf || zf;
            case A -> !cf && !zf;
            case S -> sf;
            case NS -> !sf;
            case P -> pf;
            case NP -> !pf;
            case L -> sf != of;
            case GE -> sf == of;
            case LE -> zf || sf != of;
            case G -> !zf && sf == of;
        };
        return Optional.of(holds);
    }

    private static Long constantOf(Register r, Function<Register, Optional<ValueFolder.Value>> values) {
        Optional<ValueFolder.Value> v = values.apply(r.full());
        return v.isPresent() && v.get().isConstant() ? v.get().offset() : null;
    }

    // ---- facts

    private void update(Instruction insn) {
        if (writesMemoryUnknown(insn)) {
            killAll();
            return;
        }
        Fact stored = null;
        List<Operand> operands = insn.operands();
        for (int i = 0; i < operands.size(); i++) {
            if (!(operands.get(i) instanceof MemoryOperand mem) || !mayWrite(insn, i, mem)) continue;
            Cell cell = cellOf(mem);
            if (cell == null || mem.sizeBytes() <= 0) {
                killAll();
                return;
            }
            facts.removeIf(f -> !sameBase(f.cell(), cell) || f.cell().overlaps(cell));
            stored = storeOf(insn, cell);
        }
        killWritten(insn);
        trackUpperBits(insn);
        if (stored != null) facts.add(stored);
    }

    /** The fact a plain store {@code insn} to {@code cell} makes, or null. */
    private Fact storeOf(Instruction insn, Cell cell) {
        List<Operand> ops = insn.operands();
        if (ops.size() != 2 || !(ops.get(0) instanceof MemoryOperand) || hasPrefix(insn, 0x67)) return null;
        Operand src = ops.get(1);
        String m = insn.mnemonic();
        int size = cell.size();
        if (m.equals("mov") && src instanceof ImmediateOperand imm && size <= 8) {
            long mask = size == 8 ? -1L : (1L << (size * 8)) - 1;
            return new Fact(cell, null, imm.value() & mask);
        }
        if (m.equals("mov") && src instanceof RegisterOperand r && isGpr(r.register()) && !isHighByte(r.register())
                && r.sizeBytes() == size) {
            Register full = r.register().full();
            Optional<ValueFolder.Value> known = values.apply(full);
            if (known.isPresent() && known.get().isConstant()) {
                long mask = size == 8 ? -1L : (1L << (size * 8)) - 1;
                return new Fact(cell, null, known.get().offset() & mask);
            }
            if (full == Register.RSP) return null;
            return new Fact(cell, full, 0);
        }
        if ((m.equals("movsd") || m.equals("movq")) && size == 8 && src instanceof RegisterOperand r && isXmm(r.register())) {
            return new Fact(cell, vector(r.register()), 0);
        }
        return null;
    }

    private void killWritten(Instruction insn) {
        Set<Register> written = EnumSet.noneOf(Register.class);
        for (Register r : insn.registersWritten()) {
            written.add(isVector(r) ? vector(r) : r.full());
        }
        if (written.isEmpty()) return;
        facts.removeIf(f -> f.cell().base() != null && written.contains(f.cell().base())
                || f.register() != null && written.contains(f.register()));
    }

    /** Bits 127:64 of the XMM registers {@code insn} writes: zeroed, kept, or no longer known. */
    private void trackUpperBits(Instruction insn) {
        List<Operand> ops = insn.operands();
        String m = insn.mnemonic();
        Register target = !ops.isEmpty() && ops.get(0) instanceof RegisterOperand r && isXmm(r.register())
                ? vector(r.register()) : null;
        boolean zeroes = target != null && ops.size() == 2 && (
                (m.equals("movsd") || m.equals("movss") || m.equals("movq")) && ops.get(1) instanceof MemoryOperand
                || m.equals("movq") && ops.get(1) instanceof RegisterOperand
                || (m.equals("pxor") || m.equals("xorps") || m.equals("xorpd")) && ops.get(1) instanceof RegisterOperand s
                        && isXmm(s.register()) && vector(s.register()) == target);
        boolean keeps = target != null && (UPPER_KEPT.contains(m)
                || (m.equals("movsd") || m.equals("movss")) && ops.size() == 2 && ops.get(1) instanceof RegisterOperand);
        for (Register r : insn.registersWritten()) {
            if (!isVector(r)) continue;
            Register x = vector(r);
            if (x == target && zeroes) {
                upperZero.add(x);
            } else if (!(x == target && keeps && r.kind() == Register.Kind.VECTOR && r.name().startsWith("XMM"))) {
                upperZero.remove(x);
            }
        }
    }

    /** The cell of {@code mem} with the folder's knowledge, or null when its address is not a known base plus a constant. */
    Cell cellOf(MemoryOperand mem) {
        if (mem.segment().isPresent() || mem.isRipRelative() || mem.sizeBytes() <= 0) return null;
        ValueFolder.Value address = ValueFolder.Value.constant(mem.displacement());
        if (mem.base().isPresent()) {
            address = plus(address, valueOf(mem.base().get()), 1);
        }
        if (address != null && mem.index().isPresent()) {
            address = plus(address, valueOf(mem.index().get()), mem.scale());
        }
        return address == null ? null : new Cell(address.base(), address.offset(), mem.sizeBytes());
    }

    private ValueFolder.Value valueOf(Register r) {
        if (!isGpr(r) || r.sizeBytes() != 8) return null; // a 32-bit address register: not followed
        Register full = r.full();
        return values.apply(full).orElse(new ValueFolder.Value(full, 0));
    }

    private static ValueFolder.Value plus(ValueFolder.Value sum, ValueFolder.Value term, int scale) {
        if (term == null) return null;
        if (!term.isConstant() && (scale != 1 || sum.base() != null)) return null;
        return new ValueFolder.Value(term.isConstant() ? sum.base() : term.base(), sum.offset() + term.offset() * scale);
    }

    private static boolean sameBase(Cell a, Cell b) {
        return a.base() == b.base();
    }

    // ---- what may write memory

    private static final Set<String> NO_ACCESS = Set.of("lea", "nop", "prefetch", "prefetcht0", "prefetcht1",
            "prefetcht2", "prefetchnta", "prefetchw", "endbr64");

    private static boolean isNoAccess(Instruction insn) {
        return NO_ACCESS.contains(insn.mnemonic());
    }

    /** Instructions whose first operand, a memory one, is only read. */
    private static final Set<String> READS_FIRST = Set.of("cmp", "test", "bt", "ucomiss", "ucomisd", "comiss",
            "comisd", "vucomiss", "vucomisd", "vcomiss", "vcomisd", "ptest", "vptest", "vtestps", "vtestpd");

    /**
     * Whether operand {@code index} of {@code insn} may be written: what the decoder says, and in
     * any case a memory destination (the first operand) of anything but a compare or a test.
     * Capstone 4.0.2 reports some VEX stores ({@code vmovups [rax], xmm0}, {@code vmovdqu}) as
     * reads (capstone issues 1821, 2900); taking its word would keep a fact that such a store broke.
     */
    static boolean mayWrite(Instruction insn, int index, MemoryOperand mem) {
        if (isNoAccess(insn)) return false;
        if (mem.access().writes()) return true;
        return index == 0 && !READS_FIRST.contains(insn.mnemonic());
    }

    /**
     * Whether {@code insn} may write memory other than through an explicit, resolved operand with a
     * known access, or registers the decoder does not list: then every fact dies.
     */
    static boolean writesMemoryUnknown(Instruction insn) {
        if (hasPrefix(insn, 0xf0)) return true; // lock
        if (isStringInstruction(insn)) return true;
        String m = insn.mnemonic();
        String base = m.substring(m.lastIndexOf(' ') + 1);
        boolean memoryOperand = insn.operands().stream().anyMatch(o -> o instanceof MemoryOperand);
        if (base.equals("pop") && memoryOperand) return true;
        // bts/btr/btc [m], reg: the register's bit offset reaches outside the operand's bytes
        if ((base.equals("bts") || base.equals("btr") || base.equals("btc")) && memoryOperand
                && insn.operands().size() == 2 && insn.operands().get(1) instanceof RegisterOperand) {
            return true;
        }
        if (base.startsWith("push") || base.startsWith("call") || base.equals("enter") || base.startsWith("maskmov")
                || base.startsWith("vmaskmov") || base.endsWith("fence") || base.contains("save") || base.startsWith("fnst")
                || base.startsWith("fst") || base.startsWith("fist") || base.equals("fbstp")
                || base.contains("rstor") || base.equals("vzeroall") || base.contains("xchg") || base.equals("xadd") || base.startsWith("clflush")
                || base.startsWith("clwb") || base.startsWith("movdir") || base.startsWith("enqcmd")
                || base.equals("serialize") || base.contains("scatter") || base.startsWith("ret")
                || base.startsWith("int") || base.startsWith("sys")) {
            return true;
        }
        for (Operand o : insn.operands()) {
            if (o instanceof MemoryOperand mem && mem.access() == dev.tracedb.machine.x86.decode.Access.NONE
                    && !NO_ACCESS.contains(base)) {
                return true; // the decoder does not know the access
            }
        }
        return false;
    }

    /** movs/cmps/stos/lods/scas/ins/outs (with or without rep): opcodes A4–A7, AA–AF, 6C–6F without an 0F escape. */
    private static boolean isStringInstruction(Instruction insn) {
        byte[] b = insn.bytes();
        int i = opcodeIndex(b);
        if (i >= b.length) return false;
        int op = b[i] & 0xff;
        return op >= 0xa4 && op <= 0xa7 || op >= 0xaa && op <= 0xaf || op >= 0x6c && op <= 0x6f;
    }

    private static int opcodeIndex(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int x = b[i] & 0xff;
            boolean legacy = x == 0x66 || x == 0x67 || x == 0xf2 || x == 0xf3 || x == 0xf0 || x == 0x2e || x == 0x36
                    || x == 0x3e || x == 0x26 || x == 0x64 || x == 0x65;
            if (legacy || (x & 0xf0) == 0x40) {
                i++;
            } else {
                break;
            }
        }
        return i;
    }

    private static boolean hasPrefix(Instruction insn, int prefix) {
        byte[] b = insn.bytes();
        int end = opcodeIndex(b);
        for (int i = 0; i < end; i++) {
            if ((b[i] & 0xff) == prefix) return true;
        }
        return false;
    }

    // ---- registers and encodings

    static boolean isGpr(Register r) {
        return r.kind() == Register.Kind.GENERAL_PURPOSE && r.full() != Register.RIP;
    }

    private static boolean isHighByte(Register r) {
        return r == Register.AH || r == Register.BH || r == Register.CH || r == Register.DH;
    }

    private static boolean isVector(Register r) {
        return r.kind() == Register.Kind.VECTOR && vectorNumber(r) >= 0;
    }

    static boolean isXmm(Register r) {
        return r.kind() == Register.Kind.VECTOR && r.name().startsWith("XMM");
    }

    /** The XMM register of the same number as vector register {@code r} (ymm3 → xmm3). */
    private static Register vector(Register r) {
        return Register.valueOf("XMM" + vectorNumber(r));
    }

    private static int vectorNumber(Register r) {
        String n = r.name();
        if (n.length() < 4 || !(n.startsWith("XMM") || n.startsWith("YMM") || n.startsWith("ZMM"))) return -1;
        try {
            return Integer.parseInt(n.substring(3));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The 0–15 encoding of a full GPR or an XMM register. */
    static int number(Register r) {
        if (isXmm(r)) return vectorNumber(r);
        return switch (r.full()) {
            case RAX -> 0;
            case RCX -> 1;
            case RDX -> 2;
            case RBX -> 3;
            case RSP -> 4;
            case RBP -> 5;
            case RSI -> 6;
            case RDI -> 7;
            default -> Integer.parseInt(r.full().name().substring(1)); // R8..R15
        };
    }

    /** REX with W, R (reg field's high bit) and B (r/m field's high bit), or -1 when none is needed. */
    private static int rex(boolean w, int reg, int rm, boolean force) {
        int rex = 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
        return rex != 0x40 || force ? rex : -1;
    }

    private static byte[] encode(int prefix, int rex, int[] opcode, int reg, int rm) {
        List<Integer> out = new ArrayList<>();
        if (prefix >= 0) out.add(prefix);
        if (rex >= 0) out.add(rex);
        for (int o : opcode) out.add(o);
        out.add(0xc0 | (reg & 7) << 3 | rm & 7);
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (int) out.get(i);
        return bytes;
    }

    /** {@code mov d, s} (8B /r), 64- or 32-bit (the 32-bit form zeroes bits 63:32, as the 32-bit load does). */
    static byte[] movGpr(Register d, Register s, boolean wide) {
        int dn = number(d), sn = number(s);
        return encode(-1, rex(wide, dn, sn, false), new int[] {0x8b}, dn, sn);
    }

    /** {@code movzx d32, s8/s16} (0F B6/B7 /r); a REX for spl, bpl, sil, dil as the byte source. */
    static byte[] movzx(Register d, Register s, int sourceSize) {
        int dn = number(d), sn = number(s);
        boolean force = sourceSize == 1 && sn >= 4 && sn <= 7;
        return encode(-1, rex(false, dn, sn, force), new int[] {0x0f, sourceSize == 1 ? 0xb6 : 0xb7}, dn, sn);
    }

    /** {@code movq xmmD, xmmS} (F3 0F 7E /r): the low 64 bits, bits 127:64 zeroed, as {@code movsd xmm, m64} leaves them. */
    static byte[] movqXmm(Register d, Register s) {
        int dn = number(d), sn = number(s);
        return encode(0xf3, rex(false, dn, sn, false), new int[] {0x0f, 0x7e}, dn, sn);
    }

    /** {@code movq xmmD, r64} (66 REX.W 0F 6E /r). */
    static byte[] movqXmmFromGpr(Register d, Register s) {
        int dn = number(d), sn = number(s);
        return encode(0x66, rex(true, dn, sn, false), new int[] {0x0f, 0x6e}, dn, sn);
    }

    /** {@code movq r64, xmmS} (66 REX.W 0F 7E /r: the XMM register in the reg field). */
    static byte[] movqGprFromXmm(Register d, Register s) {
        int dn = number(d), sn = number(s);
        return encode(0x66, rex(true, sn, dn, false), new int[] {0x0f, 0x7e}, sn, dn);
    }
}
