package dev.tracedb.cli;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.GuardedLoad;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb traces FILE.tcache}: what a trace cache holds — the modules it applies to (and
 * the bytes it relies on), each trace's head and code, and the compiler's forecast for it. Reads
 * the file with every check {@link TraceCacheFile} makes, so a damaged file is one error line.
 */
@Command(name = "traces", mixinStandardHelpOptions = true,
        description = {"List what a trace cache holds: modules, traces and the compiler's forecast.",
            "The forecast comes from replaying the recorded runs against the traces (tracedb compile)."})
final class TracesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A trace cache written by tracedb compile.")
    Path file;

    @Override
    public Integer call() {
        TraceCache cache = TraceCacheFile.read(file);
        print(spec.commandLine().getOut(), file, cache);
        return TraceDbCommand.EXIT_OK;
    }

    static void print(PrintWriter out, Path file, TraceCache cache) {
        int traces = cache.code().stream().mapToInt(c -> c.entries().size()).sum();
        long codeBytes = cache.code().stream().mapToLong(c -> c.code().length).sum();
        out.println(file + ": format " + cache.formatVersion() + ", " + plural(cache.modules().size(), "module") + ", "
                + plural(traces, "trace") + ", " + Formats.bytes(codeBytes) + " of code");
        Forecast forecast = cache.forecast();
        if (forecast != null) {
            out.println(String.format(Locale.ROOT, "forecast: %.1f %% of %s recorded instructions would run inside traces",
                    100 * forecast.coverage(), Formats.count(forecast.totalInstructions())));
        }
        if (cache.modules().isEmpty()) {
            return;
        }
        out.println();
        out.println("modules:");
        Table modules = new Table("#", "TRACES", "CODE", "RELIED-ON", "HASH", "BUILD-ID", "PATH")
                .alignRight(0).alignRight(1).alignRight(2);
        for (ModuleCode code : cache.code()) {
            CachedModule m = cache.modules().get(code.moduleIndex());
            long relied = m.reliedOn().stream().mapToLong(CachedModule.ByteRange::length).sum();
            modules.row(code.moduleIndex(), code.entries().size(), Formats.bytes(code.code().length),
                    Formats.count(relied) + " bytes in " + plural(m.reliedOn().size(), "range"),
                    String.format("%016x", m.reliedOnHash()), m.buildId().isEmpty() ? "-" : m.buildId(), m.path());
        }
        modules.print(out, "  ");

        Map<Integer, Forecast.TraceForecast> byTrace = new HashMap<>();
        if (forecast != null) {
            forecast.traces().forEach(t -> byTrace.put(t.traceId(), t));
        }
        out.println();
        out.println("traces:");
        Table table = new Table("TRACE", "HEAD", "PATCH", "CODE", "ENTRIES", "COMPLETIONS", "INSTRUCTIONS", "TOP EXIT")
                .alignRight(0).alignRight(2).alignRight(3).alignRight(4).alignRight(5).alignRight(6);
        for (ModuleCode code : cache.code()) {
            String module = Path.of(cache.modules().get(code.moduleIndex()).path()).getFileName().toString();
            for (ModuleCode.TraceEntry e : code.entries()) {
                Forecast.TraceForecast f = byTrace.get(e.traceId());
                table.row(e.traceId(), module + "+0x" + Long.toHexString(e.headOffset()), e.patchLength() + " B",
                        "+0x" + Integer.toHexString(e.codeOffset()),
                        f == null ? "-" : Formats.count(f.entries()),
                        f == null ? "-" : Formats.count(f.completions()),
                        f == null ? "-" : Formats.count(f.instructionsInside()),
                        f == null || f.exits().isEmpty() ? "-" : "+0x" + Long.toHexString(f.exits().get(0).to().offset())
                                + " (" + Formats.count(f.exits().get(0).count()) + "x)");
            }
        }
        table.print(out, "  ");
        printValueGuards(out, cache);
    }

    /** The loads each trace compares with a recorded value instead of making (value guards), by trace. */
    private static void printValueGuards(PrintWriter out, TraceCache cache) {
        if (cache.valueGuards().isEmpty()) return;
        Map<Integer, String> moduleOfTrace = new HashMap<>();
        for (ModuleCode code : cache.code()) {
            String module = Path.of(cache.modules().get(code.moduleIndex()).path()).getFileName().toString();
            code.entries().forEach(e -> moduleOfTrace.put(e.traceId(), module));
        }
        out.println();
        out.println("value guards: " + Formats.count(cache.valueGuards().size()));
        Table table = new Table("TRACE", "LOAD", "VALUE").alignRight(0);
        for (GuardedLoad g : cache.valueGuards()) {
            table.row(g.traceId(), moduleOfTrace.getOrDefault(g.traceId(), "?") + "+0x" + Long.toHexString(g.offset()),
                    "0x" + Long.toHexString(g.value()));
        }
        table.print(out, "  ");
    }

    private static String plural(long n, String noun) {
        return Formats.count(n) + " " + noun + (n == 1 ? "" : "s");
    }
}
