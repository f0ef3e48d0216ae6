package dev.tracedb.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.select.HeadPatch;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.projection.Profile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a selection against the logs and the module files by means independent of the compiler:
 * the store's own profile for edges, the log's block definitions for block starts, and
 * {@code objdump} for static branch targets.
 */
public final class TraceChecks {
    private static final Pattern OBJDUMP_LINE = Pattern.compile("^\\s*([0-9a-f]+):\\s+(\\S+)\\s*(.*)$");
    private static final Pattern DIRECT_TARGET = Pattern.compile("^([0-9a-f]+) <");

    private TraceChecks() {
    }

    /** "path@buildid" + offset: an address that means the same in every run. */
    private record Site(String module, long offset) {
    }

    private static String moduleName(String path, String buildId) {
        return path + "@" + buildId;
    }

    private static Site site(TraceSelection selection, CodeAddress at) {
        TraceModule m = selection.modules().get(at.moduleIndex());
        return new Site(moduleName(m.path(), m.buildId()), at.offset());
    }

    /**
     * Every trace follows recorded control flow: each block of a trace was directly followed by the
     * next one (and the last by the continuation) somewhere in the runs, by the store's profile.
     */
    public static void assertPathsAreRecordedEdges(List<RunReader> runs, TraceSelection selection) {
        Set<List<Site>> edges = new HashSet<>();
        for (RunReader run : runs) {
            Map<Integer, Site> sites = blockSites(run);
            Profile profile = Profile.build(run);
            profile.forEachEdge((from, to, count) -> edges.add(List.of(sites.get(from), sites.get(to))));
        }
        for (TracePath trace : selection.traces()) {
            List<PathBlock> blocks = trace.blocks();
            for (int i = 0; i + 1 < blocks.size(); i++) {
                assertTrue(edges.contains(List.of(site(selection, blocks.get(i).at()), site(selection, blocks.get(i + 1).at()))),
                        "trace " + trace.traceId() + " step " + i + " is a recorded edge");
            }
            assertTrue(edges.contains(List.of(site(selection, blocks.get(blocks.size() - 1).at()),
                    site(selection, trace.continuation()))), "trace " + trace.traceId() + " continuation is a recorded edge");
        }
    }

    /**
     * No trace but a loop starts where calls or returns bring control more often than anything
     * else (the cost model's rule: such a head's patch only adds a jump after a transfer the CPU
     * predicts anyway), counted from the store's profile and the log's block terminators.
     */
    public static void assertNoStraightTraceAtCallOrReturnTargets(List<RunReader> runs, TraceSelection selection) {
        Map<Site, long[]> arrivals = arrivals(runs);
        for (TracePath trace : selection.traces()) {
            if (trace.loopsToHead()) continue;
            long[] a = arrivals.getOrDefault(site(selection, trace.head().at()), new long[3]);
            assertTrue((a[1] + a[2]) * 2 <= a[0], "trace " + trace.traceId() + " at " + trace.head().at()
                    + " is no loop, and " + (a[1] + a[2]) + " of its head's " + a[0] + " arrivals were calls or returns");
        }
    }

    /**
     * The non-loop traces whose head a call reaches in more than half of its arrivals (a function's
     * entry), counted from the store's profile and the log's block terminators; fails if any
     * non-loop trace's head is reached mostly by returns (the rule that stays with callee entries
     * kept).
     */
    public static List<TracePath> straightTracesAtCallTargetsNoneAtReturnTargets(List<RunReader> runs,
                                                                                TraceSelection selection) {
        Map<Site, long[]> arrivals = arrivals(runs);
        List<TracePath> atCallTargets = new ArrayList<>();
        for (TracePath trace : selection.traces()) {
            if (trace.loopsToHead()) continue;
            long[] a = arrivals.getOrDefault(site(selection, trace.head().at()), new long[3]);
            assertTrue(a[2] * 2 <= a[0], "trace " + trace.traceId() + " at " + trace.head().at() + " is no loop, and "
                    + a[2] + " of its head's " + a[0] + " arrivals were returns");
            if (a[1] * 2 > a[0]) atCallTargets.add(trace);
        }
        return atCallTargets;
    }

    /** Per site: {all arrivals, arrivals by a call, arrivals by a return}. */
    private static Map<Site, long[]> arrivals(List<RunReader> runs) {
        Map<Site, long[]> arrivals = new HashMap<>();
        for (RunReader run : runs) {
            Map<Integer, Site> sites = blockSites(run);
            Map<Integer, Terminator> terminators = new HashMap<>();
            run.replay(new EventVisitor() {
                @Override
                public void blockDefined(BlockDefined b) {
                    terminators.put(b.blockId(), b.terminator());
                }
            });
            Profile.build(run).forEachEdge((from, to, count) -> {
                long[] a = arrivals.computeIfAbsent(sites.get(to), k -> new long[3]);
                a[0] += count;
                switch (terminators.get(from)) {
                    case CALL, INDIRECT_CALL -> a[1] += count;
                    case RETURN -> a[2] += count;
                    default -> { }
                }
            });
        }
        return arrivals;
    }

