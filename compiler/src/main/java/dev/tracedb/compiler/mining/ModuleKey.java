package dev.tracedb.compiler.mining;

import dev.tracedb.store.ModuleMapped;
import java.util.HexFormat;
import java.util.Objects;

/**
 * How a module is recognised across runs: the file it was mapped from and its ELF build-id (hex,
 * "" when the file has none). The load address is not part of it, so ASLR does not matter.
 */
public record ModuleKey(String path, String buildId) {
    public ModuleKey {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(buildId, "buildId");
    }

    public static ModuleKey of(ModuleMapped module) {
        return new ModuleKey(module.path(), HexFormat.of().formatHex(module.buildId()));
    }

    @Override
    public String toString() {
        return buildId.isEmpty() ? path : path + " (build-id " + buildId + ")";
    }
}
