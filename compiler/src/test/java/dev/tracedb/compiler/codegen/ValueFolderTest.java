package dev.tracedb.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.path.ValueGuard;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.store.Terminator;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of value guards ({@link ValueGuards}) and the folding after them
 * ({@link ValueFolder}): hand-assembled blocks of lua5.4's decode shape (gas's bytes), Capstone's
 * disassembly of the generated code compared line by line.
 */
class ValueFolderTest {
    private static final TraceModule MODULE = new TraceModule("/test/module", "abcd", 0x100000);

    /** opcode 5, A 3, B 2, C 9: the word lua5.4's dispatch would load. */
    private static final long WORD = 5 | 3 << 7 | 2 << 16 | 9L << 24;

    /**
     * The dispatch: the word loaded, decoded into the opcode (eax) and A's stack slot (rbx), the
     * handler's address loaded from a table through the opcode, {@code jmp rax}.
     */
    private static final PathBlock DISPATCH = block(0x2000, 13, Terminator.INDIRECT_JUMP,
            "0f1f440000"        // nop (the head's patch: a guard's exit cannot go into it)
            + "458b6500"        // mov r12d, [r13]
            + "4d8d6d04"        // lea r13, [r13 + 4]
            + "4489e3"          // mov ebx, r12d
            + "4489e0"          // mov eax, r12d
            + "c1eb07"          // shr ebx, 7
            + "83e07f"          // and eax, 0x7f
            + "0fb6db"          // movzx ebx, bl
            + "498b04c6"        // mov rax, [r14 + rax*8]
            + "48c1e304"        // shl rbx, 4
            + "4c01d3"          // add rbx, r10
            + "488d4b40"        // lea rcx, [rbx + 0x40]
            + "ffe0", null);    // jmp rax

    /** A handler: B's stack slot (rax) from the word, its type byte compared; a type mismatch leaves. */
    private static final PathBlock HANDLER = block(0x3000, 8, Terminator.CONDITIONAL,
            "4489e0"            // mov eax, r12d
            + "c1e810"          // shr eax, 16
            + "0fb6c0"          // movzx eax, al
            + "48c1e004"        // shl rax, 4
            + "4c01d0"          // add rax, r10
            + "0fb67008"        // movzx esi, byte [rax + 8]
            + "4080fe03",       // cmp sil, 3
            a -> a.jcc(Condition.NE, 0x3100L));

    /** The slot copied into A's; back to the dispatch. */
    private static PathBlock store(long at) {
        return block(at, 4, Terminator.CONDITIONAL,
                "488b10"        // mov rdx, [rax]
                + "488913"      // mov [rbx], rdx
                + "4080fe03",   // cmp sil, 3
                a -> a.jcc(Condition.E, 0x2000L));
    }

    private static PathBlock block(long offset, int instructions, Terminator terminator, String hex,
                                   java.util.function.Consumer<Assembler> last) {
        Assembler a = new Assembler(new CodeBuffer(offset));
        for (byte b : HexFormat.of().parseHex(hex)) a.buffer().emit8(b);
        if (last != null) last.accept(a);
        return new PathBlock(new CodeAddress(0, offset), a.finish(), instructions, terminator);
    }

    private static GeneratedCode generate(TracePath trace) {
        // one copy of a loop's body, as these counts expect (loop peeling: StoredValuesTest)
        return new TraceCodeGenerator().peeling(false).generate(new TraceSelection(List.of(MODULE), List.of(trace)));
    }

    private static TracePath loop() {
        PathBlock handler = HANDLER;
        PathBlock store = store(handler.end().offset());
        return new TracePath(0, List.of(DISPATCH, handler, store), new CodeAddress(0, 0x2000), 10);
    }

