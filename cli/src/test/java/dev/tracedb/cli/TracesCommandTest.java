package dev.tracedb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.compiler.codegen.GeneratedCode;
import dev.tracedb.compiler.codegen.TraceCodeGenerator;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.store.Terminator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracedb traces}: the listing of a cache, and one error line for a damaged one. */
class TracesCommandTest {
    @TempDir
    Path dir;

    @Test
    void listsModulesTracesAndTheForecast() throws Exception {
        // add rax, 1; cmp rax, rbx; jne back to the start: a one-block loop
        PathBlock loop = new PathBlock(new CodeAddress(0, 0x1130), HexFormat.of().parseHex("4883c0014839d875f7"), 3,
                Terminator.CONDITIONAL);
        TraceSelection selection = new TraceSelection(List.of(new TraceModule("/usr/bin/example", "0123abcd", 0x5000)),
                List.of(new TracePath(0, List.of(loop), loop.at(), 7)));
        GeneratedCode code = new TraceCodeGenerator().generate(selection);
        assertEquals(List.of(), code.refusals());
        Forecast forecast = new Forecast(1000, 600, List.of(new Forecast.TraceForecast(0, 7, 200, 600,
                List.of(new Forecast.ExitCount(new CodeAddress(0, 0x1139), 7)))));
        Path file = dir.resolve("example.tcache");
        TraceCacheFile.write(code.toCache(forecast), file);

        CliRun r = CliRun.tracedb(null, "traces", file.toString());
        assertEquals(0, r.status(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(file + ": format " + dev.tracedb.compiler.cache.TraceCache.FORMAT_VERSION + ", 1 module, 1 trace, " + code.code().get(0).code().length + " B of code", lines.get(0));
        assertEquals("forecast: 60.0 % of 1,000 recorded instructions would run inside traces", lines.get(1));
        assertTrue(lines.get(5).matches("\\s*0\\s+1\\s+\\d+ B\\s+9 bytes in 1 range\\s+[0-9a-f]{16}\\s+0123abcd\\s+/usr/bin/example"),
                lines.get(5));
        assertTrue(lines.get(9).matches("\\s*0\\s+example\\+0x1130\\s+7 B\\s+\\+0x0\\s+7\\s+200\\s+600\\s+\\+0x1139 \\(7x\\)"),
                lines.get(9));
    }

    @Test
    void aDamagedCacheIsOneErrorLine() throws Exception {
        Path file = dir.resolve("damaged.tcache");
        Files.write(file, new byte[100]);
        CliRun r = CliRun.tracedb(null, "traces", file.toString());
        assertEquals(1, r.status(), r::toString);
        assertEquals(1, r.err().lines().count(), r::toString);
        assertTrue(r.err().startsWith("tracedb: ") && r.err().contains("damaged.tcache"), r::toString);
    }
}
