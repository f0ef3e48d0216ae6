package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracedb export} on real recordings: the Arrow files read back with Arrow's own Java reader
 * (and pandas, when Debian's python3-pandas is installed) hold exactly what the log holds.
 */
class ExportCommandTest {

    @TempDir
    Path out;

    private final Path db = RecordedRuns.database();

    /** The log's own view: block ids in order and the instruction count of each block. */
    private record Stream(int[] ids, Map<Integer, Integer> instructions, long totalInstructions) {
    }

    private Stream stream(String name) {
        try (TraceDatabase database = TraceDatabase.open(db); RunReader reader = database.openRun(database.resolve(name).id())) {
            Map<Integer, Integer> instructions = new HashMap<>();
            reader.replay(new EventVisitor() {
                @Override
                public void blockDefined(BlockDefined event) {
                    instructions.put(event.blockId(), event.instructionCount());
                }
            });
            int[] ids = new int[(int) reader.blockEventCount()];
            int[] buffer = new int[reader.maxBatchEvents()];
            for (ExecBatchHeader header : reader.batches()) {
                reader.readBatch(header, buffer);
                System.arraycopy(buffer, 0, ids, (int) header.firstBlockEvent(), header.eventCount());
            }
            return new Stream(ids, instructions, reader.instructionCount());
        }
    }


    @Test
    void theExecStreamOfLuaReadsBackWithArrowsReaderAsTheLogHoldsIt() throws IOException {
        Path file = out.resolve("lua-exec.arrow");
        CliRun run = tracedb(db, "export", "lua", "--table", "exec", "-o", file.toString());
        assertEquals(0, run.status(), run::toString);
        Stream log = stream("lua");
        assertTrue(run.out().matches("r\\d+: exported " + String.format("%,d", log.ids().length)
                + " rows of exec to .*lua-exec.arrow \\(arrow, .*\\)\\n"), run::toString);
        Map<String, String> metadata = new HashMap<>();
        Map<String, List<Object>> columns = ArrowColumns.read(file, metadata);
        assertEquals(List.of("block_id"), List.copyOf(columns.keySet()));
        assertEquals("exec", metadata.get("tracedb.table"));
        assertEquals("0", metadata.get("tracedb.first_block_event"));
        assertEquals("0", metadata.get("tracedb.first_instruction"));
        int[] ids = columns.get("block_id").stream().mapToInt(o -> (Integer) o).toArray();
        assertArrayEquals(log.ids(), ids);
        assertTrue(ids.length > 100_000, "lua's loop runs many blocks: " + ids.length);
    }

    @Test
    void withPositionsEachRowCarriesItsBlockEventAndInstructionIndex() throws IOException {
        Path file = out.resolve("lua-exec-positions.arrow");
        CliRun run = tracedb(db, "export", "lua", "--table", "exec", "--positions", "-o", file.toString());
        assertEquals(0, run.status(), run::toString);
        Stream log = stream("lua");
        Map<String, List<Object>> columns = ArrowColumns.read(file, new HashMap<>());
        assertEquals(List.of("block_event", "block_id", "instruction"), columns.keySet().stream().sorted().toList());
        List<Object> ids = columns.get("block_id");
        List<Object> events = columns.get("block_event");
        List<Object> instructions = columns.get("instruction");
        assertEquals(log.ids().length, ids.size());
        long expected = 0;
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(log.ids()[i], (Integer) ids.get(i));
            assertEquals(i, (Long) events.get(i));
            assertEquals(expected, (Long) instructions.get(i), "instruction index of block event " + i);
            expected += log.instructions().get(log.ids()[i]);
        }
        assertEquals(log.totalInstructions(), expected);
    }

    @Test
    void aWindowOfTheStreamStartsAtItsBlockEventAndCountsItsInstructionsFromTheRunsStart() throws IOException {
        Stream log = stream("loops");
        Path file = out.resolve("window.arrow");
        int from = log.ids().length / 2;
        CliRun run = tracedb(db, "export", "loops", "--table", "exec", "--from", String.valueOf(from), "--count", "5000",
                "--positions", "-o", file.toString());
        assertEquals(0, run.status(), run::toString);
        Map<String, String> metadata = new HashMap<>();
        Map<String, List<Object>> columns = ArrowColumns.read(file, metadata);
        int[] ids = columns.get("block_id").stream().mapToInt(o -> (Integer) o).toArray();
        assertArrayEquals(Arrays.copyOfRange(log.ids(), from, from + 5000), ids);
        long before = 0;
        for (int i = 0; i < from; i++) before += log.instructions().get(log.ids()[i]);
        assertEquals(before, (Long) columns.get("instruction").get(0));
        assertEquals((long) from, (Long) columns.get("block_event").get(0));
        assertEquals(String.valueOf(from), metadata.get("tracedb.first_block_event"));
        assertEquals(String.valueOf(before), metadata.get("tracedb.first_instruction"));
    }

    @Test
    void blocksCarryExecutionsAndFunctionNamesFromTheElfFile() throws IOException {
        Path file = out.resolve("blocks.arrow");
        assertEquals(0, tracedb(db, "export", "loops", "--table", "blocks", "-o", file.toString()).status());
        Map<String, List<Object>> blocks = ArrowColumns.read(file, new HashMap<>());
        Stream log = stream("loops");
        long instructions = 0;
        long[] executions = new long[log.instructions().size()];
        for (int id : log.ids()) executions[id]++;
        for (int i = 0; i < blocks.get("block_id").size(); i++) {
            int id = (Integer) blocks.get("block_id").get(i);
            assertEquals(executions[id], (Long) blocks.get("executions").get(i), "executions of block " + id);
            instructions += (Long) blocks.get("executions").get(i) * (Integer) blocks.get("instructions").get(i);
        }
        assertEquals(log.totalInstructions(), instructions);
        // loops is built with symbols: its main and fib are named, libc's functions too.
        assertTrue(blocks.get("function").stream().anyMatch(f -> f.toString().startsWith("main")), "main is named");
        assertTrue(blocks.get("function").stream().anyMatch(f -> f.toString().startsWith("fib")), "fib is named");
        assertTrue(blocks.get("function").stream().anyMatch(f -> f.toString().startsWith("printf")
                || f.toString().startsWith("__printf") || f.toString().startsWith("_IO_printf")), "printf is named");
    }

    @Test
    void csvExportsReadBackWithPandasWhenItIsInstalled() throws Exception {
        Path exec = out.resolve("exec.csv");
        Path blocks = out.resolve("blocks.csv");
        assertEquals(0, tracedb(db, "export", "lua", "--table", "exec", "--format", "csv", "-o", exec.toString()).status());
        assertEquals(0, tracedb(db, "export", "lua", "--table", "blocks", "--format", "csv", "-o", blocks.toString()).status());
        Stream log = stream("lua");
        List<String> lines = Files.readAllLines(exec);
        assertEquals("block_id", lines.get(0));
        assertEquals(log.ids().length + 1, lines.size());
        assertEquals(String.valueOf(log.ids()[0]), lines.get(1));
        if (!python("import pandas")) {
            System.out.println("ExportCommandTest: pandas part skipped: /usr/bin/python3 cannot import pandas "
                    + "(scripts/setup installs python3-pandas)");
            return;
        }
        String script = "import pandas as pd, sys\n"
                + "e = pd.read_csv(sys.argv[1]); b = pd.read_csv(sys.argv[2])\n"
                + "m = e.merge(b[['block_id', 'instructions']], on='block_id')\n"
                + "print(len(e), int(m['instructions'].sum()), int((b['executions'] * b['instructions']).sum()))\n";
        String printed = pythonOutput(script, exec.toString(), blocks.toString());
        assertEquals(log.ids().length + " " + log.totalInstructions() + " " + log.totalInstructions(), printed.strip());
        if (python("import pyarrow")) {
            Path arrow = out.resolve("exec.arrow");
            assertEquals(0, tracedb(db, "export", "lua", "--table", "exec", "-o", arrow.toString()).status());
            String rows = pythonOutput("import pandas as pd, sys\nprint(len(pd.read_feather(sys.argv[1])))\n", arrow.toString());
            assertEquals(String.valueOf(log.ids().length), rows.strip());
        } else {
            System.out.println("ExportCommandTest: Arrow-through-pandas part skipped: pyarrow is not installed "
                    + "(Debian 12 does not package it); Arrow's Java reader checks the Arrow files");
        }
    }

    @Test
    void smallTablesAgreeWithTheLog() throws IOException {
        Path modules = out.resolve("modules.csv");
        Path edges = out.resolve("edges.arrow");
        Path syscalls = out.resolve("syscalls.arrow");
        assertEquals(0, tracedb(db, "export", "loops", "--table", "modules", "--format", "csv", "-o", modules.toString()).status());
        assertEquals(0, tracedb(db, "export", "loops", "--table", "edges", "-o", edges.toString()).status());
        assertEquals(0, tracedb(db, "export", "loops", "--table", "syscalls", "-o", syscalls.toString()).status());
        List<String> moduleLines = Files.readAllLines(modules);
        assertEquals("module_id,path,base,size,build_id,instructions", moduleLines.get(0));
        assertTrue(moduleLines.stream().anyMatch(l -> l.contains("/libc.so.6,")), moduleLines::toString);
        Stream log = stream("loops");
        long moduleInstructions = moduleLines.stream().skip(1)
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(',') + 1))).sum();
        assertEquals(log.totalInstructions(), moduleInstructions);
        Map<String, List<Object>> edgeColumns = ArrowColumns.read(edges, new HashMap<>());
        long transitions = edgeColumns.get("count").stream().mapToLong(o -> (Long) o).sum();
        assertEquals(log.ids().length - 1, transitions, "every consecutive pair of block events is one edge");
        Map<String, List<Object>> calls = ArrowColumns.read(syscalls, new HashMap<>());
        // loops prints with write(1, ...) and ends with exit_group(0)
        assertTrue(calls.get("number").contains(1), calls::toString);
        assertEquals(231, calls.get("number").get(calls.get("number").size() - 1));
    }

    @Test
    void badInputIsOneLineAndLeavesExistingFilesAlone() throws IOException {
        Path existing = out.resolve("keep.arrow");
        Files.writeString(existing, "precious");
        CliRun table = tracedb(db, "export", "loops", "--table", "nosuch", "-o", existing.toString());
        assertEquals(2, table.status(), table::toString);
        assertTrue(table.err().startsWith("tracedb: unknown table 'nosuch' (choose from modules, blocks, edges, exec, syscalls; or traces, with --cache)\n"),
                table::toString);
        CliRun traces = tracedb(db, "export", "loops", "--table", "traces", "-o", existing.toString());
        assertEquals(2, traces.status(), traces::toString);
        assertTrue(traces.err().startsWith("tracedb: table traces comes from --cache FILE.tcache, not from a run (drop loops)\n"),
                traces::toString);
        CliRun format = tracedb(db, "export", "loops", "--table", "exec", "--format", "parquet", "-o", existing.toString());
        assertEquals(2, format.status(), format::toString);
        CliRun noRun = tracedb(db, "export", "nosuch", "--table", "exec", "-o", existing.toString());
        assertEquals(1, noRun.status(), noRun::toString);
        assertEquals(1, noRun.err().lines().count(), noRun::toString);
        CliRun past = tracedb(db, "export", "loops", "--table", "exec", "--from", "999999999", "-o", existing.toString());
        assertEquals(1, past.status(), past::toString);
        assertTrue(past.err().matches("tracedb: the run has [\\d]+ block events; --from 999999999 is past its end\\n"), past::toString);
        CliRun noDir = tracedb(db, "export", "loops", "--table", "exec", "-o", out.resolve("no/such/dir/x.arrow").toString());
        assertEquals(1, noDir.status(), noDir::toString);
        assertTrue(noDir.err().startsWith("tracedb: cannot write ") && noDir.err().contains("no such directory"), noDir::toString);
        assertEquals("precious", Files.readString(existing), "failed exports left the file alone");
        try (var files = Files.list(out)) {
            assertEquals(List.of(existing), files.toList(), "no partial files left behind");
        }
    }

    @Test
    void anUnwritableDirectoryIsOneLine() throws IOException {
        Path locked = Files.createDirectory(out.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            // root may write anywhere it owns; /sys refuses new files even to root
            Path target = Files.isWritable(locked) ? Path.of("/sys/m.arrow") : locked.resolve("m.arrow");
            CliRun run = tracedb(db, "export", "loops", "--table", "modules", "-o", target.toString());
            assertEquals(1, run.status(), run::toString);
            assertTrue(run.err().startsWith("tracedb: cannot write " + target + ": "), run::toString);
            assertEquals(1, run.err().lines().count(), run::toString);
            assertFalse(Files.exists(target));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void anIncompleteRunIsSaidAndStillExported() throws IOException {
        Path file = out.resolve("threads.csv");
        CliRun run = tracedb(db, "export", "threads", "--table", "exec", "--format", "csv", "-o", file.toString());
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().startsWith("tracedb: note: r") && run.err().contains(" is incomplete (its recording never ended)"),
                run::toString);
        assertTrue(Files.readAllLines(file).size() > 1, "the events before the thread are exported");
    }

    @Test
    void aRunWithoutBlockEventsHasNoStreamToExport() throws IOException {
        Path empty = out.resolve("db");
        try (TraceDatabase database = TraceDatabase.open(empty);
             RunWriter writer = database.createRun("empty", new RunStarted(List.of("/bin/true"), "/", List.of(),
                     MachineInfo.current(), Instant.now()))) {
            writer.end(dev.tracedb.store.ExitStatus.exited(0));
        }
        CliRun run = tracedb(empty, "export", "empty", "--table", "exec", "-o", out.resolve("e.arrow").toString());
        assertEquals(1, run.status(), run::toString);
        assertEquals("tracedb: run r0001 has no block events: nothing was executed while it was recording\n", run.err());
        assertFalse(Files.exists(out.resolve("e.arrow")));
    }

    private static boolean python(String statement) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", statement).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    private static String pythonOutput(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-c", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python finished");
        assertEquals(0, p.exitValue(), output);
        return output;
    }
}
