package dev.tracedb.loader;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.elf.Symbol;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Mem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Trace caches built by hand, until the code generator exists: one trace whose head is a
 * function's entry in a module (e.g. {@code mix} in {@code testprograms/src/loader-target.c}, or
 * libc's {@code fwrite}); its code is the head's first whole instructions (at least 5 bytes,
 * copied as they are) and a {@code jmp} back to the instruction after them. Offsets and bytes come
 * from the module file itself, so the tests follow a rebuilt program or an updated library.
 */
final class HandBuiltTraces {
    final Path program;
    final String buildId;
    final long headOffset;
    final byte[] headBytes;
    final long markerOffset;

    /** Traces on {@code loader-target}'s {@code mix}, with its {@code trace_marker}. */
    HandBuiltTraces(Path program) throws IOException {
        this(program, "mix", "trace_marker");
    }

    /**
     * @param program  the module file (an executable or a library)
     * @param function whose entry is the head
     * @param marker   a data symbol {@link #marker()} increments, or null
     */
    HandBuiltTraces(Path program, String function, String marker) throws IOException {
        this.program = program;
        ElfImage elf = ElfImage.read(program);
        this.buildId = elf.buildId().orElseThrow();
        List<Segment> loads = elf.segments().stream().filter(s -> s.type() == SegmentType.LOAD).toList();
        long fileStart = loads.stream().map(s -> s.virtualAddress() - s.fileOffset()).min(Comparator.naturalOrder()).orElseThrow();
        Symbol mix = symbol(elf, function);
        this.headOffset = mix.value() - fileStart;
        this.markerOffset = marker == null ? -1 : symbol(elf, marker).value() - fileStart;

        Segment text = loads.stream().filter(s -> s.contains(mix.value())).findFirst().orElseThrow();
        byte[] file = Files.readAllBytes(program);
        int at = (int) (mix.value() - text.virtualAddress() + text.fileOffset());
        byte[] code = Arrays.copyOfRange(file, at, at + (int) Math.max(mix.size(), 32));
        int length = 0;
        try (Decoder decoder = Decoder.open()) {
            while (length < 5) {
                Instruction insn = decoder.decode(code, mix.value(), mix.value() + length);
                if (insn.endsBlock() || insn.ripRelativeOperand().isPresent()) {
                    throw new IllegalStateException(function + "'s head is not plain straight-line code: " + insn.text());
                }
                length += insn.length();
            }
        }
        this.headBytes = Arrays.copyOf(code, length);
    }

