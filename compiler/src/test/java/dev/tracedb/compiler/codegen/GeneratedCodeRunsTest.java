package dev.tracedb.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.store.Terminator;
import java.util.EnumSet;
import java.util.Set;
import dev.tracedb.machine.linux.StopEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated code, executed for real: a test program is recorded with the DBI engine, traces are
 * taken from the recorded stream ({@link RecordedPaths}), generated, installed into a fresh run of
 * the same program with a larger input ({@link CachedRun}), and the program's output must equal a
 * plain run's while the traces were entered.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GeneratedCodeRunsTest {
    @TempDir
    Path tmp;

    /** Static, absolute addressing: a jump table through [index*8+disp32], calls through a table. */
    @Test
    void interpreterStatic() throws Exception {
        GeneratedCode code = runWithTraces("interp-static", "300", "20000");
        assertGuardsInside(code, Terminator.CONDITIONAL, Terminator.CALL, Terminator.RETURN, Terminator.INDIRECT_JUMP,
                Terminator.INDIRECT_CALL);
        // jumps and calls through memory load their target into rcx for the cmp
        assertTrue(listing(code).stream().anyMatch(l -> l.matches("cmp rcx, qword ptr \\[rip -> slot m\\+0x[0-9a-f]+\\]")),
                "no memory-indirect transfer compared with cmp");
    }

    /** PIE: RIP-relative data, a relative jump table (notrack jmp reg), calls through a pointer. */
    @Test
    void interpreterPie() throws Exception {
        GeneratedCode code = runWithTraces("interp", "300", "20000");
        assertGuardsInside(code, Terminator.CONDITIONAL, Terminator.CALL, Terminator.RETURN, Terminator.INDIRECT_JUMP,
                Terminator.INDIRECT_CALL);
        // the dispatch "add rax, r13; notrack jmp rax" became cmp + jne, its mismatch recomputing the add's flags
        List<String> listing = listing(code);
        assertTrue(Collections.indexOfSubList(listing, List.of("sub rax, r13", "add rax, r13", "jmp rax")) >= 0,
                "no recomputing mismatch path for the dispatch jump");
        assertTrue(listing.stream().anyMatch(l -> l.matches("cmp rax, qword ptr \\[rip -> slot m\\+0x[0-9a-f]+\\]")),
                "the dispatch jump is not compared with cmp");
    }

    /**
     * PIE, lua5.4's dispatch shape: computed goto through a read-only table of label addresses
     * (RELATIVE relocations in RELRO) whose base is in a register. The dispatches guard the
     * opcode instead of the loaded target ({@link DispatchSpecialiser}): the index compared with
     * an immediate, the base once per pass with the table's slot, and no compare of the target.
     * The program runs two bytecode sequences, so the traces meet opcodes they were not recorded
     * with (the guard's mismatch path) and the output shows any wrong step.
     */
    @Test
    void computedGotoDispatchGuardsTheOpcode() throws Exception {
        GeneratedCode code = runWithTraces("interp-goto", "300", "200000");
        List<String> all = new ArrayList<>();
        for (TracePath trace : code.generated().traces()) {
            all.addAll(Listing.of(code.code().get(0), trace.traceId()));
        }
        int opcodeGuards = 0;
        int baseChecks = 0;
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).matches("cmp r(cx|ax|dx|9|10|11), (0x)?[0-9a-f]+") && all.get(i + 1).startsWith("jne ")) {
                opcodeGuards++;
                if (all.get(i + 2).matches("cmp r[0-9a-z]+, qword ptr \\[rip -> slot m\\+0x[0-9a-f]+\\]")) {
                    baseChecks++;
                }
            }
        }
        System.out.println("interp-goto: " + opcodeGuards + " opcode guards, " + baseChecks + " base checks");
        assertTrue(opcodeGuards > 0, "no dispatch guards its opcode:\n" + String.join("\n", all));
        assertTrue(baseChecks > 0 && baseChecks <= opcodeGuards, "the table base is not checked");
        // the mismatch stub: the flags of the opcode's `and` recomputed, the original load, back to the original code
        assertTrue(all.stream().anyMatch(l -> l.matches("mov r[0-9a-z]+, qword ptr \\[r[0-9a-z]+ \\+ r[0-9a-z]+\\*8\\]")),
                "no mismatch stub makes the table load");
    }

    /**
     * lua5.4 itself (Debian's build: disptab in RELRO, its base in r14): a closures-and-loops
     * script recorded on a small input, traces from the recording, run on a larger one. Its
     * dispatches guard the opcode; where a handler may leave the trace before it overwrites rax,
     * those exits load the recorded target into rax first, and the dispatch's {@code lea rcx},
     * dead on the path, runs only in the exits that need it ({@link SunkWrites}). Output equal to
     * a plain run's. A float operand's two type checks become one compare on the path
     * ({@link ImpliedGuards}).
     */
    @Test
    void lua54DispatchesGuardTheOpcode() throws Exception {
        Path lua = Path.of("/usr/bin/lua5.4");
        Path script = tmp.resolve("closures.lua");
        Files.writeString(script, """
                local n = tonumber(arg[1])
                local function counter() local c = 0 return function(step) c = c + step return c end end
                local xs, tick = {}, counter()
                for i = 1, n do xs[i] = tick(3) % 1000 end
                local total, odd, f = 0, 0, 0.0
                for i = 1, #xs do
                  local x = xs[i]
                  if x % 3 == 0 then total = total + x * 2 + 1 else odd = odd + 1 end
                end
                for i = 1, n do f = f * 0.5 + (i % 7) * 0.25 end
                print(n, total, odd, string.format("%.6f", f))
                """);
        GeneratedCode code = runWith(lua, List.of(lua.toString(), script.toString()), "3000", "300000", 12, 80);
        List<String> all = new ArrayList<>();
        for (TracePath trace : code.generated().traces()) {
            all.addAll(Listing.of(code.code().get(0), trace.traceId()));
        }
        long opcodeGuards = all.stream().filter(l -> l.matches("cmp rax, (0x)?[0-9a-f]+")).count();
        long baseChecks = all.stream().filter(l -> l.matches("cmp r14, qword ptr \\[rip -> slot m\\+0x[0-9a-f]+\\]")).count();
        long exitLoads = all.stream().filter(l -> l.matches("mov rax, qword ptr \\[rip -> slot m\\+0x[0-9a-f]+\\]")).count();
        System.out.println("lua5.4: " + opcodeGuards + " opcode guards, " + baseChecks + " base checks, "
                + exitLoads + " exits that load rax");
        assertTrue(opcodeGuards > 0 && baseChecks > 0 && baseChecks <= opcodeGuards,
                "lua5.4's dispatches do not guard the opcode:\n" + String.join("\n", all));
        assertTrue(exitLoads > 0, "no side exit loads the dispatch target:\n" + String.join("\n", all));
        // SunkWrites: the dispatch's lea rcx, [rbx + 0x40], dead on the path, runs in exit stubs before their jump
        long sunkInStubs = 0;
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).equals("lea rcx, [rbx + 0x40]") && all.get(i + 1).matches("jmp m\\+0x[0-9a-f]+")) sunkInStubs++;
        }
        System.out.println("lua5.4: " + sunkInStubs + " exit stubs run a sunk lea rcx, [rbx + 0x40]");
        assertTrue(sunkInStubs > 0, "no dead write was moved into an exit stub:\n" + String.join("\n", all));
        // ImpliedGuards: a float operand's "is it a float" compare made first, its "is it an integer"
        // compare (decided by it) only in the stub, which runs both as the original does
        long merged = 0;
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).matches("cmp [a-z0-9]+, 0x13") && all.get(i + 1).matches("jne @\\d+")) merged++;
        }
        long stubs = 0; // the second compare, then the exit taken unconditionally (after any register restores)
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).matches("cmp [a-z0-9]+, 0x13") && all.get(i + 1).matches("(jmp|mov|lea) .+")) stubs++;
        }
        System.out.println("lua5.4: " + merged + " merged type guards, " + stubs + " stubs");
        assertTrue(merged > 0 && stubs > 0, "no type guard pair merged:\n" + String.join("\n", all));
    }

    /**
     * python3.11 (Debian 12, non-PIE) dispatches through {@code opcode_targets} at an absolute
     * address in {@code .rodata}, {@code mov rax, [rax*8 + 0x737e40]; jmp rax}: no base register,
     * so the specialised dispatch compares the opcode alone (no base check) and the table load is
     * gone from the path. Output equal to a plain run's.
     */
    @Test
    void python311DispatchesThroughItsAbsoluteTableGuardTheOpcode() throws Exception {
        Path python = Path.of("/usr/bin/python3.11");
        Path script = tmp.resolve("loop.py");
        Files.writeString(script, """
                import sys
                n = int(sys.argv[1])
                acc = 0
                for k in range(n):
                    acc += k * k % 7
                print(n, acc)
                """);
        GeneratedCode code = runWith(python, List.of(python.toString(), script.toString()), "3000", "200000", 16, 80);
        List<String> all = new ArrayList<>();
        for (TracePath trace : code.generated().traces()) {
            all.addAll(Listing.of(code.code().get(0), trace.traceId()));
        }
        // the opcode (the code unit's low byte ORed with the tracing byte) compared right where it is computed
        long opcodeGuards = 0;
        for (int i = 0; i + 2 < all.size(); i++) {
            if (all.get(i).equals("movzx eax, sil") && all.get(i + 1).matches("cmp rax, 0x[0-9a-f]+")
                    && all.get(i + 2).matches("jne @\\d+")) opcodeGuards++;
        }
        long targetGuards = 0; // the unspecialised form: the table load, then the loaded target compared
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).equals("mov rax, qword ptr [rax*8 + 0x737e40]")
                    && all.get(i + 1).startsWith("cmp rax, qword ptr [rip -> slot")) targetGuards++;
        }
        System.out.println("python3.11: " + opcodeGuards + " opcode guards, " + targetGuards + " loaded-target guards");
        assertTrue(opcodeGuards > 0, "python3.11's dispatches do not guard the opcode:\n" + String.join("\n", all));
    }

    /**
     * Value guards, run for real: {@code interp-goto}'s first bytecode sequence is a static array
     * whose words the test writes down from the program's source (the values the program loads;
     * no probe recorded them). Each 32-bit word load before a dispatch gets a guard for the word of
     * the opcode its dispatch reaches in that sequence (each opcode occurs once there), so the
     * decode after it folds. The run goes through all three sequences: in the first the guards
     * hold, in the second and third the same opcodes carry other operands and the guards fail.
     * Output equal to a plain run's.
     */
    @Test
    void valueGuardsFoldTheDecodeAndTheirFailuresLeaveExactly() throws Exception {
        // I(op, a, b, c) = op | a << 7 | b << 16 | c << 24, interp-goto.c's `first`, by opcode
        long[][] first = new long[8][];
        first[0] = new long[] {word(0, 1, 1, 2)}; // ADD
        first[2] = new long[] {word(2, 2, 2, 3)}; // MUL
        first[4] = new long[] {word(4, 4, 3, 3)}; // SHR
        first[1] = new long[] {word(1, 5, 5, 4)}; // SUB
        first[3] = new long[] {word(3, 3, 3, 1)}; // XORS
        first[5] = new long[] {word(5, 0, 0, 0)}; // LOOP
        first[6] = new long[] {word(6, 0, 0, 0)}; // HALT
        List<String> all = runWithWordGuards(first).stream().flatMap(List::stream).toList();
        assertTrue(all.stream().anyMatch(l -> l.matches("cmp dword ptr \\[r[0-9a-z]+\\], 0x[0-9a-f]+")),
                "no value guard was applied:\n" + String.join("\n", all));
    }

    /**
     * Polymorphic value guards, run for real on {@code interp-goto}: a load gets several words (a
     * chain of compares, each match going on into its own folded copy of the rest of the trace).
     * Per opcode: ADD a word no sequence has, then the first sequence's (its first compare always
     * fails, the second holds in sequence one, all fail in sequence three: the mismatch leaves);
     * MUL and SUB the first and second sequences' words (in either order: the first compare holds
     * in one sequence, the second in the other); XORS the first and third's; SHR and LOOP one word
     * (SHR's fails in sequence three). Output equal to a plain run's, and the chains are in the code.
     */
    @Test
    void polymorphicValueGuardsRunEachValuesCopyAndLeaveExactlyWhenNoneHolds() throws Exception {
        long[][] words = new long[8][];
        words[0] = new long[] {word(0, 7, 7, 7), word(0, 1, 1, 2)};  // ADD: a decoy first
        words[2] = new long[] {word(2, 2, 2, 3), word(2, 4, 4, 2)};  // MUL: sequences one, two
        words[1] = new long[] {word(1, 1, 1, 3), word(1, 5, 5, 4)};  // SUB: sequences two, one
        words[3] = new long[] {word(3, 3, 3, 1), word(3, 1, 1, 4)};  // XORS: sequences one, three
        words[4] = new long[] {word(4, 4, 3, 3)};                    // SHR: sequence one only
        words[5] = new long[] {word(5, 0, 0, 0)};                    // LOOP
        List<List<String>> listings = runWithWordGuards(words);
        int chains = 0;
        for (List<String> trace : listings) {
            for (int i = 0; i + 1 < trace.size(); i++) {
                if (trace.get(i).startsWith("cmp dword ptr [") && trace.get(i + 1).startsWith("jne @")) {
                    String mem = trace.get(i).substring(0, trace.get(i).indexOf(']') + 1);
                    int next = Integer.parseInt(trace.get(i + 1).substring(5));
                    if (next < trace.size() && trace.get(next).startsWith(mem) && !trace.get(next).equals(trace.get(i))) chains++;
                }
            }
        }
        List<String> all = listings.stream().flatMap(List::stream).toList();
        System.out.println("interp-goto: " + chains + " polymorphic compares followed by the next value's");
        assertTrue(chains > 0, "no compare chain:\n" + String.join("\n", all));
    }

    /**
     * Runs interp-goto (recorded on 300 rounds) 200,000 rounds with traces whose 32-bit word loads
     * before a dispatch guard the words {@code byOpcode} lists for the opcode the dispatch reaches;
     * returns each trace's listing.
     */
    private List<List<String>> runWithWordGuards(long[][] byOpcode) throws Exception {
        Path program = RecordedRun.program("interp-goto");
        int[] guards = new int[1];
        GeneratedCode code = runWith(program, List.of(program.toString()), "300", "200000", 8, 60, selection -> {
            try (dev.tracedb.machine.x86.decode.Decoder decoder = dev.tracedb.machine.x86.decode.Decoder.open()) {
                List<TracePath> traces = new ArrayList<>();
                for (TracePath trace : selection.traces()) {
                    DispatchTables tables = DispatchTables.load(selection.modules().get(trace.head().at().moduleIndex()), decoder);
                    List<ValueGuard> values = new ArrayList<>();
                    List<DecodedBlock> blocks = trace.blocks().stream().map(b -> DecodedBlock.decode(decoder, b)).toList();
                    for (int b = 0; b < blocks.size(); b++) {
                        List<dev.tracedb.machine.x86.decode.Instruction> body = blocks.get(b).body();
                        for (int i = 0; i < body.size(); i++) {
                            if (!ValueGuards.comparable(body.get(i), 0) || body.get(i).operandText().contains("rsp")) continue;
                            int jump = b;
                            while (jump < blocks.size() && BranchForms.terminatorOf(blocks.get(jump)) != Terminator.INDIRECT_JUMP) jump++;
                            if (jump >= blocks.size() - 1) continue;
                            long handler = blocks.get(jump + 1).block().at().offset();
                            var entry = tables.entryFor(dev.tracedb.machine.x86.decode.Register.R9, 8, 0, handler)
                                    .or(() -> tables.entryFor(dev.tracedb.machine.x86.decode.Register.RCX, 8, 0, handler));
                            if (entry.isEmpty() || byOpcode[entry.get().index()] == null) continue;
                            for (long w : byOpcode[entry.get().index()]) values.add(new ValueGuard(b, i, w));
                        }
                    }
                    guards[0] += values.size();
                    traces.add(trace.withValueGuards(values));
                }
                return new TraceSelection(selection.modules(), traces);
            }
        });
        List<List<String>> listings = new ArrayList<>();
        for (TracePath trace : code.generated().traces()) {
            listings.add(Listing.of(code.code().get(0), trace.traceId()));
        }
        List<String> all = listings.stream().flatMap(List::stream).toList();
        long compares = all.stream().filter(l -> l.matches("cmp dword ptr \\[r[0-9a-z]+\\], 0x[0-9a-f]+")).count();
        System.out.println("interp-goto: " + guards[0] + " value guards given, " + compares + " compares applied");
        // folded: A's register slot is one lea from the registers' base (rsi), not shr/movzx/shl/add
        assertTrue(all.stream().anyMatch(l -> l.matches("lea rdx, \\[rsi \\+ 0x[0-9a-f]+\\]")),
                "no decode was folded:\n" + String.join("\n", all));
        return listings;
    }

    private static long word(int op, int a, int b, int c) {
        return op | (long) a << 7 | (long) b << 16 | (long) c << 24;
    }

    /** Nested counted loops and a recursive fib. */
    @Test
    void loopsStatic() throws Exception {
        runWithTraces("loops-static", "20", "2000");
    }

    /** Every trace's code, disassembled; returns are compared with cmp against their slot in all of them. */
    private static List<String> listing(GeneratedCode code) {
        List<String> all = new ArrayList<>();
        for (TracePath trace : code.generated().traces()) {
            all.addAll(Listing.of(code.code().get(0), trace.traceId()));
        }
        assertTrue(Collections.indexOfSubList(all, List.of("mov qword ptr [rsp - 8], rcx", "mov rcx, qword ptr [rsp]")) >= 0,
                "no return compared with cmp");
        return all;
    }

    /** The traces that ran hold every one of {@code kinds} before their last block: their guards were executed. */
    private static void assertGuardsInside(GeneratedCode code, Terminator... kinds) {
        Set<Terminator> inside = EnumSet.noneOf(Terminator.class);
        for (TracePath trace : code.generated().traces()) {
            for (PathBlock block : trace.blocks().subList(0, trace.blocks().size() - 1)) {
                inside.add(block.terminator());
            }
        }
        for (Terminator kind : kinds) {
            assertTrue(inside.contains(kind), "no trace guards a " + kind + " inside: " + inside);
        }
    }

    private GeneratedCode runWithTraces(String name, String recordInput, String runInput) throws Exception {
        Path program = RecordedRun.program(name);
        return runWith(program, List.of(program.toString()), recordInput, runInput, 8, 60);
    }

    /** Records {@code command} + recordInput, builds traces in {@code program}'s module, runs command + runInput with them. */
    private GeneratedCode runWith(Path program, List<String> command, String recordInput, String runInput,
                                  int maxTraces, int maxBlocks) throws Exception {
        return runWith(program, command, recordInput, runInput, maxTraces, maxBlocks, s -> s);
    }

    private GeneratedCode runWith(Path program, List<String> command, String recordInput, String runInput,
                                  int maxTraces, int maxBlocks, java.util.function.UnaryOperator<TraceSelection> change)
            throws Exception {
        String name = program.getFileName().toString();
        List<String> recorded = new ArrayList<>(command);
        recorded.add(recordInput);
        RecordedRun run = RecordedRun.record(tmp.resolve("db"), tmp.resolve("recorded.out"), recorded);
        TraceSelection selection = change.apply(RecordedPaths.select(run, run.module(program), maxTraces, maxBlocks));
        GeneratedCode code = new TraceCodeGenerator().generate(selection);
        code.refusals().forEach(r -> System.out.println(name + ": refused " + r));
        assertFalse(code.generated().traces().isEmpty(), "no trace was generated: " + code.refusals());
        System.out.println(name + ": " + code.generated().traces().size() + " traces, "
                + code.code().get(0).code().length + " bytes, " + code.code().get(0).relocations().size()
                + " relocations");

        List<String> argv = new ArrayList<>(command);
        argv.add(runInput);
        String expected = plainRun(argv);
        Path cachedOut = tmp.resolve("cached.out");
        CachedRun.Outcome outcome = CachedRun.run(argv, cachedOut, code);
        System.out.println(name + ": entries per trace " + outcome.entries());

        assertEquals(new StopEvent.Exited(0), outcome.end());
        assertEquals(expected, Files.readString(cachedOut));
        assertTrue(outcome.totalEntries() > 0, "no trace was entered: " + outcome.entries());
        return code;
    }

    private String plainRun(List<String> argv) throws IOException, InterruptedException {
        Path out = tmp.resolve("plain.out");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(argv)).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.clear();
        for (String kv : RecordedRun.ENV) {
            env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        assertEquals(0, pb.start().waitFor());
        return Files.readString(out);
    }
}
