package dev.tracedb.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.PathBlock;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.Register;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.store.Terminator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link StoredValues} on instruction sequences encoded by gas (the bytes in the comments' order),
 * and the emitter's use of it on hand-assembled traces (Capstone's listing of the generated code).
 */
class StoredValuesTest {
    private static Decoder decoder;

    @BeforeAll
    static void open() {
        decoder = Decoder.open();
    }

    @AfterAll
    static void close() {
        decoder.close();
    }

    private static Instruction insn(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        return decoder.decode(bytes, 0x1000, 0x1000);
    }

    /** The folder's knowledge: rbx and rdx both r10 + 0x100 (lua5.4's A and B slots of one stack slot). */
    private final Map<Register, ValueFolder.Value> known = new EnumMap<>(Register.class);

    private StoredValues stored() {
        known.put(Register.RBX, new ValueFolder.Value(Register.R10, 0x100));
        known.put(Register.RDX, new ValueFolder.Value(Register.R10, 0x100));
        return new StoredValues(r -> Optional.ofNullable(known.get(r)));
    }

    private static final String STORE_TAG = "c6430813";      // mov byte [rbx + 8], 0x13
    private static final String STORE_FLOAT = "f20f1103";    // movsd [rbx], xmm0
    private static final String LOAD_TAG = "0fb67208";       // movzx esi, byte [rdx + 8]
    private static final String LOAD_FLOAT = "f20f100a";     // movsd xmm1, [rdx]
    private static final String LOAD_FLOAT_XMM0 = "f20f1002"; // movsd xmm0, [rdx]

    @Test
    void aStoredTagAndFloatAreForwardedThroughAnotherRegisterOfTheSameAddress() {
        StoredValues s = stored();
        assertTrue(s.visit(insn(STORE_TAG)).isEmpty());
        assertTrue(s.visit(insn(STORE_FLOAT)).isEmpty());
        assertEquals(2, s.facts().size());
        StoredValues.Forward tag = s.visit(insn(LOAD_TAG)).orElseThrow();
        assertEquals(StoredValues.Kind.CONSTANT, tag.kind());
        assertEquals(Register.RSI, tag.destination());
        assertEquals(0x13, tag.value());
        StoredValues.Forward value = s.visit(insn(LOAD_FLOAT)).orElseThrow();
        assertEquals(StoredValues.Kind.MOVE, value.kind());
        assertArrayEquals(HexFormat.of().parseHex("f30f7ec8"), value.code(), "movq xmm1, xmm0");
    }

    @Test
    void aReloadIntoTheStoredRegisterIsDroppedOnlyWhenItsUpperHalfIsKnownZero() {
        StoredValues s = stored();
        s.visit(insn(STORE_FLOAT));
        // xmm0's bits 127:64 unknown: the load would zero them, so a movq does
        StoredValues.Forward unknownUpper = s.visit(insn(LOAD_FLOAT_XMM0)).orElseThrow();
        assertEquals(StoredValues.Kind.MOVE, unknownUpper.kind());
        assertArrayEquals(HexFormat.of().parseHex("f30f7ec0"), unknownUpper.code(), "movq xmm0, xmm0");
        // after that load (movsd xmm0, m64 zeroes them), mulsd keeps them zero: stored and reloaded, nothing runs
        s.visit(insn("f20f59c1"));                  // mulsd xmm0, xmm1
        s.visit(insn(STORE_FLOAT));
        assertEquals(StoredValues.Kind.DROP, s.visit(insn(LOAD_FLOAT_XMM0)).orElseThrow().kind());
    }

    @Test
    void gprStoresForwardAsMovesConstantsOrNothing() {
        StoredValues s = stored();
        s.visit(insn("488903"));                     // mov [rbx], rax
        StoredValues.Forward move = s.visit(insn("488b13")).orElseThrow(); // mov rdx, [rbx]
        assertEquals(StoredValues.Kind.MOVE, move.kind());
        assertArrayEquals(HexFormat.of().parseHex("488bd0"), move.code(), "mov rdx, rax");
        // rdx was written: rdx-based addresses are no longer r10 + 0x100 for the folder either
        known.remove(Register.RDX);
        assertEquals(StoredValues.Kind.DROP, s.visit(insn("488b03")).orElseThrow().kind()); // mov rax, [rbx]
        s.visit(insn("48c703ffffffff"));             // mov qword [rbx], -1
        StoredValues.Forward minusOne = s.visit(insn("488b0b")).orElseThrow(); // mov rcx, [rbx]
        assertEquals(StoredValues.Kind.CONSTANT, minusOne.kind());
        assertEquals(-1L, minusOne.value());
        s.visit(insn("c70307000000"));               // mov dword [rbx], 7
        assertEquals(7, s.visit(insn("8b03")).orElseThrow().value()); // mov eax, [rbx]
        assertTrue(s.visit(insn("488b0b")).isEmpty(), "a qword load of a dword store is not forwarded");
        s.visit(insn("40887308"));                   // mov [rbx + 8], sil
        StoredValues.Forward byteMove = s.visit(insn("0fb64b08")).orElseThrow(); // movzx ecx, byte [rbx + 8]
        assertArrayEquals(HexFormat.of().parseHex("400fb6ce"), byteMove.code(), "movzx ecx, sil");
    }

