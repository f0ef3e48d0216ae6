package dev.tracedb.compiler.forecast;

import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.ModuleKey;
import dev.tracedb.compiler.mining.ModuleLayout;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.ElfReadException;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * The program's entry point as a module address: where the forecast switches the traces on. The
 * loader applies a cache once the program's modules are mapped, i.e. when the dynamic loader has
 * mapped and relocated them and jumps to the program's entry; everything before (the dynamic
 * loader's own start-up work) runs in the original code whatever the cache holds.
 */
public record ProgramEntry(ModuleKey module, long offset) {
    public ProgramEntry {
        Objects.requireNonNull(module, "module");
    }

    /**
     * The entry of the program that {@code run} ran, if its file is still there with the recorded
     * build-id and the run mapped it.
     */
    public static Optional<ProgramEntry> of(RunReader run) {
        String program = BlockStream.programPath(run);
        for (ModuleMapped mapped : run.modules()) {
            if (!mapped.path().equals(program)) continue;
            try {
                ElfImage elf = ElfImage.read(Path.of(program));
                if (!elf.buildId().orElse("").equals(HexFormat.of().formatHex(mapped.buildId()))) {
                    return Optional.empty();
                }
                return Optional.of(new ProgramEntry(ModuleKey.of(mapped), elf.entry() - ModuleLayout.linkTimeBias(elf)));
            } catch (ElfReadException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
