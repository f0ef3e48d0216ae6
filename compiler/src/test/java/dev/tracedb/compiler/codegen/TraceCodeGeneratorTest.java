package dev.tracedb.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ModuleCode.Relocation;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.machine.x86.encode.AluOp;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Mem;
import dev.tracedb.store.Terminator;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Golden tests: hand-assembled blocks in, Capstone's disassembly of the relocated output
 * compared line by line, with module addresses, trace addresses and constant-pool slots named.
 */
class TraceCodeGeneratorTest {
    private static final TraceModule MODULE = new TraceModule("/test/module", "abcd", 0x100000);

    private static PathBlock block(long offset, int instructions, Terminator terminator, Consumer<Assembler> code) {
        Assembler a = new Assembler(new CodeBuffer(offset));
        code.accept(a);
        return new PathBlock(new CodeAddress(0, offset), a.finish(), instructions, terminator);
    }

    private static CodeAddress at(long offset) {
        return new CodeAddress(0, offset);
    }

    private static GeneratedCode generate(TracePath... traces) {
        // one copy of a loop's body, as these listings expect (loop peeling: StoredValuesTest)
        return new TraceCodeGenerator().peeling(false).generate(new TraceSelection(List.of(MODULE), List.of(traces)));
    }

    /** add [rip+x], imm8 (a displacement followed by an immediate), a loop-closing jne. */
    private static final PathBlock COUNTING_LOOP = block(0x1000, 4, Terminator.CONDITIONAL, a -> {
        a.alu(AluOp.ADD, Mem.rip(0x3000L), 1);
        a.add(Gpr.RAX, 1);
        a.cmp(Gpr.RAX, Gpr.RBX);
        a.jcc(Condition.NE, 0x1000L);
    });

    @Test
    void loopTraceGuardsItsBranchAndJumpsBackToItsStart() {
        GeneratedCode out = generate(new TracePath(0, List.of(COUNTING_LOOP), at(0x1000), 100));
        assertEquals(List.of(), out.refusals());
        ModuleCode code = out.code().get(0);
        assertEquals(List.of(
                "add qword ptr [rip -> m+0x3000], 1",
                "add rax, 1",
                "cmp rax, rbx",
                "je m+0x1015",          // the recorded direction (taken) stays; the other side-exits
                "jmp t0+0x0"), Listing.of(code, 0));
        ModuleCode.TraceEntry entry = code.entries().get(0);
        assertEquals(0x1000, entry.headOffset());
        assertEquals(8, entry.patchLength(), "the first whole instruction already covers 5 bytes");
        assertEquals(List.of(Relocation.Kind.REL32, Relocation.Kind.REL32),
                code.relocations().stream().map(Relocation::kind).toList());
    }

    @Test
    void theCountingVariantCountsEntryIterationsAndExitsKeepingFlagsAndTheRedZone() {
        GeneratedCode out = generate(new TracePath(0, List.of(COUNTING_LOOP), at(0x1000), 100));
        ModuleCode code = out.code().get(0);
        assertEquals(List.of(
                "lea rsp, [rsp - 0x80]",  // below the red zone first
                "pushfq",
                "lock inc qword ptr [rip -> counter entry t0]",
                "popfq",
                "lea rsp, [rsp + 0x80]",
                "add qword ptr [rip -> m+0x3000], 1",  // the loop-back lands here: iterations are not entries
                "add rax, 1",
                "cmp rax, rbx",
                "je @10",                 // the side exit goes through its counting stub, same condition
                "jmp @16",                // the loop-back through the iteration counter
                "lea rsp, [rsp - 0x80]",
                "pushfq",
                "lock inc qword ptr [rip -> counter exit t0 m+0x1015]",
                "popfq",
                "lea rsp, [rsp + 0x80]",
                "jmp m+0x1015",           // then where the plain code's je goes
                "lea rsp, [rsp - 0x80]",
                "pushfq",
                "lock inc qword ptr [rip -> counter iteration t0 m+0x1000]",
                "popfq",
                "lea rsp, [rsp + 0x80]",
                "jmp @5"), Listing.ofCounting(code, 0));
        assertEquals(List.of(ModuleCode.CounterKind.ENTRY, ModuleCode.CounterKind.ITERATION, ModuleCode.CounterKind.EXIT),
                code.counting().counters().stream().map(ModuleCode.Counter::kind).toList());
        assertEquals(code.entries().get(0).headOffset(), code.counting().entries().get(0).headOffset());
        assertEquals(code.entries().get(0).patchLength(), code.counting().entries().get(0).patchLength());
    }

