package dev.tracedb.compiler.cache;

import java.util.List;

/**
 * Everything in a trace-cache file: the modules it applies to, position-independent trace code
 * per module, and the compiler's forecast of how the traces behave on the recorded runs.
 * A cache never applies to a module whose build-id or relied-on bytes differ.
 */
public record TraceCache(int formatVersion, List<CachedModule> modules, List<ModuleCode> code, Forecast forecast,
                         List<GuardedLoad> valueGuards) {
    /**
     * The version this code writes; a reader refuses any other. Version 2 added the counting
     * variant of the code ({@link ModuleCode.Counting}); version 3 the value guards the code
     * applies ({@link GuardedLoad}).
     */
    public static final int FORMAT_VERSION = 3;

    public TraceCache {
        modules = List.copyOf(modules);
        code = List.copyOf(code);
        valueGuards = List.copyOf(valueGuards);
        for (ModuleCode c : code) {
            if (c.moduleIndex() < 0 || c.moduleIndex() >= modules.size()) {
                throw new IllegalArgumentException("code for unknown module " + c.moduleIndex());
            }
        }
    }

    /** A cache whose traces apply no value guard. */
    public TraceCache(int formatVersion, List<CachedModule> modules, List<ModuleCode> code, Forecast forecast) {
        this(formatVersion, modules, code, forecast, List.of());
    }
}
