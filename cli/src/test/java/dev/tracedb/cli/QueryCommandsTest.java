package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code top}, {@code show}, {@code loops}, {@code diff}, {@code runs} and {@code info} on real
 * recordings of the loops test program and lua5.4 (see {@link RecordedRuns}); JSON output is read
 * back with Jackson, so it is checked to be JSON too.
 */
class QueryCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path db = RecordedRuns.database();

    private JsonNode json(String... args) throws Exception {
        CliRun run = tracedb(db, args);
        assertEquals(0, run.status(), run::toString);
        return JSON.readTree(run.out());
    }

    private static List<JsonNode> rows(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    private long instructions(String name) {
        try (TraceDatabase database = TraceDatabase.open(db); RunReader reader = database.openRun(database.resolve(name).id())) {
            return reader.instructionCount();
        }
    }

    @Test
    void topByModuleAccountsForEveryInstruction() throws Exception {
        List<JsonNode> modules = rows(json("top", "loops", "--by", "module", "--limit", "0", "--format", "json"));
        assertEquals(instructions("loops"), modules.stream().mapToLong(m -> m.get("instructions").asLong()).sum());
        assertEquals(100.0, modules.stream().mapToDouble(m -> m.get("percent").asDouble()).sum(), 0.01);
        assertTrue(modules.stream().anyMatch(m -> m.get("module").asText().equals("libc.so.6")), modules::toString);
    }

    @Test
    void topByFunctionNamesTheProgramsFunctionsFromItsSymbols() throws Exception {
        List<JsonNode> functions = rows(json("top", "loops", "--by", "function", "--limit", "0", "--format", "json"));
        assertEquals(instructions("loops"), functions.stream().mapToLong(f -> f.get("instructions").asLong()).sum());
        JsonNode main = functions.stream().filter(f -> f.get("function").asText().equals("main")).findFirst().orElseThrow();
        JsonNode fib = functions.stream().filter(f -> f.get("function").asText().equals("fib")).findFirst().orElseThrow();
        assertEquals("loops", main.get("module").asText());
        assertEquals("loops", fib.get("module").asText());
        // fib(15) makes 1,973 calls: more block events than main's 30 x 100 loop iterations
        assertTrue(fib.get("block_events").asLong() > 1_973 * 3, fib::toString);
        for (int i = 1; i < functions.size(); i++) {
            assertTrue(functions.get(i - 1).get("instructions").asLong() >= functions.get(i).get("instructions").asLong(),
                    "hottest first, at " + i);
        }
        CliRun table = tracedb(db, "top", "loops", "--limit", "3");
        assertEquals(0, table.status(), table::toString);
        List<String> lines = table.out().lines().toList();
        assertEquals(5, lines.size(), table::toString); // summary, header, 3 rows
        assertTrue(lines.get(1).matches("FUNCTION\\s+MODULE\\s+INSTRUCTIONS\\s+PERCENT\\s+BLOCK EVENTS\\s+BLOCKS"), table::toString);
        JsonNode hottest = functions.get(0);
        assertEquals(String.format("%s  %s  %,d  %.2f  %,d  %d", hottest.get("function").asText(), hottest.get("module").asText(),
                        hottest.get("instructions").asLong(), hottest.get("percent").asDouble(),
                        hottest.get("block_events").asLong(), hottest.get("blocks").asLong()),
                lines.get(2).replaceAll("\\s{2,}", "  "), "the table's first row is the JSON's");
        CliRun csv = tracedb(db, "top", "loops", "--limit", "2", "--format", "csv");
        assertEquals("function,module,instructions,percent,block_events,blocks", csv.out().lines().findFirst().orElseThrow());
        assertEquals(3, csv.out().lines().count(), csv::toString);
    }

    @Test
    void topByBlockOfStrippedLuaNamesBlocksByModuleAndOffset() throws Exception {
        List<JsonNode> blocks = rows(json("top", "lua", "--by", "block", "--limit", "5", "--format", "json"));
        assertEquals(5, blocks.size());
        for (JsonNode b : blocks) {
            // Debian's lua5.4 is stripped: no symbol, so module+offset
            assertTrue(b.get("where").asText().matches("lua5\\.4\\+0x[0-9a-f]+"), b::toString);
            // its hottest blocks run once per iteration of the script's loop at least
            assertTrue(b.get("executions").asLong() >= 29_999, b::toString);
        }
    }

    @Test
    void python3sEvaluationLoopIsNamedFromItsDynamicSymbols() throws Exception {
        List<JsonNode> functions = rows(json("top", "python", "--limit", "5", "--format", "json"));
        // Debian's python3.11 exports its interpreter loop: the hottest function by far for Python code
        assertEquals("_PyEval_EvalFrameDefault", functions.get(0).get("function").asText(), functions::toString);
        assertTrue(functions.get(0).get("module").asText().startsWith("python3"), functions::toString);
        List<JsonNode> loops = rows(json("loops", "python", "--limit", "5", "--format", "json"));
        assertEquals(5, loops.size(), loops::toString);
        CliRun show = tracedb(db, "show", "python", "--block", loops.get(0).get("header").asText());
        assertEquals(0, show.status(), show::toString);
    }

    @Test
    void loopsFindsTheNestedLoopsOfMainWithTheirTripCounts() throws Exception {
        List<JsonNode> loops = rows(json("loops", "loops", "--limit", "0", "--format", "json"));
        // (a backward jump main takes once, into code the compiler placed earlier, is a loop of one iteration)
        List<JsonNode> inMain = loops.stream().filter(l -> l.get("where").asText().startsWith("main"))
                .filter(l -> l.get("iterations").asLong() > 1).toList();
        assertEquals(2, inMain.size(), inMain::toString);
        // for i < 30: for j < 100 — the inner loop starts 30 times and goes round ~100 times each
        JsonNode inner = inMain.stream().filter(l -> l.get("entries").asLong() == 30).findFirst().orElseThrow(() -> new AssertionError(inMain.toString()));
        double trips = inner.get("trips").asDouble();
        assertTrue(trips >= 98 && trips <= 100, inner::toString);
        double perIteration = inner.get("insns_per_iter").asDouble();
        assertEquals(Math.rint(perIteration), perIteration, 1e-9, "the inner loop body is straight-line code: " + inner);
        JsonNode outer = inMain.stream().filter(l -> l.get("entries").asLong() == 1).findFirst().orElseThrow(() -> new AssertionError(inMain.toString()));
        assertTrue(outer.get("iterations").asLong() >= 29 && outer.get("iterations").asLong() <= 30, outer::toString);
        // an outer iteration holds a whole run of the inner loop
        assertTrue(outer.get("insns_per_iter").asDouble() > trips * perIteration, outer + " vs " + inner);
    }

    @Test
    void loopsFindsTheLuaScriptsForLoopInTheInterpreter() throws Exception {
        List<JsonNode> loops = rows(json("loops", "lua", "--limit", "0", "--format", "json"));
        // OP_FORLOOP jumps back once per iteration of `for i = 1, 30000`
        assertTrue(loops.stream().anyMatch(l -> l.get("entries").asLong() == 1
                && l.get("iterations").asLong() >= 29_999 && l.get("iterations").asLong() <= 30_000), loops::toString);
    }

    @Test
    void showGivesCodeNeighboursAndPositionsThatAddUp() throws Exception {
        JsonNode hottest = rows(json("top", "loops", "--by", "block", "--limit", "1", "--format", "json")).get(0);
        long id = hottest.get("block").asLong();
        JsonNode block = json("show", "loops", "--block", String.valueOf(id), "--format", "json");
        long executions = block.get("executions").asLong();
        assertEquals(hottest.get("executions").asLong(), executions);
        assertEquals(block.get("instructions").asInt(), block.get("disassembly").size());
        long intoIt = rows(block.get("predecessors")).stream().mapToLong(n -> n.get("count").asLong()).sum();
        long outOfIt = rows(block.get("successors")).stream().mapToLong(n -> n.get("count").asLong()).sum();
        assertEquals(executions, intoIt, "every execution has a predecessor (the run does not start here)");
        assertEquals(executions, outOfIt, "every execution has a successor (the run does not end here)");
        assertTrue(block.get("first_block_event").asLong() < block.get("last_block_event").asLong(), block::toString);
        assertTrue(block.get("first_instruction").asLong() < block.get("last_instruction").asLong(), block::toString);

        String pc = block.get("module").asText() + "+0x" + Long.toHexString(block.get("offset").asLong());
        CliRun byPc = tracedb(db, "show", "loops", "--pc", pc);
        assertEquals(0, byPc.status(), byPc::toString);
        assertTrue(byPc.out().startsWith("r0001 block " + id + ": " + block.get("where").asText()), byPc::toString);
        assertTrue(byPc.out().contains("\npredecessors:\n") && byPc.out().contains("\nsuccessors:\n"), byPc::toString);
    }

    @Test
    void diffOfTwoRunsWithOtherArgumentsFindsWhereTheyPart() throws Exception {
        CliRun same = tracedb(db, "diff", "loops", "loops-again");
        assertEquals(0, same.status(), same::toString);
        assertTrue(same.out().contains("streams identical: the same instructions in the same order\nprofiles identical\n"),
                same::toString);

        JsonNode diff = json("diff", "loops", "loops-other", "--format", "json", "--limit", "0");
        long divergence = diff.get("divergence").get("instruction").asLong();
        assertTrue(divergence > 0 && divergence < instructions("loops"), diff::toString);
        JsonNode main = rows(diff.get("changes")).stream().filter(c -> c.get("function").asText().equals("main"))
                .findFirst().orElseThrow(() -> new AssertionError(diff.toString()));
        assertTrue(main.get("delta").asLong() > 0, "31 rounds run more of main than 30: " + main);
        long totalDelta = rows(diff.get("changes")).stream().mapToLong(c -> c.get("delta").asLong()).sum();
        assertEquals(instructions("loops-other") - instructions("loops"), totalDelta);
    }

    @Test
    void runsShowsDurationsAndCompleteness() {
        CliRun runs = tracedb(db, "runs");
        assertEquals(0, runs.status(), runs::toString);
        assertTrue(runs.out().lines().anyMatch(l -> l.matches("r\\d+\\s+lua\\s+complete\\s+exit 0\\s+\\S+ \\S+\\s+[\\d.]+ m?s\\s+/usr/bin/lua5.4")),
                runs::toString);
        assertTrue(runs.out().lines().anyMatch(l -> l.matches("r\\d+\\s+threads\\s+incomplete\\s+-\\s+\\S+ \\S+\\s+-\\s+.*threads-static")),
                runs::toString);
        CliRun info = tracedb(db, "info", "threads");
        assertTrue(info.out().contains("INCOMPLETE: the recording never ended"), info::toString);
    }

    @Test
    void anIncompleteRunIsSaidAndStillAnswered() {
        CliRun top = tracedb(db, "top", "threads", "--by", "module");
        assertEquals(0, top.status(), top::toString);
        assertTrue(top.err().contains(" is incomplete (its recording never ended)"), top::toString);
        assertTrue(top.out().contains("threads-static"), top::toString);
    }

    @Test
    void badInputIsOneLine(@TempDir Path empty) {
        try (TraceDatabase database = TraceDatabase.open(empty);
             RunWriter writer = database.createRun("nothing", new RunStarted(List.of("/bin/true"), "/", List.of(),
                     MachineInfo.current(), Instant.now()))) {
            writer.end(ExitStatus.exited(0));
        }
        List<CliRun> failed = new ArrayList<>();
        for (String[] args : List.of(new String[] {"top", "nothing"}, new String[] {"loops", "nothing"},
                new String[] {"show", "nothing", "--block", "0"}, new String[] {"diff", "nothing", "nothing"})) {
            CliRun run = tracedb(empty, args);
            assertEquals(1, run.status(), run::toString);
            assertEquals("tracedb: run r0001 has no block events: nothing was executed while it was recording\n", run.err());
            failed.add(run);
        }
        CliRun unknown = tracedb(db, "top", "no-such-run");
        assertEquals(1, unknown.status(), unknown::toString);
        assertEquals(1, unknown.err().lines().count(), unknown::toString);
        CliRun by = tracedb(db, "top", "loops", "--by", "file");
        assertEquals(2, by.status(), by::toString);
        assertTrue(by.err().startsWith("tracedb: unknown grouping 'file' (choose from block, function, module, loop)\n"), by::toString);
        CliRun format = tracedb(db, "loops", "loops", "--format", "xml");
        assertEquals(2, format.status(), format::toString);
        CliRun noBlock = tracedb(db, "show", "loops", "--block", "99999999");
        assertEquals(1, noBlock.status(), noBlock::toString);
        assertTrue(noBlock.err().startsWith("tracedb: the run has no block 99999999"), noBlock::toString);
        CliRun noModule = tracedb(db, "show", "loops", "--pc", "nosuch.so+0x10");
        assertEquals(1, noModule.status(), noModule::toString);
        assertTrue(noModule.err().startsWith("tracedb: the run has no module 'nosuch.so' (its modules: "), noModule::toString);
        CliRun badPc = tracedb(db, "show", "loops", "--pc", "loops");
        assertEquals(2, badPc.status(), badPc::toString);
        CliRun both = tracedb(db, "show", "loops", "--pc", "loops+0x10", "--block", "1");
        assertEquals(2, both.status(), both::toString);
        assertEquals(4, failed.size());
    }
}