    @Test
    void callsPushTheOriginalReturnAddressAndReturnsAndIndirectBranchesAreGuarded() {
        List<PathBlock> blocks = List.of(
                block(0x2000, 2, Terminator.CALL, a -> {
                    a.mov(Gpr.RDI, Gpr.RAX);
                    a.call(0x3000L);
                }),
                block(0x3000, 2, Terminator.RETURN, a -> {
                    a.lea(Gpr.RAX, Mem.of(Gpr.RDI, 1));
                    a.ret();
                }),
                block(0x2008, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.mov(Gpr.RCX, Mem.rip(0x8000L));
                    a.jmp(Gpr.RCX);
                }),
                block(0x4000, 1, Terminator.INDIRECT_CALL, a -> a.call(Mem.of(Gpr.RSP, 8))),
                block(0x5000, 2, Terminator.JUMP, a -> {
                    a.nop();
                    a.jmp(0x6000L);
                }));
        GeneratedCode out = generate(new TracePath(3, blocks, at(0x6000), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "mov rdi, rax",
                "push qword ptr [rip -> slot m+0x2008]",      // the call: original return address
                "lea rax, [rdi + 1]",
                "mov qword ptr [rsp - 8], rcx",               // ret: rcx kept in the red zone the return frees
                "mov rcx, qword ptr [rsp]",
                "cmp rcx, qword ptr [rip -> slot m+0x2008]",  // flags are dead across a return (ABI)
                "mov rcx, qword ptr [rsp - 8]",
                "jne @33",
                "lea rsp, [rsp + 8]",                         // match: the return's pop
                "mov rcx, qword ptr [rip -> m+0x8000]",
                "lea rsp, [rsp - 0x80]",                      // jmp rcx: no flag writer to recompute, so flags-free
                "push rcx",
                "push rdx",
                "mov rdx, rcx",
                "lea rcx, [rip -> m+0x4000]",
                "not rcx",
                "lea rcx, [rdx + rcx + 1]",
                "jrcxz @22",
                "pop rdx",
                "pop rcx",
                "lea rsp, [rsp + 0x80]",
                "jmp rcx",
                "pop rdx",
                "pop rcx",
                "lea rsp, [rsp + 0x80]",
                "mov qword ptr [rsp - 8], rcx",               // call [rsp+8]: the call's push frees the red zone
                "mov rcx, qword ptr [rsp + 8]",
                "cmp rcx, qword ptr [rip -> slot m+0x5000]",
                "mov rcx, qword ptr [rsp - 8]",
                "jne @34",
                "push qword ptr [rip -> slot m+0x4004]",
                "nop",
                "jmp m+0x6000",
                "ret",                                        // out of line: mismatch, return as the original does
                "jmp m+0x4000"), Listing.of(out.code().get(0), 3)); // mismatch: the original call makes it
    }

    @Test
    void loopAndJrcxzRunOnceAimedOverTheTracesOwnJumps() {
        HexFormat hex = HexFormat.of();
        // 0x100: mov rax, [rdi]; loop 0x100   (the path takes the loop: back to the head)
        PathBlock counted = new PathBlock(at(0x100), hex.parseHex("488b07e2fb"), 2, Terminator.CONDITIONAL);
        // 0x200: mov rax, [rdi]; jrcxz 0x240  (the path falls through to 0x205)
        PathBlock zeroTest = new PathBlock(at(0x200), hex.parseHex("488b07e33b"), 2, Terminator.CONDITIONAL);
        PathBlock after = block(0x205, 2, Terminator.JUMP, a -> {
            a.add(Gpr.RDI, 8);
            a.jmp(0x200L);
        });
        GeneratedCode out = generate(new TracePath(0, List.of(counted), at(0x100), 10),
                new TracePath(1, List.of(zeroTest, after), at(0x200), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "mov rax, qword ptr [rdi]",
                "loop @3",                  // taken: on into the trace
                "jmp m+0x105",              // not taken: the side exit
                "jmp t0+0x0"), Listing.of(out.code().get(0), 0));
        assertEquals(List.of(
                "mov rax, qword ptr [rdi]",
                "jrcxz @3",                 // taken: to the side exit
                "jmp @4",                   // not taken: on into the trace
                "jmp m+0x240",
                "add rdi, 8",
                "jmp t1+0x0"), Listing.of(out.code().get(0), 1));
    }

    @Test
    void returnWithImmediateAndJumpThroughTheGotAreGuarded() {
        List<PathBlock> blocks = List.of(
                block(0x3000, 2, Terminator.RETURN, a -> {
                    a.lea(Gpr.RAX, Mem.of(Gpr.RDI, 1));
                    a.buffer().emit8(0xc2); // ret 0x10
                    a.buffer().emit16(0x10);
                }),
                block(0x2008, 1, Terminator.INDIRECT_JUMP, a -> a.jmp(Mem.rip(0x9000L))),
                block(0x2100, 2, Terminator.RETURN, a -> {
                    a.nop(5);
                    a.ret();
                }));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x4000), 10));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        assertEquals(List.of(
                "lea rax, [rdi + 1]",
                "mov qword ptr [rsp - 8], rcx",
                "mov rcx, qword ptr [rsp]",
                "cmp rcx, qword ptr [rip -> slot m+0x2008]",
                "mov rcx, qword ptr [rsp - 8]",
                "jne @24",
                "lea rsp, [rsp + 0x18]",                      // match: 8 + 0x10 popped
                "lea rsp, [rsp - 0x80]",                      // jmp [got] after a return: flags-free
                "push rcx",
                "push rdx",
                "mov rdx, qword ptr [rip -> m+0x9000]",       // the GOT slot, read where the jump reads it
                "lea rcx, [rip -> m+0x2100]"),
                listing.subList(0, 12));
        assertEquals("jmp qword ptr [rip -> m+0x9000]", listing.get(18), "mismatch: the original jump");
        assertEquals(List.of("nop dword ptr [rax + rax]", "ret", "ret 0x10"), listing.subList(listing.size() - 3, listing.size()),
                "a path that ends in a return returns as the original does; then the mismatch, out of line");
    }

    /** The lua5.4 dispatch shape: the flags at {@code jmp rax} come from an add in the same block. */
    @Test
    void jumpThroughARegisterComparesAndRecomputesTheFlagsWhereTheyMayBeRead() {
        List<PathBlock> blocks = List.of(
                block(0x2000, 3, Terminator.INDIRECT_JUMP, a -> {
                    a.add(Gpr.RBX, Gpr.R10);
                    a.lea(Gpr.RCX, Mem.of(Gpr.RBX, 0x40));
                    a.jmp(Gpr.RAX);
                }),
                block(0x3000, 1, Terminator.CONDITIONAL, a -> a.jcc(Condition.E, 0x3100L)),
                block(0x3006, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.sub(Gpr.RDX, 1);
                    a.jmp(Gpr.RDX);
                }));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x2000), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "add rbx, r10",
                "lea rcx, [rbx + 0x40]",
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @11",
                "sub rbx, r10",                               // the je below reads the add's flags: recomputed
                "add rbx, r10",
                "je m+0x3100",
                "sub rdx, 1",
                "cmp rdx, qword ptr [rip -> slot m+0x2000]",
                "jne @14",                                    // match: the loop's add overwrites them, none needed
                "jmp t0+0x0",
                "sub rbx, r10",                               // out of line: mismatch, flags recomputed, the jump
                "add rbx, r10",
                "jmp rax",
                "add rdx, 1",
                "sub rdx, 1",
                "jmp rdx"), Listing.of(out.code().get(0), 0));
    }

    /**
     * lua5.4's {@code test r8d, r8d; jne} (its hook flag, in a register) before every dispatch: a
     * second test of the unchanged register is decided by the first guard and left out; after the
     * register is written, or where the branch's flags are still read, the guard stays.
     */
    @Test
    void aGuardAnEarlierGuardOfTheSameRegisterDecidedIsLeftOut() {
        Consumer<Assembler> dispatch = a -> {
            a.test(Gpr.R8, Gpr.R8);
            a.jcc(Condition.NE, 0x9000L);
        };
        List<PathBlock> blocks = List.of(
                block(0x1000, 2, Terminator.CONDITIONAL, dispatch),   // jne not taken: r8 == 0
                block(0x1009, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.and(Gpr.RAX, 0x7f);                         // overwrites the flags the test left
                    a.jmp(Gpr.RAX);
                }),
                block(0x2000, 2, Terminator.CONDITIONAL, a -> {  // je taken: r8 == 0 again, decided
                    a.test(Gpr.R8, Gpr.R8);
                    a.jcc(Condition.E, 0x2100L);
                }),
                block(0x2100, 4, Terminator.CONDITIONAL, a -> {
                    a.and(Gpr.RAX, 0x7f);
                    a.add(Gpr.R8, Gpr.RCX);                       // r8 written
                    a.test(Gpr.R8, Gpr.R8);
                    a.jcc(Condition.NE, 0x9000L);                 // so this one stays
                }),
                block(0x2110, 2, Terminator.CONDITIONAL, dispatch), // the flags are read below: stays
                block(0x2119, 1, Terminator.CONDITIONAL, a -> a.jcc(Condition.E, 0x9100L)),
                block(0x211f, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.and(Gpr.RAX, 0x7f);
                    a.jmp(Gpr.RAX);
                }));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x3000), 10));
        assertEquals(List.of(), out.refusals());
        List<String> listing = Listing.of(out.code().get(0), 0);
        assertEquals(List.of(
                "test r8, r8",
                "jne m+0x9000",
                "and rax, 0x7f",
                "cmp rax, qword ptr [rip -> slot m+0x2000]",
                "jne @"), listing.subList(0, 5).stream().map(l -> l.startsWith("jne @") ? "jne @" : l).toList());
        assertEquals("and rax, 0x7f", listing.get(5), "the decided test r8, r8 and its jne are left out: " + listing);
        assertEquals(3, listing.stream().filter(l -> l.equals("test r8, r8")).count(),
                "the test after r8 was written and the one whose flags the je reads stay: " + listing);
    }

    /**
     * CPython's dispatch shape: the flags at {@code jmp rax} come from {@code or esi, eax}, whose
     * source eax is overwritten before the jump; its result in esi gives them back.
     */
    @Test
    void flagsOfALogicInstructionWhoseSourceChangedAreRecomputedFromItsResult() {
        HexFormat hex = HexFormat.of();
        List<PathBlock> blocks = List.of(
                // or esi, eax; movzx eax, sil; mov rax, [rax*8 + 0x737e40]; jmp rax
                new PathBlock(at(0x2000), hex.parseHex("09c6400fb6c6488b04c5407e7300ffe0"), 4,
                        Terminator.INDIRECT_JUMP),
                // or r9, rax; mov rax, r9; jmp rax (r9: a REX.W and REX.B test)
                new PathBlock(at(0x3000), hex.parseHex("4909c14c89c8ffe0"), 3, Terminator.INDIRECT_JUMP),
                block(0x4000, 1, Terminator.CONDITIONAL, a -> a.jcc(Condition.E, 0x4100L)),
                block(0x4006, 1, Terminator.RETURN, a -> a.ret()));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x5000), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "or esi, eax",
                "movzx eax, sil",
                "mov rax, qword ptr [rax*8 + 0x737e40]",
                "cmp rax, qword ptr [rip -> slot m+0x3000]",
                "jne @12",                                    // match: flags dead (the next or writes them)
                "or r9, rax",
                "mov rax, r9",
                "cmp rax, qword ptr [rip -> slot m+0x4000]",
                "jne @14",
                "test r9, r9",                                // the je below reads the or's flags
                "je m+0x4100",
                "ret",
                "test esi, esi",                              // @12, out of line: the flags of or esi, eax
                "jmp rax",
                "test r9, r9",
                "jmp rax"), Listing.of(out.code().get(0), 0));
    }

    @Test
    void jumpsThroughMemoryCompareInAScratchRegister() {
        // a PLT stub reached by a call: flags and red zone are dead at a function's entry
        List<PathBlock> plt = List.of(
                block(0x5000, 1, Terminator.CALL, a -> a.call(0x6000L)),
                block(0x6000, 1, Terminator.INDIRECT_JUMP, a -> a.jmp(Mem.rip(0x9000L))),
                block(0x7000, 1, Terminator.RETURN, a -> a.ret()));
        // a jump table: the red zone may be live, so rcx goes below it; cmp rdi, 3 recomputes the flags
        List<PathBlock> table = List.of(
                block(0x8000, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.cmp(Gpr.RDI, 3);
                    a.jmp(Mem.of(Gpr.RDX, Gpr.RDI, 8, 0));
                }),
                block(0x8100, 1, Terminator.RETURN, a -> a.ret()));
        GeneratedCode out = generate(new TracePath(0, plt, at(0x5005), 10), new TracePath(1, table, at(0x8100), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "push qword ptr [rip -> slot m+0x5005]",
                "mov qword ptr [rsp - 8], rcx",
                "mov rcx, qword ptr [rip -> m+0x9000]",
                "cmp rcx, qword ptr [rip -> slot m+0x7000]",
                "mov rcx, qword ptr [rsp - 8]",
                "jne @7",
                "ret",
                "jmp qword ptr [rip -> m+0x9000]"), Listing.of(out.code().get(0), 0));
        assertEquals(List.of(
                "cmp rdi, 3",
                "lea rsp, [rsp - 0x80]",
                "push rcx",
                "mov rcx, qword ptr [rdx + rdi*8]",
                "cmp rcx, qword ptr [rip -> slot m+0x8100]",
                "pop rcx",
                "lea rsp, [rsp + 0x80]",
                "jne @9",
                "ret",                                        // flags dead after: no recompute on the match side
                "cmp rdi, 3",
                "jmp qword ptr [rdx + rdi*8]"), Listing.of(out.code().get(0), 1));

    }

    @Test
    void jumpsThroughARegisterWithNoFlagWriterToRecomputeStayFlagsFreeCallsCompare() {
        List<PathBlock> blocks = List.of(
                block(0x2000, 2, Terminator.INDIRECT_JUMP, a -> {
                    a.mov(Gpr.RAX, Mem.of(Gpr.RDX, Gpr.RAX, 8, 0));
                    a.jmp(Gpr.RAX);            // an interpreter's dispatch
                }),
                block(0x3000, 1, Terminator.INDIRECT_CALL, a -> a.call(Gpr.R11)),
                block(0x4000, 1, Terminator.RETURN, a -> a.ret()));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x2000), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "mov rax, qword ptr [rdx + rax*8]",
                "lea rsp, [rsp - 0x80]",                      // no flag writer in the trace before it: flags-free
                "push rcx",
                "lea rcx, [rip -> m+0x3000]",
                "not rcx",
                "lea rcx, [rax + rcx + 1]",
                "jrcxz @10",
                "pop rcx",
                "lea rsp, [rsp + 0x80]",
                "jmp rax",                                    // mismatch: the original jump
                "pop rcx",
                "lea rsp, [rsp + 0x80]",
                "cmp r11, qword ptr [rip -> slot m+0x4000]",  // call r11: flags dead at a function's entry
                "jne @16",
                "push qword ptr [rip -> slot m+0x3003]",
                "ret",                                        // the loop's last return runs natively, back
                                                              // to the head's patch: the CPU's return stack stays in step
                "jmp m+0x3000"),                              // mismatch: the original call makes it
                Listing.of(out.code().get(0), 0));
    }

    @Test
    void anIndirectCallThatEndsTheTraceRunsAsTheOriginalCall() {
        // the call is the path's last transfer: the trace jumps to it, so the CPU sees the call
        // whose return it will predict (a push and a jump would leave that return unpredicted)
        List<PathBlock> blocks = List.of(
                block(0x2000, 2, Terminator.FALL_THROUGH, a -> {
                    a.mov(Gpr.RAX, Mem.of(Gpr.RDI, 8));
                    a.mov(Gpr.RSI, Gpr.RDX);
                }),
                block(0x2007, 2, Terminator.INDIRECT_CALL, a -> {
                    a.mov(Gpr.RDI, Gpr.RBX);
                    a.call(Mem.of(Gpr.RAX, 0x38));
                }));
        GeneratedCode out = generate(new TracePath(0, blocks, at(0x9000), 10));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "mov rax, qword ptr [rdi + 8]",
                "mov rsi, rdx",
                "mov rdi, rbx",
                "jmp m+0x200a"), Listing.of(out.code().get(0), 0));
        // a call inside the trace's own patched head bytes cannot be jumped to: pushed and jumped
        GeneratedCode inPatch = generate(new TracePath(0, List.of(
                block(0x2000, 2, Terminator.INDIRECT_CALL, a -> {
                    a.mov(Gpr.RDI, Gpr.RBX);
                    a.call(Mem.of(Gpr.RAX, 0x38));
                })), at(0x9000), 10));
        assertEquals(List.of(), inPatch.refusals());
        assertEquals(List.of(
                "mov rdi, rbx",
                "push qword ptr [rip + 7]",                  // the slot holding m+0x2006 follows the jump
                "jmp qword ptr [rax + 0x38]"), Listing.of(inPatch.code().get(0), 0));
    }

    @Test
    void tracesLinkToEachOtherAndExitsToAHeadGoStraightToItsTrace() {
        PathBlock head = block(0x7000, 3, Terminator.CONDITIONAL, a -> {
            a.mov(Gpr.RAX, Mem.of(Gpr.RDI));
            a.test(Gpr.RAX, Gpr.RAX);
            a.jcc(Condition.E, 0x1000L);              // the not-taken side leads to the loop trace
        });
        PathBlock fall = block(0x700c, 2, Terminator.JUMP, a -> {
            a.add(Gpr.RDI, 8);
            a.jmp(0x1000L);
        });
        GeneratedCode out = generate(
                new TracePath(0, List.of(COUNTING_LOOP), at(0x1000), 100),
                new TracePath(1, List.of(head, fall), at(0x1000), 50));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(
                "mov rax, qword ptr [rdi]",
                "test rax, rax",
                "je t0+0x0",                // a side exit to the head of trace 0: linked
                "add rdi, 8",
                "jmp t0+0x0"), Listing.of(out.code().get(0), 1));
        assertEquals(2, out.code().get(0).entries().size());
    }

    @Test
    void reliedOnBytesAreTheCopiedBlocksMergedAndHashed() {
        PathBlock a = block(0x100, 2, Terminator.FALL_THROUGH, x -> {
            x.mov(Gpr.RAX, Gpr.RBX);
            x.mov(Gpr.RCX, Gpr.RDX);
        });
        PathBlock b = block(0x106, 2, Terminator.CONDITIONAL, x -> {
            x.test(Gpr.RAX, Gpr.RAX);
            x.jcc(Condition.NE, 0x100L);
        });
        PathBlock far = block(0x900, 2, Terminator.JUMP, x -> {
            x.nop(5);
            x.jmp(0x100L);
        });
        GeneratedCode out = generate(new TracePath(0, List.of(a, b), at(0x100), 1),
                new TracePath(1, List.of(far), at(0x100), 1));
        assertEquals(List.of(), out.refusals());
        CachedModule module = out.modules().get(0);
        assertEquals(List.of(new CachedModule.ByteRange(0x100, a.bytes().length + b.bytes().length),
                new CachedModule.ByteRange(0x900, far.bytes().length)), module.reliedOn());
        byte[] joined = Arrays.copyOf(a.bytes(), a.bytes().length + b.bytes().length);
        System.arraycopy(b.bytes(), 0, joined, a.bytes().length, b.bytes().length);
        long expected = new ReliedOnHash().update(joined).update(far.bytes()).value();
        assertEquals(expected, module.reliedOnHash());
        assertEquals("/test/module", module.path());
        assertEquals("abcd", module.buildId());
    }

    @Test
    void overlappingBlocksAreReliedOnOnce() {
        // The recorder defines a second block where a jump lands inside an earlier one: same bytes.
        PathBlock whole = block(0x100, 3, Terminator.CONDITIONAL, x -> {
            x.mov(Gpr.RAX, -5L);          // 7 bytes: the entry patch ends where the second block starts
            x.add(Gpr.RAX, 1);
            x.jcc(Condition.NE, 0x107L);
        });
        byte[] bytes = whole.bytes();
        PathBlock tail = new PathBlock(at(0x107), Arrays.copyOfRange(bytes, 7, bytes.length), 2, Terminator.CONDITIONAL);
        GeneratedCode out = generate(new TracePath(0, List.of(whole, tail), at(0x107), 1));
        assertEquals(List.of(), out.refusals());
        assertEquals(List.of(new CachedModule.ByteRange(0x100, bytes.length)), out.modules().get(0).reliedOn());
        assertEquals(new ReliedOnHash().update(bytes).value(), out.modules().get(0).reliedOnHash());
    }

    @Test
    void refusesWhatItCannotCopyExactlyAndKeepsTheRest() {
        PathBlock syscall = block(0x200, 2, Terminator.SYSCALL, a -> {
            a.mov32(Gpr.RAX, 39);
            a.syscall();
        });
        PathBlock tiny = new PathBlock(at(0x300), new byte[] {(byte) 0xeb, 0x10}, 1, Terminator.JUMP);
        PathBlock intoPatch = block(0x7000, 2, Terminator.CONDITIONAL, a -> {
            a.test(Gpr.RAX, Gpr.RAX);
            a.jcc(Condition.E, 0x1004L);      // into the bytes trace 0's entry patch overwrites
        });
        GeneratedCode out = generate(
                new TracePath(0, List.of(COUNTING_LOOP), at(0x1000), 100),
                new TracePath(1, List.of(syscall), at(0x207), 5),
                new TracePath(2, List.of(COUNTING_LOOP), at(0x2000), 5),
                new TracePath(3, List.of(tiny), at(0x312), 5),
                new TracePath(4, List.of(intoPatch), at(0x7009), 5));
        assertEquals(List.of(0), out.generated().traces().stream().map(TracePath::traceId).toList());
        assertEquals(List.of(1, 2, 3, 4), out.refusals().stream().map(Refusal::traceId).toList());
        assertTrue(out.refusals().get(0).reason().contains("SYSCALL"), out.refusals().get(0).reason());
        assertTrue(out.refusals().get(1).reason().contains("neither of its successors"), out.refusals().get(1).reason());
        assertTrue(out.refusals().get(2).reason().contains("too few for the 5-byte jump"), out.refusals().get(2).reason());
        assertTrue(out.refusals().get(3).reason().contains("inside the bytes the entry patch of trace 0"),
                out.refusals().get(3).reason());
    }
}