    /**
     * One transparent trace on each of the first {@code n} functions of {@code library} (by
     * address) whose head is straight-line code without RIP-relative operands: many heads on many
     * pages, in a library every dynamic program loads.
     */
    static TraceCache manyTransparent(Path library, int n) throws IOException {
        ElfImage elf = ElfImage.read(library);
        byte[] file = Files.readAllBytes(library);
        List<Segment> loads = elf.segments().stream().filter(s -> s.type() == SegmentType.LOAD).toList();
        long fileStart = loads.stream().map(s -> s.virtualAddress() - s.fileOffset()).min(Comparator.naturalOrder()).orElseThrow();
        java.util.TreeMap<Long, byte[]> heads = new java.util.TreeMap<>();
        try (Decoder decoder = Decoder.open()) {
            for (Symbol s : elf.symbols()) {
                if (!s.defined() || s.type() != dev.tracedb.machine.elf.SymbolType.FUNC || s.size() < 16) continue;
                Segment text = loads.stream().filter(g -> g.isExecutable() && g.contains(s.value())).findFirst().orElse(null);
                if (text == null || heads.containsKey(s.value() - fileStart)) continue;
                int at = (int) (s.value() - text.virtualAddress() + text.fileOffset());
                byte[] code = Arrays.copyOfRange(file, at, at + 32);
                int length = 0;
                try {
                    while (length >= 0 && length < 5) {
                        Instruction insn = decoder.decode(code, s.value(), s.value() + length);
                        length = insn.endsBlock() || insn.ripRelativeOperand().isPresent() ? -1 : length + insn.length();
                    }
                } catch (RuntimeException undecodable) {
                    length = -1;
                }
                if (length >= 5) heads.put(s.value() - fileStart, Arrays.copyOf(code, length));
            }
        }
        Assembler asm = new Assembler(new CodeBuffer(0));
        List<ModuleCode.Relocation> relocations = new ArrayList<>();
        List<ModuleCode.TraceEntry> entries = new ArrayList<>();
        CountingBuilder counting = new CountingBuilder();
        List<CachedModule.ByteRange> ranges = new ArrayList<>();
        ReliedOnHash hash = new ReliedOnHash();
        for (var head : heads.entrySet()) {
            if (entries.size() == n) break;
            long end = head.getKey() + head.getValue().length;
            if (!ranges.isEmpty() && ranges.get(ranges.size() - 1).offset() + ranges.get(ranges.size() - 1).length() > head.getKey()) {
                continue; // overlaps the previous head (an alias inside a function)
            }
            counting.add(entries.size(), head.getKey(), head.getValue());
            entries.add(new ModuleCode.TraceEntry(entries.size(), head.getKey(), asm.position(), head.getValue().length));
            ranges.add(new CachedModule.ByteRange(head.getKey(), head.getValue().length));
            hash.update(head.getValue());
            for (byte b : head.getValue()) asm.buffer().emit8(b);
            asm.jmp(0L);
            relocations.add(new ModuleCode.Relocation(asm.position() - 4, ModuleCode.Relocation.Kind.REL32, end));
        }
        CachedModule module = new CachedModule(library.toString(), elf.buildId().orElseThrow(), ranges, hash.value());
        return new TraceCache(TraceCache.FORMAT_VERSION, List.of(module),
                List.of(new ModuleCode(0, asm.finish(), relocations, entries, counting.build())), new Forecast(0, 0, List.of()));
    }

    /**
     * The counting variant of transparent traces, as the code generator makes it: the entry
     * counted, the head's instructions, the completion counted, then back to the original code.
     * (The counting variant of {@link #marker()} is the transparent one: the marker counts only
     * in plain runs.)
     */
    private static final class CountingBuilder {
        private final Assembler asm = new Assembler(new CodeBuffer(0));
        private final List<ModuleCode.Relocation> relocations = new ArrayList<>();
        private final List<ModuleCode.TraceEntry> entries = new ArrayList<>();
        private final List<ModuleCode.Counter> counters = new ArrayList<>();

        void add(int traceId, long head, byte[] bytes) {
            while (asm.position() % 16 != 0) asm.int3();
            entries.add(new ModuleCode.TraceEntry(traceId, head, asm.position(), bytes.length));
            count(new ModuleCode.Counter(traceId, ModuleCode.CounterKind.ENTRY, 0));
            for (byte b : bytes) asm.buffer().emit8(b);
            count(new ModuleCode.Counter(traceId, ModuleCode.CounterKind.COMPLETION, 0));
            asm.jmp(0L);
            relocations.add(new ModuleCode.Relocation(asm.position() - 4, ModuleCode.Relocation.Kind.REL32, head + bytes.length));
        }

        /** {@code lea rsp,[rsp-128]; pushfq; lock inc qword [rip+counter]; popfq; lea rsp,[rsp+128]} */
        private void count(ModuleCode.Counter counter) {
            asm.lea(Gpr.RSP, Mem.of(Gpr.RSP, -128));
            asm.pushfq();
            asm.buffer().emit8(0xf0);
            asm.inc(Mem.rip(0));
            relocations.add(new ModuleCode.Relocation(asm.position() - 4, ModuleCode.Relocation.Kind.COUNTER, counters.size()));
            counters.add(counter);
            asm.popfq();
            asm.lea(Gpr.RSP, Mem.of(Gpr.RSP, 128));
        }

