import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.elf.Symbol;
import dev.tracedb.machine.elf.SymbolType;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes the caches bench/loader-startup.sh applies: an empty one, and caches of N hand-built
 * "transparent" traces on libc functions (each: the function's first whole instructions, >= 5
 * bytes, copied, then a jmp back). Only functions whose head is straight-line code without
 * RIP-relative operands are used, so every trace is exact; the script still compares outputs.
 * Usage: java -cp cli/target/tracedb.jar bench/LoaderStartupCaches.java OUTDIR N...
 */
public class LoaderStartupCaches {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        TraceCacheFile.write(new TraceCache(TraceCache.FORMAT_VERSION, List.of(), List.of(), new Forecast(0, 0, List.of())),
                out.resolve("empty.tcache"));
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath();
        ElfImage elf = ElfImage.read(libc);
        byte[] file = Files.readAllBytes(libc);
        List<Segment> loads = elf.segments().stream().filter(s -> s.type() == SegmentType.LOAD).toList();
        long fileStart = loads.stream().map(s -> s.virtualAddress() - s.fileOffset()).min(Comparator.naturalOrder()).orElseThrow();
        TreeMap<Long, byte[]> heads = new TreeMap<>();
        try (Decoder decoder = Decoder.open()) {
            for (Symbol s : elf.symbols()) {
                if (!s.defined() || s.type() != SymbolType.FUNC || s.size() < 16 || heads.containsKey(s.value())) continue;
                Segment text = loads.stream().filter(seg -> seg.isExecutable() && seg.contains(s.value())).findFirst().orElse(null);
                if (text == null) continue;
                int at = (int) (s.value() - text.virtualAddress() + text.fileOffset());
                byte[] code = Arrays.copyOfRange(file, at, at + 32);
                int length = 0;
                try {
                    while (length < 5) {
                        Instruction insn = decoder.decode(code, s.value(), s.value() + length);
                        if (insn.endsBlock() || insn.ripRelativeOperand().isPresent()) { length = -1; break; }
                        length += insn.length();
                    }
                } catch (RuntimeException e) {
                    length = -1;
                }
                if (length >= 5) heads.put(s.value() - fileStart, Arrays.copyOf(code, length));
            }
        }
        for (int i = 1; i < args.length; i++) {
            int n = Integer.parseInt(args[i]);
            write(out.resolve("libc-" + n + ".tcache"), libc, elf.buildId().orElseThrow(), heads, n);
        }
        System.err.println("libc functions with a plain head: " + heads.size());
    }

    static void write(Path file, Path libc, String buildId, TreeMap<Long, byte[]> heads, int n) {
        List<CachedModule.ByteRange> ranges = new ArrayList<>();
        List<ModuleCode.Relocation> relocations = new ArrayList<>();
        List<ModuleCode.TraceEntry> entries = new ArrayList<>();
        ReliedOnHash hash = new ReliedOnHash();
        ByteBuffer code = ByteBuffer.allocate(64 * n).order(ByteOrder.LITTLE_ENDIAN);
        int id = 0;
        for (var head : heads.entrySet()) {
            if (id == n) break;
            byte[] bytes = head.getValue();
            ranges.add(new CachedModule.ByteRange(head.getKey(), bytes.length));
            hash.update(bytes);
            int start = code.position();
            code.put(bytes).put((byte) 0xe9);
            relocations.add(new ModuleCode.Relocation(code.position(), ModuleCode.Relocation.Kind.REL32, head.getKey() + bytes.length));
            code.putInt(0);
            entries.add(new ModuleCode.TraceEntry(id++, head.getKey(), start, bytes.length));
        }
        byte[] blob = Arrays.copyOf(code.array(), code.position());
        TraceCacheFile.write(new TraceCache(TraceCache.FORMAT_VERSION,
                List.of(new CachedModule(libc.toString(), buildId, ranges, hash.value())),
                List.of(new ModuleCode(0, blob, relocations, entries)), new Forecast(0, 0, List.of())), file);
    }
}
