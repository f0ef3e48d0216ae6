package dev.tracedb.recorder;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteMemory;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Answers "which module holds the code at this address?" for the recorded process, and writes
 * {@link ModuleMapped} the first time execution reaches a module.
 *
 * <p>It keeps the executable mappings it has seen in an address index and re-reads
 * {@code /proc/PID/maps} only when an address is in none of them: code is mapped before it runs
 * (the dynamic loader maps a whole library before calling into it), so a miss means "new code",
 * never "stale index". Code that goes away is reported by the engine with {@link #forget}.
 *
 * <p>The module record: path, base (where file offset 0 is), size, the ELF build-id read from the
 * file, and a SHA-256 over the module's executable mappings as they are in the tracee's memory
 * (each mapping's offset from the base, then its bytes): the bytes that were run, even if the file
 * has changed since. The vDSO is a module named {@code [vdso]} with no build-id.
 *
 * <p>Execution in anonymous executable memory (JIT code) or in anything else that is not a file or
 * the vDSO is {@link RunTimeCodeReached}: blocks are defined relative to a module, and such code
 * has none. The engines step aside there (the program runs it natively, unrecorded).
 *
 * <p>Not thread-safe: use from one thread (the engine's).
 */
public final class ModuleTracker implements CodeWrites.EnteredCode {
    private static final String VDSO = "[vdso]";

    private final int pid;
    private final RemoteMemory memory;
    private final RunWriter writer;
    /** Start of each executable range seen → the range; ranges never overlap. */
    private final TreeMap<Long, Range> ranges = new TreeMap<>(Long::compareUnsigned);
    /** Modules by identity (path and base): a library unmapped and mapped again elsewhere is a new module. */
    private final Map<String, CodeModule> byIdentity = new HashMap<>();
    private final List<CodeModule> modules = new ArrayList<>();

    /** {@code inode}: of the mapped file, 0 for the vDSO. */
    private record Range(long start, long end, long inode, CodeModule module) {
        boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }
    }

    public ModuleTracker(int pid, RemoteMemory memory, RunWriter writer) {
        this.pid = pid;
        this.memory = memory;
        this.writer = writer;
    }

    /**
     * The module holding executable code at {@code address}, writing its {@link ModuleMapped} on
     * first sight.
     *
     * @throws RunTimeCodeReached        if the address is in executable memory that is not a file's (JIT code)
     * @throws RecordingStoppedException if the address is not executable or not mapped
     */
    public CodeModule moduleAt(long address) {
        Range range = lookup(address);
        if (range == null) {
            refresh(address);
            range = lookup(address);
        }
        return range.module();
    }

    /** The module holding {@code address} if it is one seen already, else null; never reads maps or logs. */
    public CodeModule knownModuleAt(long address) {
        Range range = lookup(address);
        return range == null ? null : range.module();
    }

    /** The executable range around {@code address}: {@code [start, end)} of its mapping. */
    public long mappingEnd(long address) {
        moduleAt(address);
        return lookup(address).end();
    }

    /**
     * Whether {@code [start, end)} overlaps an executable range of a module the run has entered
     * (never reads maps): the {@link CodeWrites.EnteredCode} of a recording.
     */
    public boolean holdsCodeIn(long start, long end) {
        Map.Entry<Long, Range> below = ranges.lowerEntry(end);
        return below != null && Long.compareUnsigned(start, below.getValue().end()) < 0;
    }

    @Override
    public boolean overlaps(long start, long end) {
        return holdsCodeIn(start, end);
    }

    /** Whether an executable range of an entered module is mapped from inode {@code inode} (a walk of a few dozen ranges). */
    @Override
    public boolean holdsCodeOf(long inode) {
        for (Range range : ranges.values()) {
            if (range.inode() == inode) {
                return true;
            }
        }
        return false;
    }

    /** The modules written so far, in log order. */
    public List<CodeModule> modules() {
        return List.copyOf(modules);
    }

    /**
     * Code in {@code [start, start + length)} was unmapped (or remapped): forget the ranges that
     * overlap it, so that the next execution there looks again.
     */
    public void forget(long start, long length) {
        long end = start + length;
        ranges.values().removeIf(r -> Long.compareUnsigned(r.start(), end) < 0 && Long.compareUnsigned(start, r.end()) < 0);
    }

    private Range lookup(long address) {
        Map.Entry<Long, Range> entry = ranges.floorEntry(address);
        return entry != null && entry.getValue().contains(address) ? entry.getValue() : null;
    }

    private void refresh(long address) {
        List<MemoryMapping> mappings = ProcMaps.read(pid);
        MemoryMapping hit = mappings.stream().filter(m -> m.contains(address)).findFirst()
                .orElseThrow(() -> new NoCodeReached(String.format(
                        "execution reached 0x%x, which is not mapped", address)));
        if (!hit.isExecutable()) {
            throw new NoCodeReached(String.format(
                    "execution reached 0x%x in a non-executable mapping (%s %s)", address, hit.permissions(),
                    hit.path().orElse("anonymous")));
        }
        if (hit.path().filter(VDSO::equals).isPresent()) {
            addVdso(hit);
            return;
        }
        if (!hit.isFileBacked()) {
            throw new RunTimeCodeReached(address, String.format("%s executable memory (%s 0x%x-0x%x)", hit.path().orElse("anonymous"),
                    hit.permissions(), hit.start(), hit.end()));
        }
        LoadedModule loaded = LoadedModule.group(mappings).stream().filter(m -> m.contains(address)).findFirst()
                .orElseThrow();
        CodeModule module = byIdentity.get(loaded.path() + "@" + loaded.base());
        if (module == null) {
            module = define(loaded.path(), loaded.base(), loaded.size(), loaded.executableMappings(),
                    buildId(loaded.path()));
        }
        for (MemoryMapping m : loaded.executableMappings()) {
            forget(m.start(), m.size());
            ranges.put(m.start(), new Range(m.start(), m.end(), m.inode(), module));
        }
    }

    private void addVdso(MemoryMapping vdso) {
        CodeModule module = byIdentity.get(VDSO + "@" + vdso.start());
        if (module == null) {
            module = define(VDSO, vdso.start(), vdso.size(), List.of(vdso), new byte[0]);
        }
        forget(vdso.start(), vdso.size());
        ranges.put(vdso.start(), new Range(vdso.start(), vdso.end(), 0, module));
    }

    private CodeModule define(String path, long base, long size, List<MemoryMapping> executable, byte[] buildId) {
        CodeModule module = new CodeModule(modules.size(), path, base, size);
        writer.moduleMapped(new ModuleMapped(module.id(), path, base, size, buildId, hash(base, executable)));
        modules.add(module);
        byIdentity.put(path + "@" + base, module);
        return module;
    }

    private byte[] hash(long base, List<MemoryMapping> executable) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        for (MemoryMapping m : executable) {
            long offset = m.start() - base;
            for (int shift = 0; shift < 64; shift += 8) {
                sha.update((byte) (offset >>> shift));
            }
            sha.update(memory.read(RemoteAddress.of(m.start()), Math.toIntExact(m.size())));
        }
        return sha.digest();
    }

    /** The file's GNU build-id, or none if it has none or cannot be read (a deleted file, say). */
    private static byte[] buildId(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            return new byte[0];
        }
        try {
            Optional<String> id = ElfImage.read(file).buildId();
            return id.map(HexFormat.of()::parseHex).orElse(new byte[0]);
        } catch (RuntimeException e) {
            // Not an ELF file we can read: the module is still recorded, just without a build-id.
            return new byte[0];
        }
    }
}
