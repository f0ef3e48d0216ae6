package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.GuardedLoad;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.path.TraceSelection;
import java.util.List;

/**
 * What code generation made of a selection.
 *
 * @param generated     the selection reduced to the traces that were generated (same module
 *                      list and indices, so a forecast can be computed on exactly these traces)
 * @param modules       the modules with at least one generated trace, in selection order
 * @param sourceModules for each entry of {@code modules}, its index in the selection's modules
 * @param code          one blob per entry of {@code modules}; {@code ModuleCode.moduleIndex}
 *                      indexes {@code modules}
 * @param refusals      the traces that were skipped, with the reason, in selection order
 * @param valueGuards   the value guards the generated code applies, by trace (the paths of
 *                      {@code generated} carry exactly these)
 */
public record GeneratedCode(TraceSelection generated, List<CachedModule> modules, List<Integer> sourceModules,
                            List<ModuleCode> code, List<Refusal> refusals, List<GuardedLoad> valueGuards) {
    public GeneratedCode {
        modules = List.copyOf(modules);
        sourceModules = List.copyOf(sourceModules);
        code = List.copyOf(code);
        refusals = List.copyOf(refusals);
        valueGuards = List.copyOf(valueGuards);
        if (modules.size() != sourceModules.size() || modules.size() != code.size()) {
            throw new IllegalArgumentException("one source index and one blob per module");
        }
    }

    /** The cache to write, with the forecast computed for {@link #generated()}. */
    public TraceCache toCache(Forecast forecast) {
        return new TraceCache(TraceCache.FORMAT_VERSION, modules, code, forecast, valueGuards);
    }
}
