package dev.tracedb.recorder.dbi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Section;
import dev.tracedb.machine.elf.Symbol;
import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.recorder.ValueProbeOptions;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.ProbeSite;
import dev.tracedb.store.ProbeWindow;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Value probes under the DBI engine, on real programs: the samples are the values the program
 * itself loaded, in order, each at a block event whose block holds the probed instruction.
 */
class ValueProbeTest {
    @TempDir
    Path tmp;

    /** wordloop's 32-bit load, found by its symbol. */
    private static ProbeSite wordloopLoad() {
        Path program = TestPrograms.path("wordloop");
        long offset = ElfImage.read(program).symbols().stream().filter(s -> s.name().equals("wordloop_load"))
                .mapToLong(Symbol::value).findFirst().orElseThrow();
        return new ProbeSite("wordloop", offset);
    }

    private RecordOptions options(Path stdout, ValueProbeOptions probes, String... argv) {
        return RecordOptions.builder(List.of(argv)).engine(EngineKind.DBI).probes(probes)
                .launch(l -> l.environment(DbiSessionTest.ENV).randomization(AddressRandomization.DISABLED).stdout(stdout))
                .build();
    }

    /** Per block event, whether its block holds {@code site}'s instruction. */
    private static List<Boolean> eventsHolding(RunReader reader, ProbeSite site) {
        Map<Integer, Long> moduleBase = new HashMap<>();
        Map<Integer, String> modulePath = new HashMap<>();
        Map<Integer, Boolean> holds = new HashMap<>();
        List<Boolean> out = new ArrayList<>();
        reader.replay(new EventVisitor() {
            @Override
            public void moduleMapped(ModuleMapped m) {
                moduleBase.put(m.moduleId(), m.base());
                modulePath.put(m.moduleId(), m.path());
            }

            @Override
            public void blockDefined(BlockDefined b) {
                // The site is an instruction start of the block iff decoding from the block's start reaches it.
                boolean in = site.inModule(modulePath.get(b.moduleId())) && site.offset() >= b.offset()
                        && site.offset() < b.offset() + b.bytes().length && startsInstruction(b, site.offset());
                holds.put(b.blockId(), in);
            }

            @Override
            public void execBatch(ExecBatchHeader h, int[] ids) {
                for (int i = 0; i < h.eventCount(); i++) out.add(holds.get(ids[i]));
            }
        });
        return out;
    }

    private static boolean startsInstruction(BlockDefined b, long offset) {
        try (Decoder d = Decoder.open()) {
            long at = b.offset();
            byte[] bytes = b.bytes();
            while (at < offset) {
                Instruction insn = d.decode(java.util.Arrays.copyOfRange(bytes, (int) (at - b.offset()), bytes.length), at, at);
                at += insn.length();
            }
            return at == offset;
        }
    }

