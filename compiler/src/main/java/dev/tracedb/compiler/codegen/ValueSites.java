package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.ImmediateOperand;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.store.Terminator;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The trace positions worth a value probe: 32-bit loads a {@link ValueGuards} guard could replace
 * whose value is decoded before the next indirect jump of the path, i.e. copied by 32-bit
 * {@code mov}s and masked by an {@code and} with an immediate (an interpreter's opcode field:
 * lua5.4's {@code mov r12d, [r13]; …; mov eax, r12d; and eax, 0x7f} at {@code lua5.4+0x1c479});
 * and 16-bit zero-extending loads decoded the same way or shifted right by an immediate (CPython
 * 3.11's code unit: {@code movzx eax, word [r10]; mov r9d, eax; shr r9w, 8}, the oparg).
 * {@code compile} probes these sites and keeps a guard where one value was seen in (nearly) all
 * passes ({@link dev.tracedb.compiler.values.ValueGuardChooser}). Stateless; thread-safe.
 */
public final class ValueSites {
    private ValueSites() {}

    /**
     * One candidate: trace, block index, instruction index, and the load's address; {@code lowByte}:
     * a sample (the register after the instruction) says the value only in its low byte (CPython's
     * {@code or sil, byte [rsp + 0xb0]}: a zero there means the memory byte was zero).
     */
    public record Site(int traceId, int block, int instruction, CodeAddress at, boolean lowByte) {
        public Site(int traceId, int block, int instruction, CodeAddress at) {
            this(traceId, block, instruction, at, false);
        }

        /** The part of a sample that is the site's value. */
        public long sampled(long value) {
            return lowByte ? value & 0xff : value;
        }
    }

    public static List<Site> of(TraceSelection selection) {
        List<Site> sites = new ArrayList<>();
        try (Decoder decoder = Decoder.open()) {
            for (TracePath path : selection.traces()) {
                List<DecodedBlock> blocks = new ArrayList<>();
                try {
                    for (PathBlock b : path.blocks()) blocks.add(DecodedBlock.decode(decoder, b));
                } catch (TraceRefusedException e) {
                    continue; // code generation refuses it too
                }
                for (int b = 0; b < blocks.size(); b++) {
                    List<Instruction> body = blocks.get(b).body();
                    for (int i = 0; i < body.size(); i++) {
                        Instruction load = body.get(i);
                        if (!ValueGuards.comparable(load, 0)) continue;
                        if (ValueGuards.isTracingOr(load)) {
                            if (i > 0 && isBorrowInto(body.get(i - 1), load)) {
                                sites.add(new Site(path.traceId(), b, i,
                                        new CodeAddress(path.head().at().moduleIndex(), load.address()), true));
                            }
                            continue;
                        }
                        boolean word = ValueGuards.isWordLoad(load);
                        if ((word || ((RegisterOperand) load.operands().get(0)).sizeBytes() == 4)
                                && decoded(blocks, b, i, word)) {
                            sites.add(new Site(path.traceId(), b, i,
                                    new CodeAddress(path.head().at().moduleIndex(), load.address())));
                        }
                    }
                }
            }
        }
        return sites;
    }

    /**
     * Whether {@code before} is {@code sbb r8, r8} of the byte register {@code or} writes: CPython
     * 3.11's tracing byte, {@code sbb sil, sil; or sil, byte [rsp + 0xb0]} (the DTrace semaphore's
     * borrow ORed with {@code cframe.use_tracing}).
     */
    private static boolean isBorrowInto(Instruction before, Instruction or) {
        var ops = before.operands();
        return before.mnemonic().equals("sbb") && ops.size() == 2 && ops.get(0) instanceof RegisterOperand d
                && ops.get(1) instanceof RegisterOperand s && d.register() == s.register()
                && d.register() == ((RegisterOperand) or.operands().get(0)).register();
    }

    /**
     * Whether the load's register, through 32-bit register copies, is masked with an immediate
     * before the next indirect jump; for a word load ({@code word}) also whether a copy is shifted
     * right by an immediate, in any width (CPython 3.11's oparg: {@code mov r9d, eax; shr r9w, 8}).
     */
    private static boolean decoded(List<DecodedBlock> blocks, int block, int position, boolean word) {
        Set<Register> holding = EnumSet.of(((RegisterOperand) blocks.get(block).body().get(position).operands().get(0))
                .register().full());
        int from = position + 1;
        for (int b = block; b < blocks.size(); b++, from = 0) {
            List<Instruction> body = blocks.get(b).body();
            for (int k = from; k < body.size(); k++) {
                Instruction insn = body.get(k);
                var ops = insn.operands();
                if (word && insn.mnemonic().equals("neg") && ops.size() == 1 && ops.get(0) instanceof RegisterOperand n
                        && holding.contains(n.register().full())) {
                    return true; // CPython 3.11's DTrace semaphore: neg cx; sbb sil, sil
                }
                if (word && insn.mnemonic().equals("shr") && ops.size() == 2 && ops.get(0) instanceof RegisterOperand d
                        && ops.get(1) instanceof ImmediateOperand && holding.contains(d.register().full())) {
                    return true;
                }
                if (ops.size() == 2 && ops.get(0) instanceof RegisterOperand d && d.sizeBytes() == 4) {
                    Register dst = d.register().full();
                    if (insn.mnemonic().equals("and") && ops.get(1) instanceof ImmediateOperand && holding.contains(dst)) {
                        return true;
                    }
                    if (insn.mnemonic().equals("mov") && ops.get(1) instanceof RegisterOperand s
                            && holding.contains(s.register().full())) {
                        holding.add(dst);
                        continue;
                    }
                }
                for (Register w : insn.registersWritten()) holding.remove(w.full());
                if (holding.isEmpty()) return false;
            }
            if (BranchForms.terminatorOf(blocks.get(b)) == Terminator.INDIRECT_JUMP) return false;
        }
        return false;
    }
}