    @Test
    void theGuardedWordsDecodeFoldsAndExitsSeeTheOriginalRegisters() {
        GeneratedCode out = generate(loop().withValueGuards(List.of(new ValueGuard(0, 1, WORD))));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        System.out.println(String.join("\n", listing));
        assertEquals(List.of(
                "nop dword ptr [rax + rax]",
                "cmp dword ptr [r13], 0x9020185",   // the load, now a guard
                "jne @19",
                "lea r13, [r13 + 4]",
                "mov eax, 5",                        // the opcode, which the table load reads
                "mov rax, qword ptr [r14 + rax*8]",
                "mov ebx, 0x30",                     // A*16: the add's flags are read by the jump guard's restore
                "add rbx, r10",
                "lea rcx, [rbx + 0x40]",
                "mov r12d, 0x9020185"),              // every register written before a guarded jump
                listing.subList(0, 10));
        int handler = listing.indexOf("lea rax, [r10 + 0x20]");
        assertTrue(handler > 9, "B's slot is not one lea from r10:\n" + String.join("\n", listing));
        assertEquals(List.of("lea rax, [r10 + 0x20]", "movzx esi, byte ptr [rax + 8]", "cmp sil, 3"),
                listing.subList(handler, handler + 3), "the handler's decode folded into one lea");
        assertTrue(listing.stream().noneMatch(l -> l.startsWith("shr") || l.startsWith("shl") || l.startsWith("movzx ebx")
                || l.startsWith("and eax")), "a decode instruction survived:\n" + String.join("\n", listing));
        // the guard's mismatch: the original load, then the original code after it
        int stub = listing.indexOf("mov r12d, dword ptr [r13]");
        assertEquals("jmp m+0x2009", listing.get(stub + 1));
    }

