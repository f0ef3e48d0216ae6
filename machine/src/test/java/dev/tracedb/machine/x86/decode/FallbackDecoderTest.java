package dev.tracedb.machine.x86.decode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Instructions Capstone 4.0.2 rejects, decoded through the public Decoder; values from the Intel SDM. */
class FallbackDecoderTest {
    private static final long AT = 0x401000L;
    private static Decoder decoder;

    @BeforeAll
    static void open() {
        decoder = Decoder.open();
    }

    @AfterAll
    static void close() {
        decoder.close();
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    private static Instruction decode(String text) {
        byte[] code = hex(text);
        Instruction instruction = decoder.decode(code, AT, AT);
        assertEquals(code.length, instruction.length(), text);
        assertEquals(DecodedBy.FALLBACK, instruction.decodedBy(), text);
        assertFalse(instruction.endsBlock(), text);
        return instruction;
    }

    @Test
    void kmovFromGeneralRegister() {
        Instruction kmov = decode("c4 e1 fb 92 c9");
        assertEquals("kmovq k1, rcx", kmov.text());
        assertEquals(Set.of(InstructionGroup.AVX512), kmov.groups());
        assertEquals(Set.of(Register.RCX), kmov.registersRead());
        assertEquals(Set.of(Register.K1), kmov.registersWritten());
        assertEquals(Flags.NONE, kmov.flagsWritten());
        assertEquals(new RegisterOperand(Register.K1, 8, Access.WRITE), kmov.operands().get(0));
    }

    @Test
    void kmovToExtendedGeneralRegisterIs32Bit() {
        assertEquals("kmovd r8d, k0", decode("c5 7b 93 c0").text());
    }

    @Test
    void kmovStoreRipRelativeCanBeRelocated() {
        Instruction kmov = decode("c4 e1 f8 91 0d 10 00 00 00");
        assertEquals("kmovq qword ptr [rip + 0x10], k1", kmov.text());
        assertEquals(new Encoding(4, 5, 4, 0, 0), kmov.encoding());
        assertEquals(OptionalLong.of(AT + 9 + 0x10), kmov.ripRelativeTarget());
        assertEquals(Access.WRITE, kmov.ripRelativeOperand().orElseThrow().access());
        assertEquals(Set.of(Register.RIP, Register.K1), kmov.registersRead());
        assertEquals(Set.of(), kmov.registersWritten());
    }

    @Test
    void kortestWritesStatusFlagsOnly() {
        Instruction kortest = decode("c4 e1 f9 98 c1");
        assertEquals("kortestd k0, k1", kortest.text());
        assertEquals(Flags.STATUS, kortest.flagsWritten());
        assertEquals(Flags.NONE, kortest.flagsRead());
        assertEquals(Set.of(Register.K0, Register.K1), kortest.registersRead());
        assertEquals(Set.of(Register.RFLAGS), kortest.registersWritten());
    }

    @Test
    void capstoneKnowsTheWordFormsButNotTheirFlags() {
        Instruction kortestw = decoder.decode(hex("c5 f8 98 c1"), AT, AT);
        assertEquals(DecodedBy.CAPSTONE, kortestw.decodedBy());
        assertEquals(Flags.STATUS, kortestw.flagsWritten(), "corrected");
        assertTrue(kortestw.registersWritten().contains(Register.RFLAGS));
    }

    @Test
    void kshiftHasImmediate() {
        // Capstone decodes kshiftrw itself; the fallback alone must agree with it
        byte[] code = hex("c4 e3 f9 30 c1 05");
        Instruction ours = FallbackDecoder.decode(code, 0, code.length, AT);
        assertEquals("kshiftrw k0, k1, 5", ours.text());
        assertEquals(new Encoding(4, 0, 0, 5, 1), ours.encoding());
        Instruction capstone = decoder.decode(code, AT, AT);
        assertEquals(capstone.text(), ours.text());
        assertEquals(capstone.encoding(), ours.encoding());
        assertEquals(capstone.registersRead(), ours.registersRead());
        assertEquals(capstone.registersWritten(), ours.registersWritten());
    }

    @Test
    void evexCompareIntoMaskNamesThePredicate() {
        Instruction vpcmp = decode("62 f3 7d 49 3f eb 00");
        assertEquals("vpcmpeqb k5 {k1}, zmm0, zmm3", vpcmp.text());
        assertEquals(Set.of(Register.K1, Register.ZMM0, Register.ZMM3), vpcmp.registersRead());
        assertEquals(Set.of(Register.K5), vpcmp.registersWritten());
        assertEquals(6, vpcmp.encoding().immediateOffset());
    }

    @Test
    void evexBroadcastScalesCompressedDisplacementByElement() {
        Instruction ternlog = decode("62 f3 65 38 25 62 03 fe");
        assertEquals("vpternlogd ymm4, ymm3, dword ptr [rdx + 0xc]{1to8}, 0xfe", ternlog.text());
        MemoryOperand memory = (MemoryOperand) ternlog.operands().get(2);
        assertEquals(12, memory.displacement());
        assertEquals(new Encoding(5, 6, 1, 7, 1), ternlog.encoding());
        assertTrue(ternlog.registersWritten().contains(Register.YMM4));
        assertTrue(ternlog.registersRead().contains(Register.YMM4), "vpternlog reads its destination");
    }

    @Test
    void evexFullVectorScalesCompressedDisplacementByLength() {
        assertEquals("vpcmpneqb k1, ymm16, ymmword ptr [rax + 0x60]", decode("62 f3 7d 20 3f 48 03 04").text());
    }

    @Test
    void shadowStackPointerReadMayLeaveItsRegisterAlone() {
        Instruction rdssp = decode("f3 48 0f 1e c8");
        assertEquals("rdsspq rax", rdssp.text());
        assertEquals(Set.of(Register.RAX), rdssp.registersRead());
        assertEquals(Set.of(Register.RAX), rdssp.registersWritten());
        assertEquals("incsspq r12", decode("f3 49 0f ae ec").text());
    }

    @Test
    void protectionKeyRegisterAccess() {
        Instruction rdpkru = decode("0f 01 ee");
        assertEquals(Set.of(Register.ECX), rdpkru.registersRead());
        assertEquals(Set.of(Register.EAX, Register.EDX), rdpkru.registersWritten());
        assertEquals(Set.of(Register.EAX, Register.ECX, Register.EDX), decode("0f 01 ef").registersRead());
    }

    @Test
    void capstoneStillDecodesWhatItKnows() {
        byte[] code = hex("48 83 c1 01");
        assertEquals(DecodedBy.CAPSTONE, decoder.decode(code, AT, AT).decodedBy());
    }

    @Test
    void invalidEncodingsOfTheFamiliesStayUndecodable() {
        // kandw with VEX.R set would name mask register 8, which does not exist
        byte[] kand = hex("c4 61 7c 41 c1");
        assertThrows(UndecodableInstructionException.class, () -> decoder.decode(kand, AT, AT));
        // zeroing-masking of a mask destination
        byte[] vpcmp = hex("62 f3 7d c9 3f eb 00");
        assertThrows(UndecodableInstructionException.class, () -> decoder.decode(vpcmp, AT, AT));
    }

    @Test
    void truncatedOpmaskInstructionEndsTheBlockAsEndOfCode() {
        byte[] code = hex("48 83 c1 01 c4 e1 fb");
        BasicBlock block = decoder.decodeBlock(code, AT, AT);
        assertEquals(BasicBlock.End.END_OF_CODE, block.end());
        assertEquals(1, block.instructions().size());
        assertThrows(UndecodableInstructionException.class, () -> decoder.decode(code, AT, AT + 4));
    }

    @Test
    void blockContinuesAfterFallbackInstruction() {
        byte[] code = hex("c4 e1 fb 92 c9 c5 f8 98 c1 75 f7");
        BasicBlock block = decoder.decodeBlock(code, AT, AT);
        assertEquals(BasicBlock.End.CONTROL_TRANSFER, block.end());
        assertEquals(3, block.instructions().size());
        assertEquals("kortestw k0, k1", block.instructions().get(1).text());
        assertEquals(OptionalLong.of(AT + 2), block.terminator().orElseThrow().directTarget());
    }
}
