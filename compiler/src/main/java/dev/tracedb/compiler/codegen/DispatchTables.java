package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.mining.ModuleLayout;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.ElfReadException;
import dev.tracedb.machine.elf.ElfType;
import dev.tracedb.machine.elf.Section;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.MemoryOperand;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.decode.RegisterOperand;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A module's read-only jump tables, as far as the file shows them: an interpreter's
 * computed-goto dispatch ({@code mov rax, [r14+rax*8]; …; jmp rax}, lua5.4's {@code disptab})
 * loads its target from an array of code addresses that the dynamic linker fills from
 * {@code R_X86_64_RELATIVE} relocations and then makes read-only ({@code PT_GNU_RELRO}). Knowing
 * the array, the code generator can guard the <em>index</em> instead of the loaded target
 * ({@link DispatchSpecialiser}).
 *
 * <p>What this class answers is only a forecast: the base register's run-time value is not known
 * here, so a table base is a <em>candidate</em> — the one address that a {@code lea base,
 * [rip+X]} anywhere in the module's code puts in that register and from which the recorded
 * target's slot is reached through relocated slots only. The generated code checks the base
 * register against it at run time before relying on it; a wrong candidate costs speed, never
 * correctness. Slots are trusted only inside {@code PT_GNU_RELRO} (written once by the dynamic
 * linker, before any of the program's code runs, then read-only) and only as the file's
 * relocations describe them; the cache's build-id check ties them to this file.
 *
 * <p>Loads once per module, the relocations at once and the sweep of the code only when a
 * dispatch's target is found in a slot; any file problem leaves the module without tables (no
 * specialisation). Not thread-safe; used only while the generator's decoder is open.
 */
final class DispatchTables {
    private static final int R_X86_64_RELATIVE = 8;
    private static final int RELA_ENTRY = 24;
    /** The longest table we believe: 4,096 slots. */
    private static final int MAX_INDEX = 4095;

    /** A table entry: the table's module offset and the index whose slot holds the target. */
    record Entry(long tableOffset, int index) {
    }

    private static final DispatchTables NONE = new DispatchTables(new TreeMap<>(), () -> Map.of(), null, 0);

    /** Relocated read-only slots: module offset → the module offset they hold. */
    private final TreeMap<Long, Long> slots;
    /** Sweeps the module's code, the first time a dispatch needs it (it decodes all of it). */
    private final Supplier<Map<Register, TreeSet<Long>>> sweep;
    /** Per 64-bit register, the module offsets a {@code lea reg, [rip+X]} loads into it; null until swept. */
    private Map<Register, TreeSet<Long>> leaTargets;
    /** A non-PIE executable (loaded at its link-time addresses), for absolute tables; else null. */
    private final ElfImage fixed;
    private final long bias;
    /** The bytes of {@link #fixed}'s read-only sections read so far, by section. */
    private final Map<Section, byte[]> readOnly = new HashMap<>();

    private DispatchTables(TreeMap<Long, Long> slots, Supplier<Map<Register, TreeSet<Long>>> sweep,
                           ElfImage fixed, long bias) {
        this.slots = slots;
        this.sweep = sweep;
        this.fixed = fixed;
        this.bias = bias;
    }

    /** No tables: no dispatch is specialised. */
    static DispatchTables none() {
        return NONE;
    }

    /**
     * Reads the module's relocations and sweeps its code for {@code lea reg, [rip+X]}. Any problem
     * (no file, another build, not ELF) gives {@link #none()}: specialisation is an optimisation.
     */
    static DispatchTables load(TraceModule module, Decoder decoder) {
        Path path = Path.of(module.path());
        if (!module.path().startsWith("/") || !Files.isRegularFile(path)) {
            return NONE;
        }
        try {
            ElfImage elf = ElfImage.read(path);
            if (!elf.buildId().orElse("").equals(module.buildId())) {
                return NONE;
            }
            long bias = ModuleLayout.linkTimeBias(elf);
            TreeMap<Long, Long> slots = relroSlots(elf, bias);
            ElfImage fixed = elf.type() == ElfType.EXECUTABLE ? elf : null;
            if (slots.isEmpty() && fixed == null) {
                return NONE;
            }
            return new DispatchTables(slots, () -> leaTargets(elf, bias, decoder), fixed, bias);
        } catch (ElfReadException | IllegalArgumentException e) {
            return NONE;
        }
    }

    /**
     * The entry through which {@code [base + index*scale + displacement]} reads {@code target}'s
     * address, when exactly one relocated read-only slot holds {@code target} and exactly one
     * {@code lea base, [rip+X]} target reaches it through contiguous relocated slots; else empty.
     */
    Optional<Entry> entryFor(Register base, int scale, long displacement, long target) {
        if (scale != 8) {
            return Optional.empty();
        }
        Long slot = null;
        for (Map.Entry<Long, Long> e : slots.entrySet()) {
            if (e.getValue() == target) {
                if (slot != null) {
                    return Optional.empty(); // two slots hold it: the index is ambiguous
                }
                slot = e.getKey();
            }
        }
        if (slot == null) {
            return Optional.empty();
        }
        if (leaTargets == null) {
            leaTargets = sweep.get();
        }
        TreeSet<Long> candidates = leaTargets.get(base.full());
        if (candidates == null) {
            return Optional.empty();
        }
        Entry found = null;
        for (long table : candidates.headSet(slot - displacement, true)) {
            long distance = slot - displacement - table;
            if (distance % 8 != 0 || distance / 8 > MAX_INDEX || !contiguous(table + displacement, slot)) {
                continue;
            }
            if (found != null) {
                return Optional.empty(); // two candidate bases: which one holds at run time is unknown
            }
            found = new Entry(table, (int) (distance / 8));
        }
        return Optional.ofNullable(found);
    }

    /**
     * The entry through which {@code [index*8 + displacement]}, a table at an absolute address,
     * reads {@code target}'s address: only in a non-PIE executable (loaded at its link-time
     * addresses, so the file's bytes are the table's, with no relocation), where the table lies in
     * a section of a read-only loadable segment ({@code .rodata}: python3.11's
     * {@code opcode_targets}, {@code jmp *0x737e40(,%rax,8)}) and exactly one of its first 4,096
     * slots inside that section holds the target; else empty. No base register, so no run-time
     * check: the slot's bytes are this file's, which the cache's build-id check ties it to.
     */
    Optional<Entry> absoluteEntryFor(long displacement, long target) {
        if (fixed == null) return Optional.empty();
        boolean readOnlySegment = fixed.segments().stream().anyMatch(s -> s.type() == SegmentType.LOAD
                && s.contains(displacement) && !s.isWritable() && displacement + 8 <= s.virtualAddress() + s.fileSize());
        Optional<Section> section = fixed.sections().stream()
                .filter(s -> s.type() != Section.TYPE_NOBITS && s.contains(displacement)).findFirst();
        if (!readOnlySegment || section.isEmpty()) return Optional.empty();
        byte[] bytes = readOnly.computeIfAbsent(section.get(), fixed::sectionBytes);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long start = displacement - section.get().address();
        Entry found = null;
        for (int i = 0; i <= MAX_INDEX && start + 8L * i + 8 <= bytes.length; i++) {
            if (b.getLong((int) (start + 8L * i)) - bias == target) {
                if (found != null) return Optional.empty(); // two slots hold it: the index is ambiguous
                found = new Entry(displacement - bias, i);
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether every 8-byte slot from {@code from} to {@code to} (both included) is a relocated read-only slot. */
    private boolean contiguous(long from, long to) {
        for (long at = from; at <= to; at += 8) {
            if (!slots.containsKey(at)) {
                return false;
            }
        }
        return true;
    }

    private static TreeMap<Long, Long> relroSlots(ElfImage elf, long bias) {
        List<Segment> relro = elf.segments().stream().filter(s -> s.type() == SegmentType.GNU_RELRO).toList();
        TreeMap<Long, Long> slots = new TreeMap<>();
        if (relro.isEmpty()) {
            return slots;
        }
        Optional<Section> rela = elf.section(".rela.dyn");
        if (rela.isEmpty()) {
            return slots;
        }
        ByteBuffer b = ByteBuffer.wrap(elf.sectionBytes(rela.get())).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= RELA_ENTRY) {
            long offset = b.getLong();
            long info = b.getLong();
            long addend = b.getLong();
            if ((int) info != R_X86_64_RELATIVE) {
                continue;
            }
            long at = offset;
            if (relro.stream().anyMatch(s -> s.contains(at) && s.contains(at + 7))) {
                slots.put(offset - bias, addend - bias);
            }
        }
        return slots;
    }

    private static Map<Register, TreeSet<Long>> leaTargets(ElfImage elf, long bias, Decoder decoder) {
        Map<Register, TreeSet<Long>> targets = new HashMap<>();
        List<Section> code = new ArrayList<>();
        for (Segment segment : elf.segments()) {
            if (segment.type() != SegmentType.LOAD || !segment.isExecutable()) continue;
            for (Section s : elf.sections()) {
                if (s.type() != Section.TYPE_NOBITS && s.size() > 0 && s.address() != 0
                        && s.address() >= segment.virtualAddress()
                        && s.address() + s.size() <= segment.virtualAddress() + segment.fileSize()) {
                    code.add(s);
                }
            }
        }
        for (Section section : code) {
            byte[] bytes = elf.sectionBytes(section);
            long address = section.address() - bias;
            int from = 0;
            while (from < bytes.length) {
                byte[] rest = from == 0 ? bytes : Arrays.copyOfRange(bytes, from, bytes.length);
                try {
                    decoder.decodeAll(rest, address + from, insn -> addLea(insn, targets));
                    break;
                } catch (UndecodableInstructionException e) {
                    from = Math.toIntExact(e.address() - address) + 1;
                }
            }
        }
        return targets;
    }

    private static void addLea(Instruction insn, Map<Register, TreeSet<Long>> targets) {
        if (!insn.mnemonic().equals("lea") || insn.operands().size() != 2) return;
        if (insn.operands().get(0) instanceof RegisterOperand r && r.sizeBytes() == 8
                && insn.operands().get(1) instanceof MemoryOperand m && m.isRipRelative()) {
            targets.computeIfAbsent(r.register().full(), k -> new TreeSet<>()).add(insn.ripRelativeTarget().getAsLong());
        }
    }
}
