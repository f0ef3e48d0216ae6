package dev.tracedb.store.query;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.ElfReadException;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.elf.Symbolizer;
import dev.tracedb.store.ModuleMapped;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Function names for a run's code, from the modules' ELF files ({@code .symtab}, else {@code .dynsym};
 * a separate debug file under {@code /usr/lib/debug/.build-id} when one is installed). A module is
 * named only when its file still exists and carries the build-id the log recorded: a rebuilt binary
 * would name the wrong functions, so its blocks stay {@code module+0xoffset}. Why a module has no
 * names is kept in {@link #notes()}.
 *
 * <p>Immutable once built; safe to share.
 */
public final class CodeNames {
    private static final Path DEBUG_ROOT = Path.of("/usr/lib/debug/.build-id");

    /** How one module's offsets become file virtual addresses, and its names. */
    private record ModuleNames(List<Segment> executable, Symbolizer symbols) {
    }

    private final RunCode code;
    private final Map<Integer, ModuleNames> byModule = new HashMap<>();
    private final List<String> notes = new ArrayList<>();

    private CodeNames(RunCode code) {
        this.code = code;
        for (ModuleMapped module : code.modules()) {
            load(module).ifPresent(names -> byModule.put(module.moduleId(), names));
        }
    }

    public static CodeNames of(RunCode code) {
        return new CodeNames(code);
    }

    /** Why some modules have no names (file gone, build-id changed, no symbols). */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** The function holding {@code offset} of module {@code moduleId}, e.g. {@code main+0x1b}; empty if none is known. */
    public Optional<String> function(int moduleId, long offset) {
        return location(moduleId, offset).map(Symbolizer.Location::toString);
    }

    /** The function's name alone (no offset); empty if none is known. */
    public Optional<String> functionName(int moduleId, long offset) {
        return location(moduleId, offset).map(l -> l.function().name());
    }

    /** {@code main+0x1b} when a symbol covers the offset, else {@code module+0xoffset}. */
    public String describe(int moduleId, long offset) {
        return function(moduleId, offset).orElseGet(() -> code.where(moduleId, offset));
    }

    private Optional<Symbolizer.Location> location(int moduleId, long offset) {
        ModuleNames names = byModule.get(moduleId);
        if (names == null) return Optional.empty();
        for (Segment segment : names.executable()) {
            // The log's offsets count from where file offset 0 is mapped: file offset -> virtual address.
            if (offset >= segment.fileOffset() && offset < segment.fileOffset() + segment.fileSize()) {
                return names.symbols().locate(segment.virtualAddress() + (offset - segment.fileOffset()));
            }
        }
        return Optional.empty();
    }

    private Optional<ModuleNames> load(ModuleMapped module) {
        String name = RunCode.shortName(module);
        Path file = Path.of(module.path());
        if (!module.path().startsWith("/") || !Files.isRegularFile(file)) {
            notes.add(name + ": no file on disk (" + module.path() + "), named by offset");
            return Optional.empty();
        }
        try {
            ElfImage image = ElfImage.read(file);
            String recorded = HexFormat.of().formatHex(module.buildId());
            String now = image.buildId().orElse("");
            if (!recorded.equals(now)) {
                notes.add(name + ": build-id changed since the recording (" + (recorded.isEmpty() ? "none" : recorded)
                        + " then, " + (now.isEmpty() ? "none" : now) + " now), named by offset");
                return Optional.empty();
            }
            Symbolizer symbols = symbolsOf(image, now);
            if (symbols.functionCount() == 0) {
                notes.add(name + ": no function symbols (stripped, no debug file), named by offset");
                return Optional.empty();
            }
            List<Segment> executable = image.segments().stream()
                    .filter(s -> s.type() == SegmentType.LOAD && s.isExecutable()).toList();
            return Optional.of(new ModuleNames(executable, symbols));
        } catch (ElfReadException e) {
            notes.add(name + ": unreadable ELF (" + e.getMessage() + "), named by offset");
            return Optional.empty();
        }
    }

    /** The module's own symbols, or a debug file's when the module has only a few dynamic ones. */
    private static Symbolizer symbolsOf(ElfImage image, String buildId) {
        Symbolizer own = image.symbolizer();
        if (buildId.length() > 2) {
            Path debug = DEBUG_ROOT.resolve(buildId.substring(0, 2)).resolve(buildId.substring(2) + ".debug");
            if (Files.isRegularFile(debug)) {
                try {
                    Symbolizer fromDebug = ElfImage.read(debug).symbolizer();
                    if (fromDebug.functionCount() > own.functionCount()) return fromDebug;
                } catch (ElfReadException e) {
                    // a damaged debug file is no reason to lose the module's own names
                }
            }
        }
        return own;
    }
}
