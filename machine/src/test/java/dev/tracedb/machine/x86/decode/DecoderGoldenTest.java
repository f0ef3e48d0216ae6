package dev.tracedb.machine.x86.decode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** One instruction per test, bytes in, our types out; values checked against the Intel SDM. */
class DecoderGoldenTest {
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

    static Instruction decode(String hex) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));
        Instruction instruction = decoder.decode(code, AT, AT);
        assertEquals(code.length, instruction.length(), "length of " + hex);
        assertArrayEquals(code, instruction.bytes());
        assertEquals(AT, instruction.address());
        return instruction;
    }

    @Test
    void addRegisterImmediate() {
        Instruction add = decode("48 83 c1 01");
        assertEquals("add rcx, 1", add.text());
        assertEquals(Set.of(), add.groups());
        assertFalse(add.endsBlock());
        assertEquals(Flags.NONE, add.flagsRead());
        assertEquals(Flags.STATUS, add.flagsWritten());
        assertEquals(Set.of(Register.RCX), add.registersRead());
        assertEquals(Set.of(Register.RCX, Register.RFLAGS), add.registersWritten());
        assertEquals(new RegisterOperand(Register.RCX, 8, Access.READ_WRITE), add.operands().get(0));
        assertEquals(new ImmediateOperand(1, 8), add.operands().get(1));
        assertEquals(new Encoding(2, 0, 0, 3, 1), add.encoding());
        assertEquals(OptionalLong.empty(), add.directTarget());
    }

    @Test
    void directCallHasTargetAndImmediateOffset() {
        Instruction call = decode("e8 10 00 00 00");
        assertEquals("call", call.mnemonic());
        assertEquals(EnumSet.of(InstructionGroup.CALL, InstructionGroup.BRANCH_RELATIVE), call.groups());
        assertEquals(OptionalLong.of(AT + 5 + 0x10), call.directTarget());
        assertTrue(call.endsBlock());
        assertEquals(1, call.encoding().immediateOffset());
        assertEquals(4, call.encoding().immediateSize());
        assertTrue(call.registersWritten().contains(Register.RSP));
    }

    @Test
    void negativeRelativeCallTarget() {
        Instruction call = decode("e8 fb ff ff ff");
        assertEquals(OptionalLong.of(AT), call.directTarget());
    }

    @Test
    void indirectJumpThroughRipRelativeSlot() {
        Instruction jmp = decode("ff 25 10 20 00 00");
        assertEquals("jmp qword ptr [rip + 0x2010]", jmp.text());
        assertEquals(EnumSet.of(InstructionGroup.JUMP), jmp.groups());
        assertEquals(OptionalLong.empty(), jmp.directTarget());
        MemoryOperand slot = jmp.ripRelativeOperand().orElseThrow();
        assertEquals(0x2010, slot.displacement());
        assertEquals(Optional.empty(), slot.index());
        assertEquals(2, jmp.encoding().displacementOffset());
        assertEquals(4, jmp.encoding().displacementSize());
        assertEquals(OptionalLong.of(AT + 6 + 0x2010), jmp.ripRelativeTarget());
    }

    @Test
    void ripRelativeStoreWithImmediateHasBothOffsets() {
        Instruction mov = decode("c7 05 10 00 00 00 01 00 00 00");
        assertEquals("mov dword ptr [rip + 0x10], 1", mov.text());
        assertEquals(new Encoding(1, 2, 4, 6, 4), mov.encoding());
        assertEquals(Access.WRITE, mov.ripRelativeOperand().orElseThrow().access());
        assertEquals(OptionalLong.of(AT + 10 + 0x10), mov.ripRelativeTarget());
    }

    @Test
    void ret() {
        Instruction ret = decode("c3");
        assertEquals("ret", ret.text());
        assertEquals(EnumSet.of(InstructionGroup.RET), ret.groups());
        assertTrue(ret.endsBlock());
        assertEquals(Set.of(Register.RSP), ret.registersRead());
    }

    @Test
    void syscallClobbersRcxAndR11() {
        Instruction syscall = decode("0f 05");
        assertEquals(EnumSet.of(InstructionGroup.INT, InstructionGroup.SYSCALL), syscall.groups());
        assertTrue(syscall.endsBlock());
        assertTrue(syscall.registersWritten().containsAll(Set.of(Register.RCX, Register.R11)));
    }

    @Test
    void repMovsq() {
        Instruction movs = decode("f3 48 a5");
        assertEquals("rep movsq", movs.mnemonic());
        assertEquals(Flags.of(Flag.DF), movs.flagsRead());
        assertEquals(Flags.NONE, movs.flagsWritten());
        assertEquals(Set.of(Register.RDI, Register.RSI, Register.RCX, Register.RFLAGS), movs.registersRead());
        assertEquals(Set.of(Register.RDI, Register.RSI, Register.RCX), movs.registersWritten());
        assertFalse(movs.endsBlock());
    }

    @Test
    void conditionalJumpReadsZeroFlag() {
        Instruction je = decode("74 10");
        assertEquals("je", je.mnemonic());
        assertEquals(EnumSet.of(InstructionGroup.JUMP, InstructionGroup.BRANCH_RELATIVE, InstructionGroup.CONDITIONAL),
                je.groups());
        assertEquals(OptionalLong.of(AT + 2 + 0x10), je.directTarget());
        assertEquals(Flags.of(Flag.ZF), je.flagsRead());
        assertEquals(Flags.NONE, je.flagsWritten());
        assertEquals(new Encoding(0, 0, 0, 1, 1), je.encoding());
    }

    @Test
    void unconditionalJumpIsNotConditional() {
        Instruction jmp = decode("eb fe");
        assertEquals(OptionalLong.of(AT), jmp.directTarget());
        assertFalse(jmp.is(InstructionGroup.CONDITIONAL));
    }

    @Test
    void loopIsAConditionalJumpAlthoughCapstoneSaysOnlyRelative() {
        Instruction loop = decode("e2 fe");
        assertTrue(loop.is(InstructionGroup.JUMP));
        assertTrue(loop.is(InstructionGroup.CONDITIONAL));
        assertEquals(OptionalLong.of(AT), loop.directTarget());
        Instruction loope = decode("e1 fe");
        assertTrue(loope.flagsRead().contains(Flag.ZF));
    }

    @Test
    void jumpTableThroughScaledIndex() {
        Instruction jmp = decode("ff 24 c5 00 10 40 00");
        assertEquals("jmp qword ptr [rax*8 + 0x401000]", jmp.text());
        MemoryOperand table = (MemoryOperand) jmp.operands().get(0);
        assertEquals(Optional.empty(), table.base());
        assertEquals(Optional.of(Register.RAX), table.index());
        assertEquals(8, table.scale());
        assertEquals(0x401000, table.displacement());
        assertFalse(table.isRipRelative());
        assertEquals(OptionalLong.empty(), jmp.directTarget());
        assertTrue(jmp.endsBlock());
        assertEquals(3, jmp.encoding().displacementOffset());
    }

    @Test
    void notrackIndirectJumpKeepsPrefixInMnemonicOnly() {
        Instruction jmp = decode("3e ff e0");
        assertEquals("jmp rax", jmp.text());
        assertFalse(jmp.is(InstructionGroup.CONDITIONAL));
        assertEquals(Set.of(Register.RAX), jmp.registersRead());
    }

    @Test
    void avxLoad() {
        Instruction vmov = decode("c5 fd 6f 00");
        assertEquals("vmovdqa ymm0, ymmword ptr [rax]", vmov.text());
        assertEquals(EnumSet.of(InstructionGroup.AVX), vmov.groups());
        assertEquals(Set.of(Register.YMM0), vmov.registersWritten());
        assertEquals(32, vmov.operands().get(1).sizeBytes());
    }

    @Test
    void avx512Load() {
        Instruction vmov = decode("62 f1 fd 48 6f 00");
        assertEquals("vmovdqa64 zmm0, zmmword ptr [rax]", vmov.text());
        assertTrue(vmov.is(InstructionGroup.AVX512));
    }

    @Test
    void x87CompareWritesStatusFlagsAndFcmovReadsThem() {
        Instruction fcomi = decode("db f1");
        assertEquals(Flags.STATUS, fcomi.flagsWritten());
        Instruction fcmovb = decode("da c1");
        assertTrue(fcmovb.flagsRead().contains(Flag.CF));
        assertTrue(fcmovb.registersRead().contains(Register.RFLAGS));
    }

    @Test
    void trapsEndBlocks() {
        assertTrue(decode("0f 0b").is(InstructionGroup.TRAP));
        assertTrue(decode("0f 0b").endsBlock());
        assertTrue(decode("cc").endsBlock());
    }

    @Test
    void arithmeticFlagsReadAndUndefined() {
        Instruction adc = decode("48 11 d8");
        assertEquals(Flags.of(Flag.CF), adc.flagsRead());
        Instruction rcl = decode("48 d1 d0");
        assertEquals(Flags.of(Flag.CF), rcl.flagsRead());
        assertTrue(rcl.registersRead().contains(Register.RFLAGS));
        assertEquals(Flags.ALL, decode("9c").flagsRead());
        assertEquals(Flags.of(Flag.SF, Flag.ZF, Flag.AF, Flag.PF, Flag.CF), decode("9f").flagsRead());
        assertEquals(Flags.of(Flag.CF), decode("f5").flagsRead());
        Instruction mul = decode("48 f7 e3");
        assertTrue(mul.flagsUndefined().containsAny(Flags.of(Flag.ZF)));
        assertTrue(mul.flagsWritten().contains(Flag.CF));
        assertTrue(mul.registersWritten().containsAll(Set.of(Register.RAX, Register.RDX)));
        Instruction cld = decode("fc");
        assertEquals(Flags.of(Flag.DF), cld.flagsWritten());
    }

    @Test
    void subRegistersKnowTheirFullRegister() {
        Instruction mov = decode("88 e0");
        assertEquals("mov al, ah", mov.text());
        assertEquals(Register.RAX, Register.AH.full());
        assertEquals(Register.R9, Register.R9B.full());
        assertEquals(Register.RIP, Register.EIP.full());
        assertEquals(Register.XMM3, Register.XMM3.full());
    }
}