    @Test
    void aSecondLoadOfACellIsForwardedOnlyWithNoOtherMemoryReadBetween() {
        StoredValues s = stored();
        known.put(Register.RAX, new ValueFolder.Value(Register.R10, 0x100));
        s.visit(insn(LOAD_FLOAT_XMM0));              // movsd xmm0, [rdx]  (x * x: the same slot twice)
        s.visit(insn("48894310"));                   // mov [rbx + 0x10], rax: an own store between does not matter
        StoredValues.Forward again = s.visit(insn("f20f1008")).orElseThrow(); // movsd xmm1, [rax]
        assertArrayEquals(HexFormat.of().parseHex("f30f7ec8"), again.code(), "movq xmm1, xmm0");
        s.visit(insn(LOAD_FLOAT_XMM0));
        s.visit(insn("41817d0005000000"));           // cmp dword [r13], 5: a read of other memory between
        assertTrue(s.visit(insn("f20f1008")).isEmpty(), "another thread's stores may be seen in between");
        // a load the path does not make as it is (a value guard's) tells nothing about its register
        StoredValues t = stored();
        t.visit(insn("488b03"), false);              // mov rax, [rbx]
        assertTrue(t.visit(insn("488b0b")).isEmpty());
    }

    @Test
    void anOverlappingStoreOrAStoreThroughAnotherBaseKillsTheFacts() {
        StoredValues s = stored();
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("48894310"));                   // mov [rbx + 0x10], rax: disjoint, same base
        assertTrue(s.visit(insn(LOAD_FLOAT)).isPresent(), "a disjoint store of the same base keeps the fact");
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("48894304"));                   // mov [rbx + 4], rax: overlaps bytes 4..7
        assertTrue(s.visit(insn(LOAD_FLOAT)).isEmpty());
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("488907"));                     // mov [rdi], rax: another base, may alias
        assertTrue(s.visit(insn(LOAD_FLOAT)).isEmpty());
        assertTrue(s.visit(insn(LOAD_TAG)).isEmpty(), "the tag's fact died with the others");
    }

    @Test
    void aWriteOfTheBaseOrOfTheValueRegisterKillsTheFact() {
        StoredValues s = stored();
        known.clear();                                // rbx untracked: the cell is rbx's own value + 0
        s = new StoredValues(r -> Optional.ofNullable(known.get(r)));
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("4883c308"));                   // add rbx, 8
        assertTrue(s.visit(insn("f20f100b")).isEmpty(), "movsd xmm1, [rbx] after rbx moved"); // movsd xmm1, [rbx]
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("f20f58c1"));                   // addsd xmm0, xmm1: the stored value's register changed
        assertTrue(s.visit(insn("f20f100b")).isEmpty());
        s.visit(insn(STORE_FLOAT));
        s.visit(insn("4c89d3"));                     // mov rbx, r10: the base rewritten (to anything)
        assertTrue(s.visit(insn("f20f100b")).isEmpty());
    }

    @Test
    void lockedStringAndPushInstructionsKillEverything() {
        for (String killer : List.of("f0830101", "f348ab", "50", "0faef0")) { // lock add [rcx],1; rep stosq; push rax; mfence
            StoredValues s = stored();
            s.visit(insn(STORE_TAG));
            s.visit(insn(killer));
            assertTrue(s.facts().isEmpty(), killer);
            assertTrue(s.visit(insn(LOAD_TAG)).isEmpty(), killer);
        }
    }

    @Test
    void everyStoreToTheCellKillsItsFactWhateverTheDecoderSaysOfItsAccess() {
        // vmovups/vmovdqu [m], xmm: stores Capstone 4.0.2 may report as reads; bts [m], reg reaches
        // past its operand (rcx = 70 sets a bit of [rbx + 8]); fistp: an x87 store
        for (String killer : List.of("c5f81103", "c5fa7f03", "480fab0b", "df3b")) {
            StoredValues s = stored();
            s.visit(insn("488903"));                  // mov [rbx], rax
            s.visit(insn("48894308"));                // mov [rbx + 8], rax
            s.visit(insn(killer));
            assertTrue(s.visit(insn("488b0b")).isEmpty(), killer + ": mov rcx, [rbx]");
            assertTrue(s.visit(insn("488b5308")).isEmpty(), killer + ": mov rdx, [rbx + 8]");
        }
    }

    @Test
    void aCompareOfTheCellKeepsItsFactAndAPartialWriteOfTheValueRegisterKillsIt() {
        StoredValues s = stored();
        s.visit(insn("488903"));                      // mov [rbx], rax
        s.visit(insn("48833b00"));                    // cmp qword [rbx], 0: a read
        StoredValues.Forward afterCompare = s.visit(insn("488b0b")).orElseThrow(); // mov rcx, [rbx]
        assertArrayEquals(HexFormat.of().parseHex("488bc8"), afterCompare.code(), "mov rcx, rax");
        StoredValues partial = stored();
        partial.visit(insn("488903"));                // mov [rbx], rax
        partial.visit(insn("b001"));                  // mov al, 1: rax is no longer what was stored
        assertTrue(partial.visit(insn("488b13")).isEmpty(), "mov rdx, [rbx]");
    }

    @Test
    void comparesOfKnownConstantsAreDecided() {
        Map<Register, ValueFolder.Value> k = Map.of(Register.RSI, ValueFolder.Value.constant(0x13),
                Register.RAX, ValueFolder.Value.constant(-1));
        var values = (java.util.function.Function<Register, Optional<ValueFolder.Value>>) r -> Optional.ofNullable(k.get(r));
        Instruction cmpSil = insn("4080fe13");       // cmp sil, 0x13
        assertEquals(Optional.of(true), StoredValues.decides(cmpSil, Condition.E, values));
        assertEquals(Optional.of(false), StoredValues.decides(cmpSil, Condition.NE, values));
        Instruction cmpSil3 = insn("4080fe03");      // cmp sil, 3
        assertEquals(Optional.of(true), StoredValues.decides(cmpSil3, Condition.A, values));
        assertEquals(Optional.of(false), StoredValues.decides(cmpSil3, Condition.L, values));
        Instruction cmpRax = insn("4883f802");       // cmp rax, 2: -1 is below 2 signed, above unsigned
        assertEquals(Optional.of(true), StoredValues.decides(cmpRax, Condition.L, values));
        assertEquals(Optional.of(true), StoredValues.decides(cmpRax, Condition.A, values));
        Instruction testRax = insn("4885c0");        // test rax, rax
        assertEquals(Optional.of(true), StoredValues.decides(testRax, Condition.S, values));
        assertEquals(Optional.empty(), StoredValues.decides(insn("4839c8"), Condition.E, values), "rcx unknown");
    }

    // ---- the emitter

    private static final TraceModule MODULE = new TraceModule("/test/module", "abcd", 0x100000);

    private static PathBlock block(long offset, int instructions, String hex, java.util.function.Consumer<Assembler> last) {
        Assembler a = new Assembler(new CodeBuffer(offset));
        for (byte b : HexFormat.of().parseHex(hex)) a.buffer().emit8(b);
        last.accept(a);
        return new PathBlock(new CodeAddress(0, offset), a.finish(), instructions, Terminator.CONDITIONAL);
    }

    /**
     * A loop: the tag stored, read back and compared (the path holds it equal), then
     * {@code flagsUse} and a compare of other registers that loops back.
     */
    private static List<String> listing(String flagsUse, int flagsUseInstructions, boolean forwarding) {
        PathBlock head = block(0x2000, 5,
                "0f1f440000"                 // nop (the head's patch)
                + STORE_TAG                  // mov byte [rbx + 8], 0x13
                + "0fb67308"                 // movzx esi, byte [rbx + 8]
                + "4080fe13",                // cmp sil, 0x13
                a -> a.jcc(Condition.NE, 0x2100L));
        PathBlock next = block(head.end().offset(), flagsUseInstructions + 2,
                flagsUse + "4839c8",         // …; cmp rax, rcx
                a -> a.jcc(Condition.E, 0x2000L));
        GeneratedCode out = new TraceCodeGenerator().forwarding(forwarding).peeling(false).generate(new TraceSelection(List.of(MODULE),
                List.of(new TracePath(0, List.of(head, next), new CodeAddress(0, 0x2000), 10))));
        assertEquals(List.of(), out.refusals());
        return Listing.of(out.code().get(0), 0);
    }

    @Test
    void theReloadedTagsGuardIsLeftOutWhereTheFlagsAreDeadAndItsValueWrittenInTheExits() {
        List<String> listing = listing("31c0", 1, true);  // xor eax, eax: overwrites the flags
        String text = String.join("\n", listing);
        assertFalse(listing.contains("cmp sil, 0x13"), text);
        assertFalse(listing.stream().anyMatch(l -> l.startsWith("movzx esi")), text);
        // the loop's exit (cmp rax, rcx not equal) leaves with esi as the original has it, and so
        // does the jump back to the start (every register as the original has it there)
        int exit = listing.lastIndexOf("mov esi, 0x13");
        assertTrue(listing.get(listing.indexOf("cmp rax, rcx") + 1).equals("jne @" + exit), text);
        assertEquals("jmp m+0x2022", listing.get(exit + 1), text);
        assertEquals("mov esi, 0x13", listing.get(listing.indexOf("jmp t0+0x0") - 1), text);
        assertTrue(listing(("31c0"), 1, false).contains("cmp sil, 0x13"), "--no-forwarding keeps the guard");
    }

    @Test
    void theGuardStaysWhereTheFlagsAreLiveAfterIt() {
        List<String> listing = listing("0f95c0", 1, true); // setne al: reads the compare's ZF
        assertTrue(listing.contains("cmp sil, 0x13"), String.join("\n", listing));
        assertFalse(listing.stream().anyMatch(l -> l.startsWith("movzx esi")), "the load is still forwarded");
    }

    // ---- loop peeling: what a loop trace's second copy starts with, and when its back edge closes

    private static StoredValues.Fact storeFact(Register base, long offset, int size, Register value) {
        return new StoredValues.Fact(new StoredValues.Cell(base, offset, size), value, 0, false);
    }

    private static StoredValues.State state(List<StoredValues.Fact> facts, Register... upperZero) {
        java.util.Set<Register> upper = java.util.EnumSet.noneOf(Register.class);
        upper.addAll(List.of(upperZero));
        return new StoredValues.State(facts, upper);
    }

    @Test
    void carriedFactsAreThoseEveryBackEdgeHasOnBasesThePathLeaves() {
        StoredValues.Fact zr = storeFact(Register.R10, 0x100, 8, Register.XMM0);
        StoredValues.Fact tag = new StoredValues.Fact(new StoredValues.Cell(Register.R10, 0x108, 1), null, 0x13, false);
        StoredValues.Fact onRbx = storeFact(Register.RBX, 0, 8, Register.RAX);
        StoredValues.Fact loadedZi = new StoredValues.Fact(new StoredValues.Cell(Register.R10, 0x110, 8), Register.XMM1, 0, true);
        StoredValues.Fact storedZi = new StoredValues.Fact(new StoredValues.Cell(Register.R10, 0x110, 8), Register.XMM1, 0, false);
        StoredValues.Fact otherTag = new StoredValues.Fact(new StoredValues.Cell(Register.R10, 0x108, 1), null, 0x03, false);
        java.util.Set<Register> written = java.util.EnumSet.of(Register.RBX, Register.RAX);

        StoredValues.State one = state(List.of(zr, tag, onRbx, storedZi), Register.XMM0, Register.XMM1);
        StoredValues.State two = state(List.of(zr, otherTag, loadedZi), Register.XMM0);
        StoredValues.State carried = StoredValues.carried(List.of(one, two), written);
        // zr in both; the tag's immediates differ; rbx is written on the path; zi a load fact in one end
        assertEquals(List.of(zr, loadedZi), carried.facts());
        assertEquals(java.util.EnumSet.of(Register.XMM0), carried.upperZero());
        assertEquals(List.of(zr, tag, storedZi), StoredValues.carried(List.of(one), written).facts());
        assertTrue(StoredValues.carried(List.of(), written).facts().isEmpty());
    }

    @Test
    void aBackEdgeClosesOnlyWhereItsFactsImplyTheStart() {
        StoredValues.Fact zr = storeFact(Register.R10, 0x100, 8, Register.XMM0);
        StoredValues.Fact zrInXmm2 = storeFact(Register.R10, 0x100, 8, Register.XMM2);
        StoredValues.Fact loadedZr = new StoredValues.Fact(zr.cell(), Register.XMM0, 0, true);
        StoredValues.Fact tag = new StoredValues.Fact(new StoredValues.Cell(Register.R10, 0x108, 1), null, 0x13, false);
        StoredValues.Fact otherTag = new StoredValues.Fact(tag.cell(), null, 0x03, false);
        java.util.Set<Register> none = java.util.EnumSet.noneOf(Register.class);
        StoredValues.State start = state(List.of(zr, tag), Register.XMM0);

        assertTrue(StoredValues.implies(state(List.of(tag, zr, zrInXmm2), Register.XMM0, Register.XMM1), start, none));
        assertFalse(StoredValues.implies(state(List.of(zr), Register.XMM0), start, none), "the tag is missing");
        assertFalse(StoredValues.implies(state(List.of(zr, otherTag), Register.XMM0), start, none), "another tag");
        assertFalse(StoredValues.implies(state(List.of(zrInXmm2, tag), Register.XMM0), start, none), "another register");
        assertFalse(StoredValues.implies(state(List.of(zr, tag)), start, none), "bits 127:64 of xmm0 not known zero");
        assertFalse(StoredValues.implies(state(List.of(loadedZr, tag), Register.XMM0), start, none),
                "a load fact does not imply a store fact");
        assertTrue(StoredValues.implies(state(List.of(zr, tag), Register.XMM0),
                state(List.of(loadedZr, tag), Register.XMM0), none), "a store fact implies the load fact");
        assertFalse(StoredValues.implies(state(List.of(zr, tag), Register.XMM0), start, java.util.EnumSet.of(Register.R10)),
                "the base changes from pass to pass");
        assertTrue(StoredValues.implies(state(List.of()), state(List.of()), none));
    }

    /**
     * A loop whose pass starts by loading the slot its end stores ({@code movsd xmm1, [rbx]; addsd
     * xmm1, xmm1; movsd [rbx], xmm1}, rbx never written): peeled, the second copy starts knowing
     * the slot holds xmm1 (bits 127:64 zero), so its load is gone, its store stays, and its back
     * edge goes to its own start; unpeeled, one copy that loads each pass.
     */
    @Test
    void aPeeledLoopsSecondCopyTakesTheSlotItsEndStored() {
        java.util.function.Function<Boolean, List<String>> listingOf = peel -> {
            PathBlock head = block(0x2000, 6,
                    "0f1f440000"             // nop (the head's patch)
                    + "f20f100b"             // movsd xmm1, [rbx]
                    + "f20f58c9"             // addsd xmm1, xmm1
                    + "f20f110b"             // movsd [rbx], xmm1
                    + "4839c8",              // cmp rax, rcx
                    a -> a.jcc(Condition.NE, 0x2000L));
            GeneratedCode out = new TraceCodeGenerator().peeling(peel).generate(new TraceSelection(List.of(MODULE),
                    List.of(new TracePath(0, List.of(head), new CodeAddress(0, 0x2000), 10))));
            assertEquals(List.of(), out.refusals());
            return Listing.of(out.code().get(0), 0);
        };
        List<String> peeled = listingOf.apply(true);
        List<String> plain = listingOf.apply(false);
        String text = String.join("\n", peeled);
        assertEquals(1, peeled.stream().filter(l -> l.equals("movsd xmm1, qword ptr [rbx]")).count(), text);
        assertEquals(2, peeled.stream().filter(l -> l.equals("movsd qword ptr [rbx], xmm1")).count(), text);
        assertEquals(2, peeled.stream().filter(l -> l.equals("addsd xmm1, xmm1")).count(), text);
        assertEquals(2, peeled.stream().filter(l -> l.equals("je m+0x201a")).count(), text); // each copy's exit
        // the first copy's end jumps to the second (right after it), whose end jumps to its own start
        int second = peeled.indexOf("je m+0x201a") + 2;
        assertEquals("jmp @" + second, peeled.get(second - 1), text);
        assertEquals(List.of("nop dword ptr [rax + rax]", "addsd xmm1, xmm1", "movsd qword ptr [rbx], xmm1", "cmp rax, rcx",
                "je m+0x201a", "jmp @" + second), peeled.subList(second, second + 6), text);
        assertFalse(peeled.contains("jmp t0+0x0"), text);
        assertEquals(1, plain.stream().filter(l -> l.equals("movsd xmm1, qword ptr [rbx]")).count(), String.join("\n", plain));
        assertTrue(plain.contains("jmp t0+0x0"), String.join("\n", plain));
    }
}