    @Test
    void wordloopSamplesAreTheWordsItLoadedAtTheRightBlockEvents() throws Exception {
        ProbeSite site = wordloopLoad();
        Path out = tmp.resolve("out");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome outcome = new Recorder(db).record(options(out,
                    new ValueProbeOptions(List.of(site), ValueProbeOptions.DEFAULT_BUDGET),
                    TestPrograms.path("wordloop").toString(), "12345", "3000"), new Progress());
            assertEquals(ExitStatus.exited(0), outcome.status());
            List<Long> printed = Files.readAllLines(out).stream().filter(l -> !l.startsWith("acc "))
                    .map(l -> Long.parseLong(l, 16)).toList();
            assertEquals(3000, printed.size());
            try (RunReader reader = db.openRun(outcome.runId())) {
                ProbeWindow window = reader.probes().orElseThrow();
                assertEquals(List.of(site), window.sites());
                assertEquals(0, window.firstEvent());
                assertEquals(reader.blockEventCount(), window.endEvent());
                assertFalse(window.cutOff());
                List<Boolean> holding = eventsHolding(reader, site);
                List<Long> values = new ArrayList<>();
                List<Long> events = new ArrayList<>();
                reader.probedValues((e, s, v) -> {
                    assertEquals(0, s);
                    values.add(v);
                    events.add(e);
                });
                int firstDiff = 0;
                while (firstDiff < Math.min(printed.size(), values.size()) && printed.get(firstDiff).equals(values.get(firstDiff))) firstDiff++;
                int at = firstDiff;
                assertEquals(printed, values, () -> "the samples are the words the program printed, in order; first difference at "
                        + at + " of " + values.size() + " samples, event " + (at < events.size() ? events.get(at) : -1)
                        + ", previous event " + (at > 0 ? events.get(at - 1) : -1));
                assertEquals(3000, window.samples());
                List<Long> expectedEvents = new ArrayList<>();
                for (int i = 0; i < holding.size(); i++) if (holding.get(i)) expectedEvents.add((long) i);
                assertEquals(expectedEvents, events, "one sample at each execution of the block holding the site");
            }
        }
    }

    @Test
    void theBudgetCutsSamplingOffAtAnExactBlockEvent() throws Exception {
        ProbeSite site = wordloopLoad();
        Path out = tmp.resolve("out");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome outcome = new Recorder(db).record(options(out, new ValueProbeOptions(List.of(site), 100),
                    TestPrograms.path("wordloop").toString(), "99", "2000"), new Progress());
            assertEquals(ExitStatus.exited(0), outcome.status());
            List<Long> printed = Files.readAllLines(out).stream().filter(l -> !l.startsWith("acc "))
                    .map(l -> Long.parseLong(l, 16)).toList();
            assertEquals(2000, printed.size(), "the program runs on unchanged after the cut-off");
            try (RunReader reader = db.openRun(outcome.runId())) {
                ProbeWindow window = reader.probes().orElseThrow();
                assertTrue(window.cutOff());
                assertEquals(100, window.samples());
                List<Long> values = new ArrayList<>();
                reader.probedValues((e, s, v) -> values.add(v));
                assertEquals(printed.subList(0, 100), values);
                List<Boolean> holding = eventsHolding(reader, site);
                int executionsInWindow = 0;
                for (long i = window.firstEvent(); i < window.endEvent(); i++) if (holding.get((int) i)) executionsInWindow++;
                assertEquals(100, executionsInWindow, "the window holds exactly the sampled executions");
                assertTrue(holding.get((int) window.endEvent()), "it ends at the first execution not sampled");
            }
        }
    }

    /**
     * lua5.4's instruction-word loads, found by decoding its text: each {@code mov r12d, dword ptr
     * [r13]} right after a {@code test r8d, r8d; jne} (the hook check before a fetch). Debian 12's
     * build has three: the main loop's dispatch ({@code lua5.4+0x1c479}) and two at luaV_execute's
     * entry and return paths.
     */
    private static List<ProbeSite> luaWordLoads() {
        ElfImage lua = ElfImage.read(Path.of("/usr/bin/lua5.4"));
        Section text = lua.section(".text").orElseThrow();
        byte[] code = lua.sectionBytes(text);
        List<ProbeSite> found = new ArrayList<>();
        try (Decoder d = Decoder.open()) {
            for (int i = 0; i + 13 <= code.length; i++) {
                // test r8d, r8d (45 85 c0); jne rel32 (0f 85); then the load
                if ((code[i] & 0xff) == 0x45 && (code[i + 1] & 0xff) == 0x85 && (code[i + 2] & 0xff) == 0xc0
                        && (code[i + 3] & 0xff) == 0x0f && (code[i + 4] & 0xff) == 0x85) {
                    long at = text.address() + i + 9;
                    Instruction insn = d.decode(java.util.Arrays.copyOfRange(code, i + 9, Math.min(code.length, i + 24)), at, at);
                    if (insn.mnemonic().equals("mov") && insn.operandText().equals("r12d, dword ptr [r13]")) {
                        found.add(new ProbeSite("lua5.4", at));
                    }
                }
            }
        }
        assertFalse(found.isEmpty(), "lua5.4 has no instruction-word load after a hook check");
        return found;
    }

    @Test
    void lua54DispatchSamplesAreItsInstructionWords() throws Exception {
        List<ProbeSite> sites = luaWordLoads();
        Path script = tmp.resolve("sum.lua");
        Files.writeString(script, "local s = 0\nfor i = 1, 3000 do s = s + i * 2 end\nprint(s)\n");
        Path out = tmp.resolve("out");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome outcome = new Recorder(db).record(options(out,
                    new ValueProbeOptions(sites, ValueProbeOptions.DEFAULT_BUDGET), "/usr/bin/lua5.4",
                    script.toString()), new Progress());
            assertEquals(ExitStatus.exited(0), outcome.status());
            assertEquals("9003000\n", Files.readString(out));
            try (RunReader reader = db.openRun(outcome.runId())) {
                ProbeWindow window = reader.probes().orElseThrow();
                assertEquals(sites, window.sites());
                assertFalse(window.cutOff());
                List<List<Boolean>> holding = new ArrayList<>();
                for (ProbeSite site : sites) holding.add(eventsHolding(reader, site));
                long[] perSite = new long[sites.size()];
                Map<Long, Integer> loopOpcodes = new HashMap<>();
                reader.probedValues((e, s, v) -> {
                    assertTrue(holding.get(s).get((int) e), "sample of " + sites.get(s) + " at block event " + e
                            + ", whose block does not hold it");
                    assertEquals(v & 0xffffffffL, v, "a 32-bit load zero-extends");
                    assertTrue((v & 0x7f) < 83, "lua 5.4 has 83 opcodes: " + Long.toHexString(v));
                    perSite[s]++;
                    loopOpcodes.merge(v & 0x7f, 1, Integer::sum);
                });
                int busiest = 0;
                for (int s = 0; s < sites.size(); s++) {
                    long executions = holding.get(s).stream().filter(b -> b).count();
                    assertEquals(executions, perSite[s], "one sample per execution of " + sites.get(s) + "'s block");
                    if (perSite[s] > perSite[busiest]) busiest = s;
                }
                // Not every handler fetches through these loads (some dispatch through their own copy), but the
                // loop's body does, at least once an iteration.
                assertTrue(perSite[busiest] >= 3000, "the loop's instructions are dispatched: " + perSite[busiest]);
                System.out.println("lua5.4 word loads " + sites + ": samples " + java.util.Arrays.toString(perSite)
                        + ", busiest " + sites.get(busiest) + ", opcodes " + loopOpcodes);
            }
        }
    }

    /** The samples (block event, site, value) of a run. */
    private static List<List<Long>> samples(TraceDatabase db, dev.tracedb.store.RunId run) {
        List<List<Long>> out = new ArrayList<>();
        try (RunReader reader = db.openRun(run)) {
            reader.probedValues((e, s, v) -> out.add(List.of(e, (long) s, v)));
        }
        return out;
    }

    @Test
    void anExpansionWithProbesSamplesWhatARecordingWithProbesDoes() throws Exception {
        ProbeSite site = wordloopLoad();
        ValueProbeOptions probes = new ValueProbeOptions(List.of(site), ValueProbeOptions.DEFAULT_BUDGET);
        List<String> argv = List.of(TestPrograms.path("wordloop").toString(), "4242", "1500");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            // Launched alike (ASLR off, no vDSO), so that both runs take the same addresses and blocks.
            RecordOutcome dbi = new Recorder(db).record(RecordOptions.builder(argv).engine(EngineKind.DBI).probes(probes)
                    .launch(l -> l.environment(dev.tracedb.recorder.TestPrograms.ENV).hideVdso(true)
                            .stdout(tmp.resolve("dbi.out"))).build(), new Progress());
            RecordOutcome inputs = new Recorder(db).record(RecordOptions.builder(argv).engine(EngineKind.INPUTS)
                    .launch(l -> l.environment(dev.tracedb.recorder.TestPrograms.ENV).hideVdso(true)
                            .stdout(tmp.resolve("inputs.out"))).build(), new Progress());
            assertTrue(inputs.complete());
            RecordOutcome expanded = new dev.tracedb.recorder.expand.Expander(db).probing(probes)
                    .expand(inputs.runId(), null, new Progress());
            assertTrue(expanded.complete());
            List<List<Long>> recorded = samples(db, dbi.runId());
            assertEquals(1500, recorded.size());
            assertEquals(recorded, samples(db, expanded.runId()));
            try (RunReader a = db.openRun(dbi.runId()); RunReader b = db.openRun(expanded.runId())) {
                assertEquals(a.probes(), b.probes());
            }
        }
    }

    @Test
    void probesNeedTheDbiEngine() {
        assertThrows(IllegalArgumentException.class, () -> RecordOptions.builder(List.of("/bin/true"))
                .engine(EngineKind.STEP).probes(new ValueProbeOptions(List.of(wordloopLoad()), 10)).build());
    }
}
