package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ModuleCode.Relocation;
import dev.tracedb.compiler.cache.ModuleCode.TraceEntry;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test helper: a blob relocated at concrete addresses (applying the relocation contract of
 * {@link ModuleCode.Relocation} literally) and disassembled with Capstone into lines whose
 * addresses are symbolic: {@code m+0x…} in the module, {@code t<id>+0x…} in a trace,
 * {@code [slot m+0x…]} for a constant-pool slot (with the address it holds).
 */
final class Listing {
    static final long MODULE_BASE = 0x400000;
    static final long BLOB_BASE = 0x7f0000;
    /** Where the counting code's counters are, in {@link #ofCounting} listings. */
    static final long COUNTERS_BASE = 0x900000;
    private static final Pattern RIP = Pattern.compile("rip [+-] 0x[0-9a-f]+");

    private Listing() {}

    /** The blob with every relocation applied for {@link #MODULE_BASE} and {@link #BLOB_BASE}. */
    static byte[] relocate(ModuleCode code, long moduleBase, long blobBase) {
        return relocate(code.code(), code.relocations(), moduleBase, blobBase);
    }

    private static byte[] relocate(byte[] code, List<Relocation> relocations, long moduleBase, long blobBase) {
        ByteBuffer b = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        for (Relocation r : relocations) {
            long target = r.kind() == Relocation.Kind.COUNTER ? COUNTERS_BASE + 8 * r.moduleOffset()
                    : moduleBase + r.moduleOffset();
            if (r.kind() == Relocation.Kind.ABS64) {
                b.putLong(r.codeOffset(), target);
            } else {
                long rel = target - (blobBase + r.codeOffset() + 4);
                if (rel != (int) rel) {
                    throw new IllegalStateException("rel32 out of reach at " + r);
                }
                b.putInt(r.codeOffset(), (int) rel);
            }
        }
        return b.array();
    }

    /** One trace's code as text lines, from its entry to its constant pool. */
    static List<String> of(ModuleCode code, int traceId) {
        return of(new Blob(code.code(), code.relocations(), code.entries(), List.of()), traceId);
    }

    /**
     * One trace's counting code ({@link ModuleCode#counting()}) as text lines; a counter reads
     * {@code counter <kind> <trace>[ m+0x…]}.
     */
    static List<String> ofCounting(ModuleCode code, int traceId) {
        ModuleCode.Counting c = code.counting();
        return of(new Blob(c.code(), c.relocations(), c.entries(), c.counters()), traceId);
    }

    /** The parts of a blob a listing needs. */
    private record Blob(byte[] code, List<Relocation> relocations, List<TraceEntry> entries,
                        List<ModuleCode.Counter> counters) {}

    private static List<String> of(Blob code, int traceId) {
        byte[] bytes = relocate(code.code(), code.relocations(), MODULE_BASE, BLOB_BASE);
        Set<Integer> slots = new TreeSet<>();
        for (Relocation r : code.relocations()) {
            if (r.kind() == Relocation.Kind.ABS64) {
                slots.add(r.codeOffset());
            }
        }
        TraceEntry entry = code.entries().stream().filter(e -> e.traceId() == traceId).findFirst().orElseThrow();
        List<Instruction> insns = new ArrayList<>();
        try (Decoder decoder = Decoder.open()) {
            long pc = BLOB_BASE + entry.codeOffset();
            while (pc < BLOB_BASE + bytes.length && !slots.contains((int) (pc - BLOB_BASE))
                    && (bytes[(int) (pc - BLOB_BASE)] & 0xff) != 0xcc) {
                Instruction insn = decoder.decode(bytes, BLOB_BASE, pc);
                insns.add(insn);
                pc = insn.nextAddress();
            }
        }
        List<String> lines = new ArrayList<>();
        for (Instruction insn : insns) {
            lines.add(line(insn, insns, code, bytes));
        }
        return lines;
    }

    /** A branch to another line of the same listing names that line's index: {@code @12}. */
    private static String line(Instruction insn, List<Instruction> listing, Blob code, byte[] bytes) {
        if (insn.directTarget().isPresent()) {
            long target = insn.directTarget().getAsLong();
            for (int i = 1; i < listing.size(); i++) {
                if (listing.get(i).address() == target) {
                    return insn.mnemonic() + " @" + i;
                }
            }
            return insn.mnemonic() + " " + symbol(target, code);
        }
        if (insn.ripRelativeOperand().isPresent()) {
            long target = insn.ripRelativeTarget().getAsLong();
            String what = symbol(target, code);
            if (target >= COUNTERS_BASE && target < COUNTERS_BASE + 8L * code.counters().size()) {
                ModuleCode.Counter c = code.counters().get((int) (target - COUNTERS_BASE) / 8);
                what = "counter " + c.kind().name().toLowerCase() + " t" + c.traceId()
                        + (c.target() != 0 ? " m+0x" + Long.toHexString(c.target()) : "");
            } else if (target >= BLOB_BASE && target < BLOB_BASE + bytes.length) {
                long held = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong((int) (target - BLOB_BASE));
                what = "slot " + symbol(held, code);
            }
            Matcher m = RIP.matcher(insn.operandText());
            return insn.mnemonic() + " " + m.replaceFirst(Matcher.quoteReplacement("rip -> " + what));
        }
        return insn.text();
    }

    private static String symbol(long address, Blob code) {
        if (address >= BLOB_BASE && address < BLOB_BASE + code.code().length) {
            int offset = (int) (address - BLOB_BASE);
            TraceEntry best = null;
            for (TraceEntry e : code.entries()) {
                if (e.codeOffset() <= offset && (best == null || e.codeOffset() > best.codeOffset())) {
                    best = e;
                }
            }
            return "t" + best.traceId() + "+0x" + Integer.toHexString(offset - best.codeOffset());
        }
        return "m+0x" + Long.toHexString(address - MODULE_BASE);
    }
}