    @Test
    void exitsBeforeTheFoldedRegistersAreWrittenWriteThemFirst() {
        // The guard's word kept in r12 until the loop's end: each exit in between writes it.
        PathBlock dispatch = block(0x2000, 5, Terminator.FALL_THROUGH,
                "0f1f440000"    // nop (the head's patch)
                + "458b6500"    // mov r12d, [r13]
                + "4489e0"      // mov eax, r12d
                + "c1e810"      // shr eax, 16
                + "4883f802",   // cmp rax, 2
                null);
        PathBlock test = block(dispatch.end().offset(), 1, Terminator.CONDITIONAL, "", a -> a.jcc(Condition.NE, 0x2100L));
        PathBlock use = block(test.end().offset(), 2, Terminator.CONDITIONAL, "4c01e0", a -> a.jcc(Condition.NE, 0x2000L));
        GeneratedCode out = generate(new TracePath(0, List.of(dispatch, test, use), new CodeAddress(0, 0x2000), 10)
                .withValueGuards(List.of(new ValueGuard(0, 1, WORD))));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "nop dword ptr [rax + rax]",
                "cmp dword ptr [r13], 0x9020185",
                "jne @10",
                "mov eax, 0x902",             // word >> 16, written because the cmp reads rax
                "cmp rax, 2",
                "jne @12",                    // its exit writes r12 first
                "mov r12d, 0x9020185",        // the add reads r12
                "add rax, r12",
                "je m+0x2022",
                "jmp t0+0x0",
                "mov r12d, dword ptr [r13]",  // @10: the guard's mismatch, the original load
                "jmp m+0x2009",
                "mov r12d, 0x9020185",        // @12: the side exit with the word in r12, as the original
                "jmp m+0x2100"), Listing.of(out.code().get(0), 0));
    }

    @Test
    void noGuardWhereTheFlagsAreLiveAfterTheLoad() {
        PathBlock head = block(0x2000, 4, Terminator.CONDITIONAL,
                "0f1f440000"    // nop (the head's patch)
                + "4883f802"    // cmp rax, 2
                + "458b6500",   // mov r12d, [r13]: the jne below reads the cmp's flags
                a -> a.jcc(Condition.NE, 0x2000L));
        GeneratedCode out = generate(new TracePath(0, List.of(head), new CodeAddress(0, 0x2000), 10)
                .withValueGuards(List.of(new ValueGuard(0, 2, WORD))));
        assertEquals(List.of(), out.refusals());
        assertTrue(Listing.of(out.code().get(0), 0).contains("mov r12d, dword ptr [r13]"), "the load became a guard");
    }

    /** LOAD_FAST (124) with oparg 3: the code unit CPython 3.11's dispatch would load. */
    private static final long CODE_UNIT = 124 | 3 << 8;

    /**
     * CPython 3.11's dispatch (python3.11 of Debian 12, e.g. +0x105ba4): the code unit fetched,
     * the oparg shifted out of it in 16 bits, the opcode ORed with the tracing byte (the DTrace
     * semaphore's {@code neg; sbb} and {@code cframe.use_tracing} on the stack), the handler's
     * address from an absolute table, {@code jmp rax}.
     */
    private static final PathBlock CPYTHON_DISPATCH = block(0x2000, 15, Terminator.INDIRECT_JUMP,
            "0f1f440000"              // nop (the head's patch)
            + "410fb702"              // movzx eax, word [r10]
            + "0fb70d00100000"        // movzx ecx, word [rip + 0x1000]   (the DTrace semaphore)
            + "4d89d7"                // mov r15, r10
            + "4889dd"                // mov rbp, rbx
            + "4189c1"                // mov r9d, eax
            + "6641c1e908"            // shr r9w, 8                       (oparg)
            + "66f7d9"                // neg cx
            + "4018f6"                // sbb sil, sil
            + "400ab424b0000000"      // or sil, [rsp + 0xb0]             (use_tracing)
            + "450fb7c9"              // movzx r9d, r9w
            + "09c6"                  // or esi, eax
            + "400fb6c6"              // movzx eax, sil                   (opcode | tracing)
            + "488b04c5407e7300"      // mov rax, [rax*8 + 0x737e40]
            + "ffe0", null);          // jmp rax

    /** LOAD_FAST's handler: the local at the oparg's slot, a NULL check that leaves. */
    private static final PathBlock CPYTHON_LOAD_FAST = block(0x3000, 6, Terminator.CONDITIONAL,
            "4963e9"                  // movsxd rbp, r9d
            + "4c897b38"              // mov [rbx + 0x38], r15
            + "4d8d5702"              // lea r10, [r15 + 2]
            + "488b44eb48"            // mov rax, [rbx + rbp*8 + 0x48]
            + "4885c0",               // test rax, rax
            a -> a.jcc(Condition.E, 0x3100L));

    /** Its push; back to the dispatch. */
    private static final PathBlock CPYTHON_PUSH = block(CPYTHON_LOAD_FAST.end().offset(), 5, Terminator.CONDITIONAL,
            "48830001"                // add qword [rax], 1
            + "49894500"              // mov [r13], rax
            + "4983c508"              // add r13, 8
            + "4885c0",               // test rax, rax
            a -> a.jcc(Condition.NE, 0x2000L));

    @Test
    void cpythonsCodeUnitIsComparedAsAWordAndItsOpargFolds() {
        TracePath trace = new TracePath(0, List.of(CPYTHON_DISPATCH, CPYTHON_LOAD_FAST, CPYTHON_PUSH),
                new CodeAddress(0, 0x2000), 10);
        assertEquals(1, ValueSites.of(new TraceSelection(List.of(MODULE), List.of(trace))).stream()
                .filter(s -> s.block() == 0 && s.instruction() == 1).count(), "the code-unit load is a value site");
        GeneratedCode out = generate(trace.withValueGuards(List.of(new ValueGuard(0, 1, CODE_UNIT))));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        System.out.println(String.join("\n", listing));
        assertEquals(List.of(
                "nop dword ptr [rax + rax]",
                "cmp word ptr [r10], 0x37c",         // the code-unit load, now a word guard
                "jne @26",
                "movzx ecx, word ptr [rip -> m+0x3010]",
                "mov r15, r10",
                "mov rbp, rbx",
                "neg cx",                            // mov r9d, eax; shr r9w, 8: folded
                "sbb sil, sil",
                "or sil, byte ptr [rsp + 0xb0]",
                "mov eax, 0x37c",                    // the unit, which the tracing OR reads: the opcode does not fold
                "or esi, eax",
                "movzx eax, sil",
                "mov rax, qword ptr [rax*8 + 0x737e40]",
                "mov r9d, 3",                        // the oparg, written before the guarded jump
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @28",
                "movsxd rbp, r9d",
                "mov qword ptr [rbx + 0x38], r15",
                "lea r10, [r15 + 2]",
                "mov rax, qword ptr [rbx + rbp*8 + 0x48]",
                "test rax, rax",
                "je m+0x3100",
                "add qword ptr [rax], 1",
                "mov qword ptr [r13], rax",
                "add r13, 8",
                "jmp t0+0x0",
                "movzx eax, word ptr [r10]",         // @26: the guard's mismatch, the original load
                "jmp m+0x2009"), listing.subList(0, 28));
    }

    /** The same opcode with A 4: a second word at the same load (a polymorphic guard). */
    private static final long WORD_A4 = 5 | 4 << 7 | 2 << 16 | 9L << 24;

    /**
     * Two words at one load: the first compared, its copy of the rest of the loop folded with it
     * (A's slot 0x30), then the second's compare and its copy (A's slot 0x40), then the mismatch
     * stub that makes the original load; each copy has its own out-of-line stubs.
     */
    @Test
    void aPolymorphicGuardComparesEachWordAndFoldsItsOwnCopyOfTheRest() {
        GeneratedCode out = generate(loop().withValueGuards(List.of(new ValueGuard(0, 1, WORD), new ValueGuard(0, 1, WORD_A4))));
        assertEquals(2, out.valueGuards().size(), "one cache entry per value");
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        List<String> copy = List.of(
                "lea r13, [r13 + 4]",
                "mov eax, 5",
                "mov rax, qword ptr [r14 + rax*8]");
        assertEquals(List.of(
                "nop dword ptr [rax + rax]",
                "cmp dword ptr [r13], 0x9020185",    // the first word
                "jne @19",                           // no: the next word's compare
                "lea r13, [r13 + 4]",
                "mov eax, 5",
                "mov rax, qword ptr [r14 + rax*8]",
                "mov ebx, 0x30",                     // A 3
                "add rbx, r10",
                "lea rcx, [rbx + 0x40]",
                "mov r12d, 0x9020185",
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @39",
                "lea rax, [r10 + 0x20]",             // B's slot, folded in this copy too
                "movzx esi, byte ptr [rax + 8]",
                "cmp sil, 3",
                "jne m+0x3100",
                "mov rdx, qword ptr [rax]",
                "mov qword ptr [rbx], rdx",
                "jmp t0+0x0",                        // the first copy's loop-back
                "cmp dword ptr [r13], 0x9020205",    // @19: the second word
                "jne @37",                           // neither: the mismatch
                "lea r13, [r13 + 4]",
                "mov eax, 5",
                "mov rax, qword ptr [r14 + rax*8]",
                "mov ebx, 0x40",                     // A 4
                "add rbx, r10",
                "lea rcx, [rbx + 0x40]",
                "mov r12d, 0x9020205",
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @42",
                "lea rax, [r10 + 0x20]",
                "movzx esi, byte ptr [rax + 8]",
                "cmp sil, 3",
                "jne m+0x3100",
                "mov rdx, qword ptr [rax]",
                "mov qword ptr [rbx], rdx",
                "jmp t0+0x0",
                "mov r12d, dword ptr [r13]",         // @37: the original load, on after it
                "jmp m+0x2009",
                "sub rbx, r10",                      // @39: the first copy's jump mismatch
                "add rbx, r10",
                "jmp rax",
                "sub rbx, r10",                      // @42: the second copy's
                "add rbx, r10",
                "jmp rax"), listing);
        assertEquals(copy, listing.subList(3, 6));
        assertEquals(copy, listing.subList(21, 24));
    }

    /** Four loads with two words each: copies 2, 4, 8, and the fourth load would make 16, so it stays a load. */
    @Test
    void polymorphicLoadsStopWhereTheCopiesWouldPassTheLimit() {
        PathBlock loads = block(0x2000, 6, Terminator.FALL_THROUGH,
                "0f1f440000"        // nop (the head's patch)
                + "458b6500"        // mov r12d, [r13]
                + "458b6504"        // mov r12d, [r13 + 4]
                + "458b6508"        // mov r12d, [r13 + 8]
                + "458b650c"        // mov r12d, [r13 + 0xc]
                + "4c01e0",         // add rax, r12
                null);
        PathBlock back = block(loads.end().offset(), 1, Terminator.CONDITIONAL, "", a -> a.jcc(Condition.NE, 0x2000L));
        List<ValueGuard> guards = new java.util.ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            guards.add(new ValueGuard(0, i, WORD));
            guards.add(new ValueGuard(0, i, WORD_A4));
        }
        GeneratedCode out = generate(new TracePath(0, List.of(loads, back), new CodeAddress(0, 0x2000), 10)
                .withValueGuards(guards));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        assertEquals(2, listing.stream().filter(l -> l.startsWith("cmp dword ptr [r13], ")).count(), String.join("\n", listing));
        assertEquals(4, listing.stream().filter(l -> l.startsWith("cmp dword ptr [r13 + 4], ")).count());
        assertEquals(8, listing.stream().filter(l -> l.startsWith("cmp dword ptr [r13 + 8], ")).count());
        assertEquals(8, listing.stream().filter(l -> l.equals("mov r12d, dword ptr [r13 + 0xc]")).count(),
                "the fourth load is copied in each of the 8 copies");
        assertEquals(6, out.valueGuards().size(), "three loads, two values each");
        assertEquals(8, ValueGuards.MAX_COPIES);
    }

    @Test
    void cpythonsTracingByteIsGuardedAndTheOpcodeFolds() {
        TracePath trace = new TracePath(0, List.of(CPYTHON_DISPATCH, CPYTHON_LOAD_FAST, CPYTHON_PUSH),
                new CodeAddress(0, 0x2000), 10);
        List<ValueSites.Site> sites = ValueSites.of(new TraceSelection(List.of(MODULE), List.of(trace))).stream()
                .filter(s -> s.block() == 0).toList();
        assertEquals(List.of(1, 2, 9), sites.stream().map(ValueSites.Site::instruction).toList(),
                "the code unit, the DTrace semaphore and the use_tracing OR are value sites");
        assertEquals(List.of(false, false, true), sites.stream().map(ValueSites.Site::lowByte).toList());
        assertEquals(0, sites.get(2).sampled(0x7fff_1234_5600L), "the OR's sample is its low byte");
        GeneratedCode out = generate(trace.withValueGuards(List.of(new ValueGuard(0, 1, CODE_UNIT),
                new ValueGuard(0, 2, 0), new ValueGuard(0, 9, 0))));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        System.out.println(String.join("\n", listing));
        assertEquals(List.of(
                "nop dword ptr [rax + rax]",
                "cmp word ptr [r10], 0x37c",         // the code unit
                "jne @27",
                "cmp word ptr [rip -> m+0x3010], 0",  // the DTrace semaphore
                "jne @29",
                "mov r15, r10",
                "mov rbp, rbx",
                "cmp byte ptr [rsp + 0xb0], 0",      // cframe.use_tracing; neg cx; sbb sil, sil folded
                "jne @32",
                "mov sil, 0",                        // the tracing byte, for the OR with the unit
                "or esi, 0x37c",
                "mov eax, 0x7c",                     // the opcode, folded: LOAD_FAST
                "mov rax, qword ptr [rax*8 + 0x737e40]",
                "mov ecx, 0",                        // the semaphore's register, negated
                "mov r9d, 3",                        // the oparg
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @38"), listing.subList(0, 17));
        assertEquals(List.of(
                "movzx eax, word ptr [r10]",         // @27: the unit's mismatch
                "jmp m+0x2009",
                "mov eax, 0x37c",                    // @29: the semaphore's mismatch, the unit written first
                "movzx ecx, word ptr [rip -> m+0x3010]",
                "jmp m+0x2010",
                "mov eax, 0x37c",                    // @32: use_tracing's mismatch, sil as the sbb left it
                "mov ecx, 0",
                "mov r9d, 3",
                "mov sil, 0",
                "or sil, byte ptr [rsp + 0xb0]",     // the original OR
                "jmp m+0x202c"), listing.subList(27, 38));
    }
}