        ModuleCode.Counting build() {
            return new ModuleCode.Counting(asm.finish(), relocations, entries, counters);
        }
    }

    private static Symbol symbol(ElfImage elf, String name) {
        return elf.symbols().stream().filter(s -> s.name().equals(name) && s.defined()).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " not in " + elf.path()));
    }

    /** The head's instructions, then back to the original code: changes nothing observable. */
    TraceCache transparent() {
        Assembler asm = new Assembler(new CodeBuffer(0));
        List<ModuleCode.Relocation> relocations = new ArrayList<>();
        copyHeadAndJumpBack(asm, relocations);
        return cache(asm.finish(), relocations, buildId, hash(headBytes));
    }

    /**
     * Counts its own entries in {@code trace_marker} (flags kept, red zone skipped), then does what
     * {@link #transparent()} does: the program prints how often the trace ran.
     */
    TraceCache marker() {
        if (markerOffset < 0) throw new IllegalStateException("no marker symbol");
        Assembler asm = new Assembler(new CodeBuffer(0));
        List<ModuleCode.Relocation> relocations = new ArrayList<>();
        asm.lea(Gpr.RSP, Mem.of(Gpr.RSP, -128));
        asm.pushfq();
        asm.inc(Mem.rip(0));
        relocations.add(new ModuleCode.Relocation(asm.position() - 4, ModuleCode.Relocation.Kind.REL32, markerOffset));
        asm.popfq();
        asm.lea(Gpr.RSP, Mem.of(Gpr.RSP, 128));
        copyHeadAndJumpBack(asm, relocations);
        return cache(asm.finish(), relocations, buildId, hash(headBytes));
    }

    /** {@link #transparent()}, compiled (so it claims) for another build. */
    TraceCache forAnotherBuild() {
        TraceCache real = transparent();
        String other = buildId.substring(0, buildId.length() - 2) + (buildId.endsWith("00") ? "01" : "00");
        return withModule(real, new CachedModule(program.toString(), other, real.modules().get(0).reliedOn(),
                real.modules().get(0).reliedOnHash()));
    }

    /** {@link #transparent()}, compiled from bytes that differ in one place from the binary's. */
    TraceCache fromChangedBytes() {
        byte[] changed = headBytes.clone();
        changed[changed.length - 1] ^= 1;
        TraceCache real = transparent();
        return withModule(real, new CachedModule(program.toString(), buildId, real.modules().get(0).reliedOn(), hash(changed)));
    }

    private void copyHeadAndJumpBack(Assembler asm, List<ModuleCode.Relocation> relocations) {
        for (byte b : headBytes) {
            asm.buffer().emit8(b);
        }
        asm.jmp(0L);
        relocations.add(new ModuleCode.Relocation(asm.position() - 4, ModuleCode.Relocation.Kind.REL32,
                headOffset + headBytes.length));
    }

    private TraceCache cache(byte[] code, List<ModuleCode.Relocation> relocations, String id, long hash) {
        CachedModule module = new CachedModule(program.toString(), id,
                List.of(new CachedModule.ByteRange(headOffset, headBytes.length)), hash);
        CountingBuilder counting = new CountingBuilder();
        counting.add(1, headOffset, headBytes);
        ModuleCode moduleCode = new ModuleCode(0, code, relocations,
                List.of(new ModuleCode.TraceEntry(1, headOffset, 0, headBytes.length)), counting.build());
        return new TraceCache(TraceCache.FORMAT_VERSION, List.of(module), List.of(moduleCode),
                new Forecast(0, 0, List.of()));
    }

    private static TraceCache withModule(TraceCache cache, CachedModule module) {
        return new TraceCache(cache.formatVersion(), List.of(module), cache.code(), cache.forecast());
    }

    private static long hash(byte[] bytes) {
        return new ReliedOnHash().update(bytes).value();
    }
}
