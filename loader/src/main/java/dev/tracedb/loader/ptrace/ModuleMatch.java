package dev.tracedb.loader.ptrace;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.linux.LoadedModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which loaded module a cached module means: the one with its build-id, else the one with its file
 * name (then the cache must name no build-id). The same rule as the preload shim's find_object.
 */
final class ModuleMatch {
    private ModuleMatch() {
    }

    /** The loaded module, or the reason there is none (a line for the user). */
    record Result(Optional<LoadedModule> module, String refusal) {
    }

    static Result find(CachedModule cached, List<LoadedModule> loaded) {
        String name = fileName(cached.path());
        LoadedModule byName = null;
        String byNameBuildId = "";
        for (LoadedModule module : loaded) {
            String buildId = buildId(module);
            if (!cached.buildId().isEmpty() && cached.buildId().equalsIgnoreCase(buildId)) {
                return new Result(Optional.of(module), null);
            }
            if (byName == null && fileName(module.path()).equals(name)) {
                byName = module;
                byNameBuildId = buildId;
            }
        }
        if (byName == null) {
            return new Result(Optional.empty(), "not applied: no such module was loaded at start-up (another program?)");
        }
        if (!cached.buildId().isEmpty()) {
            return new Result(Optional.empty(), "not applied: " + byName.path() + " has build-id "
                    + (byNameBuildId.isEmpty() ? "(none)" : byNameBuildId) + ", the cache was compiled for build-id "
                    + cached.buildId());
        }
        return new Result(Optional.of(byName), null);
    }

    private static String buildId(LoadedModule module) {
        try {
            return ElfImage.read(Path.of(module.path())).buildId().orElse("");
        } catch (RuntimeException e) {
            return ""; // not an ELF file we can read (a deleted file, a data mapping): no build-id
        }
    }

    private static String fileName(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