    /** The structural rules: one module, no system-call blocks, distinct heads, dense ids. */
    public static void assertTraceRules(TraceSelection selection, int maxBlocks) {
        Set<CodeAddress> heads = new HashSet<>();
        for (int i = 0; i < selection.traces().size(); i++) {
            TracePath trace = selection.traces().get(i);
            assertEquals(i, trace.traceId());
            assertTrue(heads.add(trace.head().at()), "heads are distinct");
            assertTrue(trace.blocks().size() <= maxBlocks);
            int module = trace.head().at().moduleIndex();
            assertEquals(module, trace.continuation().moduleIndex(), "continuation in the head's module");
            for (PathBlock b : trace.blocks()) {
                assertEquals(module, b.at().moduleIndex());
                assertNotEquals(Terminator.SYSCALL, b.terminator(), "no system call inside a trace");
                assertNotEquals(Terminator.OTHER, b.terminator());
            }
        }
    }

    /** Totals add up, and the total is every instruction of the runs. */
    public static void assertForecastAddsUp(List<RunReader> runs, TraceSelection selection, Forecast forecast) {
        assertEquals(runs.stream().mapToLong(RunReader::instructionCount).sum(), forecast.totalInstructions());
        assertEquals(selection.traces().size(), forecast.traces().size());
        long inside = 0;
        for (Forecast.TraceForecast t : forecast.traces()) {
            TracePath trace = selection.traces().get(t.traceId());
            inside += t.instructionsInside();
            assertTrue(t.entries() > 0, "kept traces are entered");
            assertTrue(t.instructionsInside() >= t.entries() * trace.head().instructionCount());
            assertEquals(trace.expectedEntries(), t.entries());
            t.exits().forEach(e -> assertTrue(e.count() > 0));
        }
        assertEquals(forecast.instructionsInTraces(), inside);
        assertTrue(forecast.instructionsInTraces() <= forecast.totalInstructions());
    }

    /**
     * The loader's patch at each head is safe: no block the runs started (in any run), no other
     * head, and no direct branch target or return address that objdump finds in the module file,
     * lies strictly inside the patched bytes.
     */
    public static void assertHeadPatchesAreSafe(List<RunReader> runs, TraceSelection selection) {
        Map<String, TreeSet<Long>> starts = new HashMap<>();
        for (RunReader run : runs) {
            blockSites(run).values().forEach(s -> starts.computeIfAbsent(s.module(), k -> new TreeSet<>()).add(s.offset()));
        }
        Map<Integer, TreeSet<Long>> objdumpTargets = new HashMap<>();
        try (Decoder decoder = Decoder.open()) {
            for (TracePath trace : selection.traces()) {
                PathBlock head = trace.head();
                int patch = HeadPatch.length(decoder, head.bytes(), head.at().offset());
                assertTrue(patch >= 5 && patch <= head.bytes().length, "patch covers whole instructions of the head");
                long from = head.at().offset();
                Site site = site(selection, head.at());
                assertTrue(starts.get(site.module()).subSet(from + 1, from + patch).isEmpty(),
                        "no recorded block starts inside the patch of " + head.at());
                for (TracePath other : selection.traces()) {
                    CodeAddress o = other.head().at();
                    assertFalse(o.moduleIndex() == head.at().moduleIndex() && o.offset() > from && o.offset() < from + patch,
                            "head " + o + " inside the patch of " + head.at());
                }
                TreeSet<Long> targets = objdumpTargets.computeIfAbsent(head.at().moduleIndex(),
                        m -> objdumpTargets(Path.of(selection.modules().get(m).path())));
                assertTrue(targets.subSet(from + 1, from + patch).isEmpty(),
                        "no static branch target inside the patch of " + head.at());
            }
        }
    }

    /**
     * Direct jump, branch and call targets and call return addresses of a module file by
     * {@code objdump -d}, as module offsets (link-time address minus the first segment's page-aligned
     * address-to-file-offset difference, which is where the recorder's module base sits).
     */
    public static TreeSet<Long> objdumpTargets(Path file) {
        Segment first = ElfImage.read(file).segments().stream().filter(s -> s.type() == SegmentType.LOAD)
                .min((a, b) -> Long.compare(a.virtualAddress(), b.virtualAddress())).orElseThrow();
        long delta = (first.virtualAddress() & -4096L) - (first.fileOffset() & -4096L);
        TreeSet<Long> targets = new TreeSet<>();
        try {
            Process p = new ProcessBuilder("objdump", "-d", "--no-show-raw-insn", "-w", file.toString())
                    .redirectErrorStream(true).start();
            boolean afterCall = false;
            for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                Matcher m = OBJDUMP_LINE.matcher(line);
                if (!m.matches()) continue;
                long address = Long.parseLong(m.group(1), 16);
                if (afterCall) targets.add(address - delta);
                String mnemonic = m.group(2);
                afterCall = mnemonic.startsWith("call");
                if (mnemonic.startsWith("j") || mnemonic.startsWith("call") || mnemonic.startsWith("loop")) {
                    Matcher t = DIRECT_TARGET.matcher(m.group(3).trim());
                    if (t.find()) targets.add(Long.parseLong(t.group(1), 16) - delta);
                }
            }
            assertEquals(0, p.waitFor());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return targets;
    }

    private static Map<Integer, Site> blockSites(RunReader run) {
        Map<Integer, String> modules = new HashMap<>();
        Map<Integer, Site> sites = new HashMap<>();
        run.replay(new EventVisitor() {
            @Override
            public void moduleMapped(ModuleMapped m) {
                modules.put(m.moduleId(), moduleName(m.path(), HexFormat.of().formatHex(m.buildId())));
            }

            @Override
            public void blockDefined(BlockDefined b) {
                sites.put(b.blockId(), new Site(modules.get(b.moduleId()), b.offset()));
            }
        });
        return sites;
    }
}
