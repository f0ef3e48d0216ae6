package dev.tracedb.machine.x86.decode;

import dev.tracedb.machine.TestPrograms;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Section;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The decoder computes the registers an instruction reads and writes in Java from cs_detail and
 * the operands, instead of calling cs_regs_access; over whole binaries both must give the same
 * sets (and everything else about each instruction must be the same too).
 */
class RegisterAccessTest {

    private static void sameAsCsRegsAccess(Path file) {
        ElfImage image = ElfImage.read(file);
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        List<Instruction> reference = new ArrayList<>();
        try (Decoder capstone = new CapstoneDecoder(CapstoneDecoder.RegisterAccess.CS_REGS_ACCESS)) {
            capstone.decodeAll(code, text.address(), reference::add);
        }
        int[] index = {0};
        int[] withRegisters = {0};
        try (Decoder ours = new CapstoneDecoder(CapstoneDecoder.RegisterAccess.DETAIL)) {
            ours.decodeAll(code, text.address(), instruction -> {
                Instruction expected = reference.get(index[0]++);
                assertEquals(expected, instruction, () -> expected + ": read " + expected.registersRead()
                        + " written " + expected.registersWritten() + ", but computed read "
                        + instruction.registersRead() + " written " + instruction.registersWritten());
                if (!instruction.registersRead().isEmpty() || !instruction.registersWritten().isEmpty()) {
                    withRegisters[0]++;
                }
            });
        }
        assertEquals(reference.size(), index[0]);
        assertTrue(withRegisters[0] > reference.size() / 2, withRegisters[0] + " of " + reference.size());
    }

    @Test
    void binLs() {
        sameAsCsRegsAccess(Path.of("/bin/ls"));
    }

    @Test
    void libc() {
        sameAsCsRegsAccess(Path.of("/lib/x86_64-linux-gnu/libc.so.6"));
    }

    @Test
    void staticTestProgram() {
        sameAsCsRegsAccess(TestPrograms.path("loops-static"));
    }
}
