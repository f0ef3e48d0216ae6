package dev.tracedb.machine.x86.decode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DecodeBlockTest {
    private static final long BASE = 0x10000L;
    private static Decoder decoder;

    @BeforeAll
    static void open() {
        decoder = Decoder.open();
    }

    @AfterAll
    static void close() {
        decoder.close();
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    private static List<String> texts(BasicBlock block) {
        return block.instructions().stream().map(Instruction::text).toList();
    }

    @Test
    void stopsAfterTheFirstControlTransfer() {
        // nop; add rcx,1; jne -6; ret  -- decoding starts after a leading int3 that is not in the block
        byte[] code = hex("cc 90 48 83 c1 01 75 f9 c3");
        BasicBlock block = decoder.decodeBlock(code, BASE, BASE + 1);
        assertEquals(List.of("nop", "add rcx, 1", "jne 0x10001"), texts(block));
        assertEquals(BasicBlock.End.CONTROL_TRANSFER, block.end());
        assertEquals(BASE + 1, block.start());
        assertEquals(BASE + 8, block.endAddress());
        assertEquals(7, block.sizeBytes());
        assertEquals("jne", block.terminator().orElseThrow().mnemonic());
    }

    @Test
    void endOfBytesMidInstructionIsNotAnError() {
        // nop; then the first two bytes of a five-byte call
        BasicBlock block = decoder.decodeBlock(hex("90 e8 10"), BASE, BASE);
        assertEquals(List.of("nop"), texts(block));
        assertEquals(BasicBlock.End.END_OF_CODE, block.end());
        assertEquals(BASE + 1, block.endAddress());
        assertTrue(block.terminator().isEmpty());
    }

    @Test
    void instructionLimit() {
        BasicBlock block = decoder.decodeBlock(hex("90 90 90 90 c3"), BASE, BASE, 3);
        assertEquals(3, block.instructions().size());
        assertEquals(BasicBlock.End.INSTRUCTION_LIMIT, block.end());
        assertEquals(BASE + 3, block.endAddress());
    }

    @Test
    void invalidBytesBeforeAnyEndAreAnError() {
        byte[] code = new byte[32];
        code[0] = (byte) 0x90;
        code[1] = (byte) 0x06;
        UndecodableInstructionException e = assertThrows(UndecodableInstructionException.class,
                () -> decoder.decodeBlock(code, BASE, BASE));
        assertEquals(BASE + 1, e.address());
    }

    @Test
    void callEndsABlockAndSyscallToo() {
        assertEquals(1, decoder.decodeBlock(hex("e8 00 00 00 00 90"), BASE, BASE).instructions().size());
        assertEquals(2, decoder.decodeBlock(hex("90 0f 05 90"), BASE, BASE).instructions().size());
    }

    @Test
    void decoderGrowsItsNativeBufferForLargeCode() {
        byte[] code = new byte[100_000];
        java.util.Arrays.fill(code, (byte) 0x90);
        code[code.length - 1] = (byte) 0xc3;
        long[] count = new long[1];
        assertEquals(code.length, decoder.decodeAll(code, BASE, instruction -> count[0] += instruction.length()));
        assertEquals(code.length, count[0]);
    }
}
