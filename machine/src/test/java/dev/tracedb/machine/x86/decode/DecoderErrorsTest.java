package dev.tracedb.machine.x86.decode;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class DecoderErrorsTest {

    @Test
    void invalidBytesNameTheirAddress() {
        try (Decoder decoder = Decoder.open()) {
            // 0x06 (push es) does not exist in 64-bit mode
            byte[] code = HexFormat.of().parseHex("90060000000000000000000000000000");
            UndecodableInstructionException e = assertThrows(UndecodableInstructionException.class,
                    () -> decoder.decode(code, 0x1000, 0x1001));
            assertEquals(0x1001, e.address());
            assertTrue(e.getMessage().contains("0x1001"), e.getMessage());
            assertTrue(e.getMessage().contains("06 00"), e.getMessage());
        }
    }

    @Test
    void truncatedInstructionSaysHowManyBytesThereWere() {
        try (Decoder decoder = Decoder.open()) {
            byte[] code = HexFormat.of().parseHex("e810");
            UndecodableInstructionException e = assertThrows(UndecodableInstructionException.class,
                    () -> decoder.decode(code, 0x2000, 0x2000));
            assertTrue(e.getMessage().contains("only 2 bytes"), e.getMessage());
        }
    }

    @Test
    void decodeAllStopsAtTheFirstInvalidInstruction() {
        try (Decoder decoder = Decoder.open()) {
            byte[] code = HexFormat.of().parseHex("4883c10190c306");
            UndecodableInstructionException e = assertThrows(UndecodableInstructionException.class,
                    () -> decoder.decodeAll(code, 0x3000, instruction -> { }));
            assertEquals(0x3006, e.address());
        }
    }

    @Test
    void addressOutsideTheCodeIsRejected() {
        try (Decoder decoder = Decoder.open()) {
            assertThrows(IllegalArgumentException.class, () -> decoder.decode(new byte[] {(byte) 0xc3}, 0x1000, 0x1001));
        }
    }

    @Test
    void closedDecoderRefusesWork() {
        Decoder decoder = Decoder.open();
        decoder.close();
        decoder.close();
        assertThrows(IllegalStateException.class, () -> decoder.decode(new byte[] {(byte) 0xc3}, 0, 0));
    }

    @Test
    void missingLibraryTellsWhatToInstall() {
        DecoderUnavailableException e = assertThrows(DecoderUnavailableException.class,
                () -> Capstone.find("libcapstone-not-installed.so.4"));
        assertTrue(e.getMessage().contains("apt-get install libcapstone4"), e.getMessage());
        assertTrue(e.getMessage().contains("libcapstone-not-installed.so.4"), e.getMessage());
    }
}
