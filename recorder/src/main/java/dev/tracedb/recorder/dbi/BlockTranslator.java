package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.InstructionGroup;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Mem;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Translates one basic block into the code cache (DynamoRIO's mangle.c): an event prologue, the
 * block's instructions copied, and its exit rewritten so control never leaves the cache
 * unnoticed.
 *
 * <ul>
 * <li><b>Prologue</b>: appends the block id to the ring with mov and lea only, so the flags are
 *     untouched; rax is saved in a spill slot of the region, never on the stack (the app's red
 *     zone below rsp stays intact).
 * <li><b>Body</b>: copied byte for byte; a RIP-relative displacement is re-aimed at the same
 *     absolute address; out of rel32 reach, the block is refused.
 * <li><b>Direct exits</b> (jmp, jcc, jrcxz/loop, fall-through): rel32 branches to an
 *     {@code int3} stub, or straight to the target if it is already translated.
 * <li><b>Calls</b> push the original return address (so the stack is what it would be natively),
 *     then exit to the callee; indirect calls load the target before pushing.
 * <li><b>ret, indirect jmp/call</b>: the target goes into rax (rax saved first) and control goes
 *     to the {@link IndirectBranchTable} routine.
 * <li><b>syscall</b>: an {@code int3} lets Java vet the call first; the syscall then runs in the
 *     cache, a second {@code int3} reports its result to Java for the log, rcx is set to the original next address (the kernel set it to a cache address;
 *     natively it would be the app's), and the block falls through to the next one.
 * <li><b>rdtsc, rdtscp</b> in an expansion that plays logged counter reads: copied as
 *     {@link TimestampReads} substitutes of the same length, which fault.
 * </ul>
 * Anything else that ends a block (int, hlt, ud2, far transfers, sysenter) and transactional
 * memory are refused with {@link UnsupportedProgramException}. Not thread-safe.
 */
final class BlockTranslator {
    /**
     * The translated block, the stubs through which it asks Java for more, and where its prologue
     * holds the block id (an imm32, {@code idField} bytes after the entry). A block translated
     * under a provisional (negative) id also marks {@link RegionLayout#PREFETCHED_RAN} with a
     * 7-byte store at its entry, {@code flagStore} = 0 (-1 for other blocks), replaced by a NOP
     * when the block gets its log id. The block's own instructions are copied, unchanged in
     * length, from {@code bodyOffset} to {@code exitOffset} (the same offsets as in the program);
     * what follows is the engine's code for the block's end.
     */
    record Translation(Fragment block, List<ExitStub> stubs, int idField, int flagStore, int bodyOffset,
                       int exitOffset, int[] probeAfter, int[] probeBytes) {
        Translation(Fragment block, List<ExitStub> stubs, int idField, int flagStore, int bodyOffset, int exitOffset) {
            this(block, stubs, idField, flagStore, bodyOffset, exitOffset, new int[0], new int[0]);
        }
    }

    /** Bytes of the store that marks a provisional block's run ({@code mov byte [rip+d], 1}); a NOP of this length replaces it. */
    static final int FLAG_STORE_BYTES = 7;

    private final CodeCache cache;
    private final IndirectBranchTable ibl;
    /** The futex handshake's requests, or null for int3 stubs. */
    private final FutexHandshake futex;
    /** The session's value probes, or null. */
    private ValueProbes probes;
    /** Whether rdtsc/rdtscp are copied as faulting substitutes (an expansion plays their recorded values). */
    private boolean substituteTimestampReads;

    BlockTranslator(CodeCache cache, IndirectBranchTable ibl, FutexHandshake futex) {
        this.cache = cache;
        this.ibl = ibl;
        this.futex = futex;
    }

    /** Copies rdtsc and rdtscp as {@link TimestampReads} substitutes in the blocks translated from now on. */
    void substituteTimestampReads() {
        this.substituteTimestampReads = true;
    }

    /** Samples the sites of {@code probes} in the blocks translated from now on. */
    void probe(ValueProbes probes) {
        this.probes = probes;
    }

    /**
     * Translates {@code bb} as block {@code id} and commits it to the cache. {@code translated}
     * gives the entry of an already translated target, or null; direct exits to such targets are
     * linked at once.
     */
    Translation translate(BasicBlock bb, int id, CacheView view, Function<AppAddress, CacheAddress> translated) {
        return translate(bb, id, view, translated, null, 0);
    }

    /**
     * As above; {@code modulePath} and {@code moduleBase} say which module the block lies in, for
     * its value probes: after each probed instruction comes the sequence that samples its
     * destination register ({@link #emitProbe}); {@link Translation#probeAfter} gives, per sequence,
     * the program offset (from the block's start) of the instruction after it, and
     * {@link Translation#probeBytes} its length.
     */
    Translation translate(BasicBlock bb, int id, CacheView view, Function<AppAddress, CacheAddress> translated,
                          String modulePath, long moduleBase) {
        if (bb.instructions().isEmpty()) {
            throw new IllegalArgumentException("empty block at 0x" + Long.toHexString(bb.start()));
        }
        CacheAddress at = cache.next(view);
        Emitter e = new Emitter(new CodeBuffer(at.value()), view);
        int flagStore = -1;
        if (id < 0) {
            // Before the append: a stop between the two (an asynchronous signal) must find the mark.
            flagStore = e.buffer.position();
            e.buffer.emit8(0xc6); // mov byte [rip+d], 1: no flags written
            e.buffer.emit8(0x05);
            e.buffer.emit32((int) (e.slot(RegionLayout.PREFETCHED_RAN) - (e.buffer.address() + 5)));
            e.buffer.emit8(1);
        }
        int idField = emitPrologue(e, id);
        int bodyOffset = e.buffer.position();
        List<Instruction> insns = bb.instructions();
        Instruction last = insns.get(insns.size() - 1);
        boolean complete = bb.end() == BasicBlock.End.CONTROL_TRANSFER;
        List<Integer> probeAfter = new ArrayList<>();
        List<Integer> probeBytes = new ArrayList<>();
        List<Integer> probeAt = new ArrayList<>();
        for (Instruction insn : complete ? insns.subList(0, insns.size() - 1) : insns) {
            requireSupported(insn);
            copyBodyInstruction(e, insn);
            int site = probes == null ? -1 : probes.siteOf(insn, modulePath, moduleBase);
            if (site >= 0) {
                int before = e.buffer.position();
                emitProbe(e, ValueProbes.destination(insn), site);
                probeAt.add(before);
                probeAfter.add((int) (insn.nextAddress() - bb.start()));
                probeBytes.add(e.buffer.position() - before);
            }
        }
        int exitOffset = e.buffer.position();
        Terminator terminator;
        if (complete) {
            requireSupported(last);
            terminator = mangleExit(e, last);
        } else {
            e.jmpExit(AppAddress.of(bb.endAddress()));
            terminator = Terminator.FALL_THROUGH;
        }
        List<ExitStub> stubs = e.finishExits(translated, futex, cache);
        CacheAddress entry = cache.commit(e.a.finish(), at);
        long[] addresses = insns.stream().mapToLong(Instruction::address).toArray();
        byte[] original = new byte[bb.sizeBytes()];
        int pos = 0;
        for (Instruction insn : insns) {
            byte[] b = insn.bytes();
            System.arraycopy(b, 0, original, pos, b.length);
            pos += b.length;
        }
        int entryOffset = cache.region().offsetOf(entry);
        for (int i = 0; i < probeAt.size(); i++) {
            probes.emitted(entryOffset + probeAt.get(i), probeBytes.get(i));
        }
        return new Translation(new Fragment(id, AppAddress.of(bb.start()), original, addresses, terminator, entry), stubs,
                idField, flagStore, bodyOffset, exitOffset, probeAfter.stream().mapToInt(Integer::intValue).toArray(),
                probeBytes.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Appends a sample record of {@code value} (the register the probed instruction wrote, all 64
     * bits) for {@code site} to the probe buffer, with mov and lea only (flags untouched) and two
     * scratch registers other than {@code value} saved in control-page slots (nothing below rsp).
     * The first store is the value's: at a full buffer it faults on the guard page with the
     * record pointer exactly there ({@link ValueProbes#isGuard}). The first instruction is 7 bytes,
     * room for the 2-byte jump that disables the sequence at the budget's end.
     */
    private static void emitProbe(Emitter e, Gpr value, int site) {
        Gpr[] scratch = new Gpr[2];
        int n = 0;
        for (Gpr g : new Gpr[] {Gpr.RAX, Gpr.RCX, Gpr.RDX}) {
            if (g != value && n < 2) scratch[n++] = g;
        }
        Gpr record = scratch[0];
        Gpr ring = scratch[1];
        Assembler a = e.a;
        a.mov(Mem.rip(e.slot(RegionLayout.SPILL_PROBE_1)), record);
        a.mov(record, Mem.rip(e.slot(RegionLayout.PROBE_CURSOR)));
        a.mov(Mem.of(record), value);
        a.mov(Mem.of(record, 8), site);
        a.mov(Mem.rip(e.slot(RegionLayout.SPILL_PROBE_2)), ring);
        a.mov(ring, Mem.rip(e.slot(RegionLayout.RING_CURSOR)));
        a.mov32(Mem.of(record, 12), ring);
        a.mov(ring, Mem.rip(e.slot(RegionLayout.SPILL_PROBE_2)));
        a.lea(record, Mem.of(record, RegionLayout.PROBE_RECORD_BYTES));
        a.mov(Mem.rip(e.slot(RegionLayout.PROBE_CURSOR)), record);
        a.mov(record, Mem.rip(e.slot(RegionLayout.SPILL_PROBE_1)));
    }

    /** Emits the prologue; returns the offset of its id field from the block's entry. */
    private int emitPrologue(Emitter e, int id) {
        Assembler a = e.a;
        a.mov(Mem.rip(e.slot(RegionLayout.SPILL_PROLOGUE)), Gpr.RAX);
        a.mov(Gpr.RAX, Mem.rip(e.slot(RegionLayout.RING_CURSOR)));
        e.buffer.emit8(0xc7); // mov dword [rax], id
        e.buffer.emit8(0x00);
        int idField = e.buffer.position();
        e.buffer.emit32(id);
        a.lea(Gpr.RAX, Mem.of(Gpr.RAX, 4));
        a.mov(Mem.rip(e.slot(RegionLayout.RING_CURSOR)), Gpr.RAX);
        a.mov(Gpr.RAX, Mem.rip(e.slot(RegionLayout.SPILL_PROLOGUE)));
        return idField;
    }

    private static void requireSupported(Instruction insn) {
        if (insn.is(InstructionGroup.RTM)) {
            throw refuse(insn, "transactional memory is not supported");
        }
    }

    /** Copies an instruction of the block's body: as {@link #copy}, or as its substitute for a timestamp read an expansion plays. */
    private void copyBodyInstruction(Emitter e, Instruction insn) {
        if (substituteTimestampReads) {
            if (TimestampReads.isPrefixed(insn)) {
                throw refuse(insn, "a prefixed rdtsc/rdtscp cannot be played from the log");
            }
            TimestampReads timestamp = TimestampReads.of(insn);
            if (timestamp != null) {
                for (byte x : timestamp.substitute()) {
                    e.buffer.emit8(x);
                }
                return;
            }
        }
        copy(e, insn);
    }

    /** Emits {@code insn} unchanged except for a RIP-relative displacement, re-aimed from the new address. */
    private void copy(Emitter e, Instruction insn) {
        byte[] b = insn.bytes();
        if (insn.ripRelativeOperand().isPresent()) {
            retarget(insn, b, insn.encoding().displacementOffset(), insn.ripRelativeTarget().getAsLong(), e.buffer.address());
        }
        for (byte x : b) {
            e.buffer.emit8(x);
        }
    }

    /** Rewrites the disp32 at {@code dispOffset} of {@code b} (to be placed at {@code newAddress}) to reach {@code target}. */
    private void retarget(Instruction insn, byte[] b, int dispOffset, long target, long newAddress) {
        // A RIP-relative displacement is always 32 bits, whatever size Capstone 4.0.2 reports
        // (it says 2 under a 0x66 prefix); trust the offset only if the bytes there hold it.
        int encoded = insn.encoding().displacementOffset();
        long expected = insn.ripRelativeOperand().orElseThrow().displacement();
        if (encoded == 0 || encoded + 4 > insn.length() || readInt(insn.bytes(), encoded) != (int) expected) {
            throw refuse(insn, "unexpected RIP-relative encoding " + insn.encoding());
        }
        long disp = target - (newAddress + b.length);
        if (disp != (int) disp) {
            throw refuse(insn, "its RIP-relative operand at 0x" + Long.toHexString(target)
                    + " is out of rel32 reach of the code-cache view at 0x" + Long.toHexString(newAddress)
                    + " placed for its module");
        }
        for (int i = 0; i < 4; i++) {
            b[dispOffset + i] = (byte) (disp >>> (8 * i));
        }
    }

    private Terminator mangleExit(Emitter e, Instruction insn) {
        byte[] b = insn.bytes();
        int p = opcodeIndex(b);
        int op = b[p] & 0xff;
        AppAddress next = AppAddress.of(insn.nextAddress());
        if (insn.is(InstructionGroup.SYSCALL)) {
            if (op != 0x0f || (b[p + 1] & 0xff) != 0x05) {
                throw refuse(insn, "only the syscall instruction enters the kernel here");
            }
            e.trap(ExitStub.syscall(CacheAddress.of(e.buffer.address())));
            copy(e, insn);
            e.trap(ExitStub.syscallResult(CacheAddress.of(e.buffer.address()), next));
            e.a.movabs(Gpr.RCX, next.value());
            e.jmpExit(next);
            return Terminator.SYSCALL;
        }
        if (insn.is(InstructionGroup.RET)) {
            if (op != 0xc3 && op != 0xc2) {
                throw refuse(insn, "far return");
            }
            int pop = 8 + (op == 0xc2 ? (b[p + 1] & 0xff) | (b[p + 2] & 0xff) << 8 : 0);
            e.a.mov(Mem.rip(e.slot(RegionLayout.SPILL_IBL_RAX)), Gpr.RAX);
            e.a.mov(Gpr.RAX, Mem.of(Gpr.RSP));
            e.a.lea(Gpr.RSP, Mem.of(Gpr.RSP, pop));
            e.a.jmp(ibl.routine(e.view).value());
            return Terminator.RETURN;
        }
        if (insn.is(InstructionGroup.CALL)) {
            if (insn.directTarget().isPresent() && op == 0xe8) {
                pushReturnAddress(e, next);
                e.jmpExit(AppAddress.of(insn.directTarget().getAsLong()));
                return Terminator.CALL;
            }
            requireIndirect(insn, b, p, 2);
            e.a.mov(Mem.rip(e.slot(RegionLayout.SPILL_IBL_RAX)), Gpr.RAX);
            loadIndirectTarget(e, insn, b);
            pushReturnAddress(e, next);
            e.a.jmp(ibl.routine(e.view).value());
            return Terminator.INDIRECT_CALL;
        }
        if (insn.is(InstructionGroup.CONDITIONAL) && insn.directTarget().isPresent()) {
            AppAddress taken = AppAddress.of(insn.directTarget().getAsLong());
            if (op >= 0x70 && op <= 0x7f || op == 0x0f && (b[p + 1] & 0xf0) == 0x80) {
                int cc = (op == 0x0f ? b[p + 1] : b[p]) & 0x0f;
                e.jccExit(cc, taken);
                e.jmpExit(next);
                return Terminator.CONDITIONAL;
            }
            if (op >= 0xe0 && op <= 0xe3) {
                // jrcxz/jecxz/loop*: rel8 only. Keep the instruction (and an address-size
                // prefix, which selects ecx) but aim it 5 bytes on, over the fall-through jmp.
                for (int i = 0; i < p; i++) {
                    if ((b[i] & 0xff) == 0x67) {
                        e.buffer.emit8(0x67);
                    }
                }
                e.buffer.emit8(op);
                e.buffer.emit8(5);
                e.jmpExit(next);
                e.jmpExit(taken);
                return Terminator.CONDITIONAL;
            }
            throw refuse(insn, "unknown conditional branch form");
        }
        if (insn.is(InstructionGroup.JUMP)) {
            if (insn.directTarget().isPresent() && (op == 0xe9 || op == 0xeb)) {
                e.jmpExit(AppAddress.of(insn.directTarget().getAsLong()));
                return Terminator.JUMP;
            }
            requireIndirect(insn, b, p, 4);
            e.a.mov(Mem.rip(e.slot(RegionLayout.SPILL_IBL_RAX)), Gpr.RAX);
            loadIndirectTarget(e, insn, b);
            e.a.jmp(ibl.routine(e.view).value());
            return Terminator.INDIRECT_JUMP;
        }
        throw refuse(insn, "this kind of block end is not supported");
    }

    private static void requireIndirect(Instruction insn, byte[] b, int p, int regField) {
        int modrm = insn.encoding().modrmOffset();
        if ((b[p] & 0xff) != 0xff || modrm != p + 1 || ((b[modrm] >> 3) & 7) != regField) {
            throw refuse(insn, "far or unknown indirect branch form");
        }
        for (int i = 0; i < p; i++) {
            if ((b[i] & 0xff) == 0x66) {
                throw refuse(insn, "16-bit indirect branch");
            }
        }
    }

    /**
     * {@code mov rax, r/m64} with the branch's own ModRM operand: FF /2 or FF /4 becomes 8B /0,
     * keeping segment and address-size prefixes and REX.X/REX.B. rax still holds the app's value
     * here, so an operand that uses rax (or rsp, for a call) reads what the branch would have.
     */
    private void loadIndirectTarget(Emitter e, Instruction insn, byte[] b) {
        int modrm = insn.encoding().modrmOffset();
        int opcode = modrm - 1;
        boolean hasRex = opcode > 0 && (b[opcode - 1] & 0xf0) == 0x40;
        int prefixEnd = hasRex ? opcode - 1 : opcode;
        List<Byte> out = new ArrayList<>();
        for (int i = 0; i < prefixEnd; i++) {
            int x = b[i] & 0xff;
            if (x == 0x26 || x == 0x2e || x == 0x36 || x == 0x3e || x == 0x64 || x == 0x65 || x == 0x67) {
                out.add((byte) x);
            }
        }
        out.add((byte) (0x48 | (hasRex ? b[opcode - 1] & 0x03 : 0)));
        out.add((byte) 0x8b);
        int newModrm = out.size();
        out.add((byte) (b[modrm] & 0xc7));
        for (int i = modrm + 1; i < b.length; i++) {
            out.add(b[i]);
        }
        byte[] mov = new byte[out.size()];
        for (int i = 0; i < mov.length; i++) {
            mov[i] = out.get(i);
        }
        if (insn.ripRelativeOperand().isPresent()) {
            int disp = insn.encoding().displacementOffset() - modrm + newModrm;
            retarget(insn, mov, disp, insn.ripRelativeTarget().getAsLong(), e.buffer.address());
        }
        for (byte x : mov) {
            e.buffer.emit8(x);
        }
    }

    /**
     * Pushes the original return address without touching flags or any register: push imm32
     * (sign-extended), then the upper half stored over it when the address needs one.
     */
    private static void pushReturnAddress(Emitter e, AppAddress ret) {
        long value = ret.value();
        e.buffer.emit8(0x68);
        e.buffer.emit32((int) value);
        if (value != (int) value) {
            e.buffer.emit8(0xc7); // mov dword [rsp+4], imm32
            e.buffer.emit8(0x44);
            e.buffer.emit8(0x24);
            e.buffer.emit8(0x04);
            e.buffer.emit32((int) (value >>> 32));
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    /** Index of the opcode: after legacy prefixes and REX. */
    static int opcodeIndex(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int x = b[i] & 0xff;
            boolean legacy = x == 0x66 || x == 0x67 || x == 0xf0 || x == 0xf2 || x == 0xf3 || x == 0x2e
                    || x == 0x36 || x == 0x3e || x == 0x26 || x == 0x64 || x == 0x65;
            if (!legacy) {
                break;
            }
            i++;
        }
        if (i < b.length && (b[i] & 0xf0) == 0x40) {
            i++;
        }
        return i;
    }

    private static UnsupportedProgramException refuse(Instruction insn, String why) {
        return new UnsupportedProgramException("cannot translate " + insn + ": " + why);
    }

    /** An assembler plus the direct exits of the block being emitted. */
    private static final class Emitter {
        private record PendingExit(int field, AppAddress target) {}

        final CodeBuffer buffer;
        final Assembler a;
        final CacheView view;
        private final List<PendingExit> exits = new ArrayList<>();
        private final List<ExitStub> stubs = new ArrayList<>();

        Emitter(CodeBuffer buffer, CacheView view) {
            this.buffer = buffer;
            this.view = view;
            this.a = new Assembler(buffer);
        }

        /** A slot of the control page, in this block's view (so rel32 always reaches it). */
        long slot(int offset) {
            return view.at(offset).value();
        }

        void trap(ExitStub stub) {
            a.int3();
            stubs.add(stub);
        }

        void jmpExit(AppAddress target) {
            buffer.emit8(0xe9);
            buffer.emit32(0);
            exits.add(new PendingExit(buffer.position() - 4, target));
        }

        void jccExit(int cc, AppAddress target) {
            buffer.emit8(0x0f);
            buffer.emit8(0x80 | cc);
            buffer.emit32(0);
            exits.add(new PendingExit(buffer.position() - 4, target));
        }

        /**
         * Aims each exit at its translated target when rel32 reaches it; otherwise at a new stub
         * after the block (see {@link ExitStub}): its trap asks Java for an untranslated target,
         * its absolute jump reaches a translated one in a far view.
         */
        List<ExitStub> finishExits(Function<AppAddress, CacheAddress> translated, FutexHandshake futex, CodeCache cache) {
            for (PendingExit exit : exits) {
                CacheAddress field = CacheAddress.of(buffer.baseAddress() + exit.field());
                CacheAddress known = translated.apply(exit.target());
                CacheAddress destination;
                if (known != null && CodeCache.inRel32Reach(field, known)) {
                    destination = known;
                } else {
                    buffer.emit8(0xff); // jmp qword [rip+0]: through the slot that follows
                    buffer.emit8(0x25);
                    buffer.emit32(0);
                    buffer.emit32((int) (known == null ? 0 : known.value()));
                    buffer.emit32((int) ((known == null ? 0 : known.value()) >>> 32));
                    ExitStub stub = ExitStub.direct(CacheAddress.of(buffer.address()), exit.target(), field);
                    if (known != null) {
                        // Linked at once through the absolute jump: no request is ever made.
                    } else if (futex == null) {
                        a.int3();
                    } else {
                        futex.emitRequest(a, view, cache.offsetAfter(stub.trap()));
                    }
                    if (known == null) {
                        stubs.add(stub);
                        destination = stub.trap();
                    } else {
                        destination = stub.farJump();
                    }
                }
                buffer.patch32(exit.field(), Math.toIntExact(destination.value() - (field.value() + 4)));
            }
            return stubs;
        }
    }
}
