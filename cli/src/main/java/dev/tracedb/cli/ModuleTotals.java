package dev.tracedb.cli;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.projection.Profile;
import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.RunCode;
import java.util.HashMap;
import java.util.Map;

/** Instructions executed per module, from the run's (cached) profile: the module lines of {@code tracedb info}. */
final class ModuleTotals {
    private final Map<Integer, Long> byModule;

    private ModuleTotals(Map<Integer, Long> byModule) {
        this.byModule = byModule;
    }

    static ModuleTotals of(RunReader reader) {
        Map<Integer, Long> totals = new HashMap<>();
        if (reader.blockEventCount() > 0) {
            RunCode code = RunCode.read(reader);
            Profile profile = ProfileCache.load(reader);
            profile.forEachBlock((id, count) -> {
                var block = code.block(id);
                totals.merge(block.moduleId(), count * block.instructionCount(), Long::sum);
            });
        }
        return new ModuleTotals(totals);
    }

    long instructions(int moduleId) {
        return byModule.getOrDefault(moduleId, 0L);
    }
}
